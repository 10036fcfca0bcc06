package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
)

const (
	// DefaultSessionTTL is how long an MCP session may stay unused before it is removed.
	DefaultSessionTTL = 24 * time.Hour
	// unusedSessionTTL is how long a session lives when it sees no request after its
	// initialize: clients that initialize and leave do not hold a slot for a day.
	unusedSessionTTL = 10 * time.Minute
	// sessionFlushEvery is how often last-seen times go to the store in one batch.
	sessionFlushEvery = 5 * time.Second
	// sessionSweepEvery is how often sessions idle past the TTL are deleted.
	sessionSweepEvery = time.Minute
	// sessionRecheck is how long a session read from the store is trusted before it is read
	// again. A session ended on another replica (a DELETE, an eviction, an expiry) is
	// refused here within this window; one ended here is refused at once.
	sessionRecheck = 500 * time.Millisecond
)

// storeSessions is mcp.SessionStore over the store, so that every server sharing the store
// (the CLI's SQLite file, or one PostgreSQL for many replicas) can check a session another
// server opened, and a DELETE anywhere ends it everywhere.
//
// Get reads a session from the store at most once per sessionRecheck and serves it from
// memory in between, so an MCP request costs no store read; a session ended on another
// replica is refused within that window, one ended here at once. Get also notes the time in memory; flush
// writes those times in one TouchSessions batch, and sweep deletes the sessions idle past
// ttl and those unused (no request after initialize) past unused. Get applies both rules by
// itself, with this server's unflushed times, so a session never outlives them by up to a
// sweep interval.
//
// Bounds: Create keeps at most limit sessions per
// function and token hash, evicting the least recently used in the store's transaction. Its
// order is the stored last-seen time, which this server brings up to date for the binding
// just before (its own unflushed uses count exactly); another server's uses count once it
// flushes, within sessionFlushEvery. A session's first request after initialize is written
// at once rather than at the next flush, so no server takes a session in use for an unused
// one past the unused window.
type storeSessions struct {
	store  store.Sessions
	ttl    time.Duration
	unused time.Duration
	limit  int
	kick   chan struct{} // a first use waits to be written; run flushes at once

	mu     sync.Mutex
	seen   map[string]pendingUse // session id → last use not yet flushed
	recent map[string]readSession
	// ended holds the sessions this server deleted or evicted, with when: a store read that
	// was in flight when the session ended must not bring it back into recent. Entries go
	// after endedKept.
	ended map[string]time.Time
}

// endedKept is how long a session ended here stays refused without a store read; far longer
// than any store read in flight at the time.
const endedKept = time.Minute

// readSession is a session as the store gave it, and when.
type readSession struct {
	sess store.Session
	at   time.Time
}

// pendingUse is a use of a session noted by Get and not yet written to the store, with the
// binding it belongs to, so that Create can write the uses of one binding first.
type pendingUse struct {
	at       time.Time
	function string
	hash     [32]byte
}

var _ mcp.SessionStore = (*storeSessions)(nil)

// newStoreSessions returns the sessions over st. ttl and unused are the two expiries, and
// limit the sessions per function and token hash (store.DefaultSessionLimit when <= 0).
func newStoreSessions(st store.Sessions, ttl, unused time.Duration, limit int) *storeSessions {
	return &storeSessions{
		store: st, ttl: ttl, unused: unused, limit: limit,
		kick: make(chan struct{}, 1), seen: make(map[string]pendingUse),
		recent: make(map[string]readSession), ended: make(map[string]time.Time),
	}
}

// Create records a new session of function opened by the token whose hash is tokenHash and
// returns the ids of the sessions it evicted. The binding's unflushed uses go to the store
// first, so that eviction sees this server's latest uses.
func (s *storeSessions) Create(ctx context.Context, id, function string, tokenHash [32]byte) ([]string, error) {
	if err := s.flushBinding(ctx, function, tokenHash); err != nil {
		return nil, err
	}
	now := time.Now()
	evicted, err := s.store.CreateSession(ctx, store.Session{
		ID: id, Function: function, TokenHash: tokenHash, CreatedAt: now, LastSeenAt: now,
	}, s.limit)
	if len(evicted) > 0 {
		s.mu.Lock()
		for _, id := range evicted {
			s.endLocked(id, now)
		}
		s.mu.Unlock()
	}
	return evicted, err
}

// Get returns the session's function and token hash, or mcp.ErrSessionNotFound when it is
// unknown, ended, idle past the TTL, or unused since initialize past the unused window.
func (s *storeSessions) Get(ctx context.Context, id string) (string, [32]byte, error) {
	now := time.Now()
	s.mu.Lock()
	r, ok := s.recent[id]
	_, gone := s.ended[id]
	s.mu.Unlock()
	if gone {
		return "", [32]byte{}, mcp.ErrSessionNotFound
	}
	if !ok || now.Sub(r.at) >= sessionRecheck {
		sess, err := s.store.GetSession(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			s.mu.Lock()
			delete(s.recent, id)
			s.mu.Unlock()
			return "", [32]byte{}, mcp.ErrSessionNotFound
		}
		if err != nil {
			return "", [32]byte{}, err
		}
		r = readSession{sess: sess, at: now}
	}
	sess := r.sess
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, gone := s.ended[id]; gone { // ended while the store was read
		return "", [32]byte{}, mcp.ErrSessionNotFound
	}
	pending, noted := s.seen[id]
	if !live(sess, pending.at, now, s.ttl, s.unused) {
		return "", [32]byte{}, mcp.ErrSessionNotFound
	}
	s.seen[id] = pendingUse{at: now, function: sess.Function, hash: sess.TokenHash}
	if !sess.Used() && !noted {
		select { // the first request after initialize: have run write it now
		case s.kick <- struct{}{}:
		default: // a flush is already due
		}
	}
	// The session is used from now on: a cached copy that still said "unused" would ask
	// for that first write again on every request until the next read.
	if !r.sess.Used() {
		r.sess.LastSeenAt = now
	}
	s.recent[id] = r
	return sess.Function, sess.TokenHash, nil
}

// live reports whether sess, with its latest unflushed use pending (zero when none), may
// still be used at now: it was used within ttl, and if it saw no request after its
// initialize, it was created within unused. A zero ttl or unused disables that rule.
func live(sess store.Session, pending, now time.Time, ttl, unused time.Duration) bool {
	last := sess.LastSeenAt
	if pending.After(last) {
		last = pending
	}
	if ttl > 0 && now.Sub(last) > ttl {
		return false
	}
	used := sess.Used() || !pending.IsZero()
	return used || unused <= 0 || now.Sub(sess.CreatedAt) <= unused
}

// Delete ends the session on every server sharing the store.
func (s *storeSessions) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	s.endLocked(id, time.Now())
	s.mu.Unlock()
	err := s.store.DeleteSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return mcp.ErrSessionNotFound
	}
	return err
}

// endLocked records that this server ended session id (s.mu held): it is refused from now
// on, without a store read, and its unflushed use is dropped.
func (s *storeSessions) endLocked(id string, now time.Time) {
	delete(s.seen, id)
	delete(s.recent, id)
	s.ended[id] = now
}

// flush writes the last-seen times noted since the previous flush, and forgets the
// sessions read from the store longer ago than sessionRecheck and those ended here longer
// ago than endedKept.
func (s *storeSessions) flush(ctx context.Context) error {
	now := time.Now()
	s.mu.Lock()
	for id, r := range s.recent {
		if now.Sub(r.at) >= sessionRecheck {
			delete(s.recent, id)
		}
	}
	for id, at := range s.ended {
		if now.Sub(at) >= endedKept {
			delete(s.ended, id)
		}
	}
	s.mu.Unlock()
	return s.flushWhere(ctx, func(pendingUse) bool { return true })
}

// flushBinding writes the unflushed uses of the sessions of one function and token hash.
func (s *storeSessions) flushBinding(ctx context.Context, function string, hash [32]byte) error {
	return s.flushWhere(ctx, func(u pendingUse) bool { return u.function == function && u.hash == hash })
}

// flushWhere writes the unflushed uses that match in one batch. On failure they are kept
// (the later of two times wins) and go out with the next flush.
func (s *storeSessions) flushWhere(ctx context.Context, match func(pendingUse) bool) error {
	batch := make(map[string]time.Time)
	s.mu.Lock()
	for id, u := range s.seen {
		if match(u) {
			batch[id] = u.at
		}
	}
	taken := make(map[string]pendingUse, len(batch))
	for id := range batch {
		taken[id] = s.seen[id]
		delete(s.seen, id)
	}
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := s.store.TouchSessions(ctx, batch)
	if err != nil {
		s.mu.Lock()
		for id, u := range taken {
			if u.at.After(s.seen[id].at) {
				s.seen[id] = u
			}
		}
		s.mu.Unlock()
	}
	return err
}

// sweep deletes sessions idle past the TTL or unused past the unused window, and returns
// how many.
func (s *storeSessions) sweep(ctx context.Context, now time.Time) (int, error) {
	var unusedBefore time.Time
	if s.unused > 0 {
		unusedBefore = now.Add(-s.unused)
	}
	return s.store.DeleteIdleSessions(ctx, now.Add(-s.ttl), unusedBefore)
}

// run flushes last-seen times every flushEvery (and at once after a session's first use)
// and sweeps expired sessions every sweepEvery until ctx ends, then flushes one last time.
// A flush or sweep that fails because the store does not answer goes to storeErr (the
// gateway's NoteStore, which logs an outage once when it starts and once when it ends);
// any other failure is logged here. Either is tried again at the next tick; the times wait
// in memory.
func (s *storeSessions) run(ctx context.Context, logger zerolog.Logger, flushEvery, sweepEvery time.Duration, storeErr func(error)) {
	flushTick := time.NewTicker(flushEvery)
	defer flushTick.Stop()
	sweepTick := time.NewTicker(sweepEvery)
	defer sweepTick.Stop()
	// failed reports err and whether the store is away.
	failed := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		if errors.Is(err, store.ErrUnreachable) {
			storeErr(fmt.Errorf("%s: %w", what, err))
			return true
		}
		logger.Warn().Err(err).Msg(what + " failed; will retry")
		return false
	}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			if err := s.flush(fctx); err != nil {
				logger.Warn().Err(err).Msg("recording MCP session use failed at shutdown")
			}
			cancel()
			return
		case <-s.kick:
			if err := s.flush(ctx); err != nil {
				failed("record MCP session use", err)
			}
		case <-flushTick.C:
			if err := s.flush(ctx); err != nil {
				failed("record MCP session use", err)
			}
		case now := <-sweepTick.C:
			// Flush first, so a session in use here is not swept on its stored time alone.
			if err := s.flush(ctx); err != nil && failed("record MCP session use", err) {
				continue // the store is away: the sweep would fail too
			}
			n, err := s.sweep(ctx, now)
			switch {
			case err != nil:
				failed("remove idle MCP sessions", err)
			case n > 0:
				logger.Info().Int("sessions", n).Dur("ttl", s.ttl).Dur("unused_ttl", s.unused).Msg("removed expired MCP sessions")
			}
		}
	}
}
