package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
	"github.com/jfnhq/jfn/openapi"
)

const (
	// defaultSessionTTL is how long an MCP session may stay unused before it is removed.
	defaultSessionTTL = 24 * time.Hour
	// sessionFlushEvery is how often last-seen times go to the store in one batch.
	sessionFlushEvery = 5 * time.Second
	// sessionSweepEvery is how often sessions idle past the TTL are deleted.
	sessionSweepEvery = time.Minute
)

// storeSessions is mcp.SessionStore over the store, so that every server sharing the store
// (the CLI's SQLite file, or one PostgreSQL for many replicas) can check a session another
// server opened, and a DELETE anywhere ends it everywhere.
//
// Get is one indexed read per MCP request, with no cache: a cache would have to be
// invalidated by a DELETE on another replica. Get also notes the time in memory; flush
// writes those times in one TouchSessions batch, and sweep deletes sessions idle past ttl.
// Get refuses a session idle past ttl by itself, so a session never outlives the TTL by up
// to a sweep interval.
type storeSessions struct {
	store store.Sessions
	ttl   time.Duration

	mu   sync.Mutex
	seen map[string]time.Time // session id → last use not yet flushed
}

var _ mcp.SessionStore = (*storeSessions)(nil)

func newStoreSessions(st store.Sessions, ttl time.Duration) *storeSessions {
	return &storeSessions{store: st, ttl: ttl, seen: make(map[string]time.Time)}
}

// Create records a new session of function opened by the token whose hash is tokenHash.
func (s *storeSessions) Create(ctx context.Context, id, function string, tokenHash [32]byte) error {
	now := time.Now()
	_, err := s.store.CreateSession(ctx, store.Session{
		ID: id, Function: function, TokenHash: tokenHash, CreatedAt: now, LastSeenAt: now,
	}, 0)
	return err
}

// Get returns the session's function and token hash, or mcp.ErrSessionNotFound when it is
// unknown, ended, or idle past the TTL.
func (s *storeSessions) Get(ctx context.Context, id string) (string, [32]byte, error) {
	sess, err := s.store.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", [32]byte{}, mcp.ErrSessionNotFound
	}
	if err != nil {
		return "", [32]byte{}, err
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	last := sess.LastSeenAt
	if pending := s.seen[id]; pending.After(last) {
		last = pending
	}
	if s.ttl > 0 && now.Sub(last) > s.ttl {
		return "", [32]byte{}, mcp.ErrSessionNotFound
	}
	s.seen[id] = now
	return sess.Function, sess.TokenHash, nil
}

// Delete ends the session on every server sharing the store.
func (s *storeSessions) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	delete(s.seen, id)
	s.mu.Unlock()
	err := s.store.DeleteSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return mcp.ErrSessionNotFound
	}
	return err
}

// flush writes the last-seen times noted since the previous flush. On failure they are kept
// (the later of two times wins) and go out with the next flush.
func (s *storeSessions) flush(ctx context.Context) error {
	s.mu.Lock()
	batch := s.seen
	s.seen = make(map[string]time.Time)
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := s.store.TouchSessions(ctx, batch)
	if err != nil {
		s.mu.Lock()
		for id, at := range batch {
			if at.After(s.seen[id]) {
				s.seen[id] = at
			}
		}
		s.mu.Unlock()
	}
	return err
}

// sweep deletes sessions idle past the TTL and returns how many.
func (s *storeSessions) sweep(ctx context.Context, now time.Time) (int, error) {
	return s.store.DeleteIdleSessions(ctx, now.Add(-s.ttl), time.Time{})
}

// run flushes last-seen times every flushEvery and sweeps idle sessions every sweepEvery
// until ctx ends, then flushes one last time.
func (s *storeSessions) run(ctx context.Context, logger zerolog.Logger, flushEvery, sweepEvery time.Duration) {
	flushTick := time.NewTicker(flushEvery)
	defer flushTick.Stop()
	sweepTick := time.NewTicker(sweepEvery)
	defer sweepTick.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			if err := s.flush(fctx); err != nil {
				logger.Warn().Err(err).Msg("recording MCP session use failed at shutdown")
			}
			cancel()
			return
		case <-flushTick.C:
			if err := s.flush(ctx); err != nil && ctx.Err() == nil {
				logger.Warn().Err(err).Msg("recording MCP session use failed; will retry")
			}
		case now := <-sweepTick.C:
			// Flush first, so a session in use here is not swept on its stored time alone.
			if err := s.flush(ctx); err != nil && ctx.Err() == nil {
				logger.Warn().Err(err).Msg("recording MCP session use failed; will retry")
			}
			n, err := s.sweep(ctx, now)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn().Err(err).Msg("removing idle MCP sessions failed; will retry")
			case n > 0:
				logger.Info().Int("sessions", n).Dur("ttl", s.ttl).Msg("removed idle MCP sessions")
			}
		}
	}
}

// mcpFactory builds the /mcp handler of each function for gateway.Options.MCP: an
// mcp.Bridge over the shared sessions. A function whose bridge cannot be built gets no
// handler (its /mcp answers 404) and one log line; no other function is affected.
type mcpFactory struct {
	sessions       mcp.SessionStore
	client         *http.Client
	allowedOrigins []string
	publicHost     string // host name of the public URL ("" when it is a loopback address)
	domain         string // --domain: functions are also <name>.<domain>
	logger         zerolog.Logger
	// sign sets X-Jelou-Signature on a tool call's upstream request (gateway.Gateway.Sign).
	// It is set once, after the gateway is built and before anything serves.
	sign func(function string, r *http.Request, body []byte)

	mu   sync.Mutex
	live map[*mcp.Bridge]struct{} // built and not yet closed, for closeAll
}

// trackedBridge is an mcp.Bridge that leaves the factory's live set when the gateway closes
// it. SetSpec, EndTokenSessions and ServeHTTP, which the gateway uses, are the Bridge's.
type trackedBridge struct {
	*mcp.Bridge
	f *mcpFactory
}

// Close releases the bridge (the gateway calls it when it stops serving one).
func (b *trackedBridge) Close() {
	b.f.mu.Lock()
	delete(b.f.live, b.Bridge)
	b.f.mu.Unlock()
	b.Bridge.Close()
}

// closeAll closes every bridge still served. Open GET streams never end on their own, so a
// server shutting down calls it to let them go instead of waiting out its shutdown timeout;
// the sessions stay in the store for another server to carry on.
func (m *mcpFactory) closeAll() {
	m.mu.Lock()
	live := m.live
	m.live = make(map[*mcp.Bridge]struct{})
	m.mu.Unlock()
	for b := range live {
		b.Close()
	}
}

// hosts lists the names the function is reached under besides loopback ones (mcp.Options.Hosts).
func (m *mcpFactory) hosts(function string) []string {
	var hs []string
	if m.publicHost != "" {
		hs = append(hs, m.publicHost)
	}
	if m.domain != "" {
		hs = append(hs, function+"."+m.domain)
	}
	return hs
}

func newMCPFactory(sessions mcp.SessionStore, allowedOrigins []string, publicURL, domain string, logger zerolog.Logger) *mcpFactory {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64 // tool calls to one upstream reuse connections under load
	var publicHost string
	if u, err := url.Parse(publicURL); err == nil {
		publicHost = u.Hostname()
	}
	return &mcpFactory{
		publicHost:     publicHost,
		sessions:       sessions,
		client:         &http.Client{Transport: tr},
		allowedOrigins: allowedOrigins,
		domain:         domain,
		logger:         logger,
		live:           make(map[*mcp.Bridge]struct{}),
	}
}

// handler is the gateway.Options.MCP hook.
func (m *mcpFactory) handler(fn store.Function, spec *openapi.Spec) http.Handler {
	b, err := m.bridge(fn, spec)
	if err != nil {
		m.logger.Error().Str("function", fn.Name).Err(err).Msg("MCP endpoint unavailable")
		return nil // an untyped nil: the gateway then has no handler, not a nil *Bridge
	}
	m.mu.Lock()
	m.live[b] = struct{}{}
	m.mu.Unlock()
	return &trackedBridge{Bridge: b, f: m}
}

func (m *mcpFactory) bridge(fn store.Function, spec *openapi.Spec) (*mcp.Bridge, error) {
	up, err := url.Parse(fn.Upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return nil, fmt.Errorf("upstream %q is not an absolute http or https URL", fn.Upstream)
	}
	up.RawQuery, up.Fragment = "", ""
	return mcp.New(&mcp.Options{
		Function:       fn.Name,
		Upstream:       up,
		Timeout:        min(timeoutOf(fn), maxTimeout),
		Client:         m.client,
		Sessions:       m.sessions,
		AllowedOrigins: m.allowedOrigins,
		Hosts:          m.hosts(fn.Name),
		Public:         fn.Public,
		Logger:         m.logger,
		Signer: func(r *http.Request, body []byte) {
			if m.sign != nil {
				m.sign(fn.Name, r, body)
			}
		},
	}, spec)
}
