package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

// sessionsOf returns s as a store.Sessions, failing the test when it is not one.
func sessionsOf(t *testing.T, s store.Store) store.Sessions {
	t.Helper()
	ss, ok := s.(store.Sessions)
	if !ok {
		t.Fatalf("%T does not implement store.Sessions", s)
	}
	return ss
}

// newSession returns a session of function with a fresh id and token hash, created at a
// fixed, millisecond-aligned time in UTC so it compares equal after a round trip.
func newSession(function string) store.Session {
	var id [16]byte
	rand.Read(id[:])
	at := time.Now().Truncate(time.Millisecond).UTC()
	return store.Session{
		ID:         base64.RawURLEncoding.EncodeToString(id[:]),
		Function:   function,
		TokenHash:  newHash(),
		CreatedAt:  at,
		LastSeenAt: at,
	}
}

func createSession(t *testing.T, ss store.Sessions, sess store.Session) store.Session {
	t.Helper()
	evicted, err := ss.CreateSession(t.Context(), sess, 0)
	if err != nil {
		t.Fatalf("CreateSession(%q for %q) error = %v", sess.ID, sess.Function, err)
	}
	if len(evicted) != 0 {
		t.Fatalf("CreateSession(%q for %q) evicted %q, want none under the default limit", sess.ID, sess.Function, evicted)
	}
	return sess
}

func diffSession(got, want store.Session) string {
	var d string
	if got.ID != want.ID {
		d += fmt.Sprintf("ID = %q, want %q; ", got.ID, want.ID)
	}
	if got.Function != want.Function {
		d += fmt.Sprintf("Function = %q, want %q; ", got.Function, want.Function)
	}
	if got.TokenHash != want.TokenHash {
		d += fmt.Sprintf("TokenHash = %x, want %x; ", got.TokenHash, want.TokenHash)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		d += fmt.Sprintf("CreatedAt = %v, want %v in UTC; ", got.CreatedAt, want.CreatedAt)
	}
	if !got.LastSeenAt.Equal(want.LastSeenAt) || got.LastSeenAt.Location() != time.UTC {
		d += fmt.Sprintf("LastSeenAt = %v, want %v in UTC; ", got.LastSeenAt, want.LastSeenAt)
	}
	return d
}

func getSession(t *testing.T, ss store.Sessions, id string) store.Session {
	t.Helper()
	got, err := ss.GetSession(t.Context(), id)
	if err != nil {
		t.Fatalf("GetSession(%q) error = %v", id, err)
	}
	return got
}

func wantNoSession(t *testing.T, ss store.Sessions, id, why string) {
	t.Helper()
	if _, err := ss.GetSession(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession(%q) %s: error = %v, want ErrNotFound", id, why, err)
	}
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	putFunction(t, s, "probe")
	quito := time.FixedZone("ECT", -5*3600)
	in := newSession("probe")
	in.CreatedAt = time.Date(2025, 3, 4, 5, 6, 7, 891_234_567, quito)
	in.LastSeenAt = time.Date(2025, 3, 4, 6, 0, 0, 999_999_999, quito)
	createSession(t, ss, in)

	want := in
	want.CreatedAt = in.CreatedAt.Truncate(time.Millisecond)
	want.LastSeenAt = in.LastSeenAt.Truncate(time.Millisecond)
	if d := diffSession(getSession(t, ss, in.ID), want); d != "" {
		t.Errorf("GetSession(%q) does not round-trip: %s", in.ID, d)
	}

	// A public function's sessions are bound to the all-zero hash.
	public := newSession("probe")
	public.TokenHash = [32]byte{}
	createSession(t, ss, public)
	if got := getSession(t, ss, public.ID); got.TokenHash != [32]byte{} {
		t.Errorf("GetSession(public session).TokenHash = %x, want zeros", got.TokenHash)
	}
}

func testSessionDefaults(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	putFunction(t, s, "probe")
	before := time.Now()
	in := newSession("probe")
	in.CreatedAt, in.LastSeenAt = time.Time{}, time.Time{}
	createSession(t, ss, in)
	got := getSession(t, ss, in.ID)
	checkNow(t, "CreatedAt defaulted by CreateSession", got.CreatedAt, before)
	if !got.LastSeenAt.Equal(got.CreatedAt) {
		t.Errorf("LastSeenAt defaulted by CreateSession = %v, want CreatedAt %v", got.LastSeenAt, got.CreatedAt)
	}
}

func testCreateSessionErrors(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	ctx := t.Context()
	if _, err := ss.CreateSession(ctx, newSession("ghost"), 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateSession(unknown function) error = %v, want ErrNotFound", err)
	}
	putFunction(t, s, "probe")
	first := createSession(t, ss, newSession("probe"))
	dup := newSession("probe")
	dup.ID = first.ID
	if _, err := ss.CreateSession(ctx, dup, 0); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateSession(taken id) error = %v, want a non-ErrNotFound error", err)
	}
	if d := diffSession(getSession(t, ss, first.ID), first); d != "" {
		t.Errorf("GetSession after a duplicate CreateSession: %s", d)
	}
	if _, err := ss.CreateSession(ctx, store.Session{Function: "probe"}, 0); err == nil {
		t.Errorf("CreateSession(empty id) error = nil, want an error")
	}
}

func testDeleteSession(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	ctx := t.Context()
	putFunction(t, s, "probe")
	wantNoSession(t, ss, "never-created", "for an unknown id")
	gone := createSession(t, ss, newSession("probe"))
	kept := createSession(t, ss, newSession("probe"))
	if err := ss.DeleteSession(ctx, gone.ID); err != nil {
		t.Fatalf("DeleteSession(%q) error = %v", gone.ID, err)
	}
	wantNoSession(t, ss, gone.ID, "after DeleteSession")
	if err := ss.DeleteSession(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteSession(%q) again: error = %v, want ErrNotFound", gone.ID, err)
	}
	getSession(t, ss, kept.ID) // the other session is untouched
}

func testDeleteFunctionDeletesSessions(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	putFunction(t, s, "probe")
	putFunction(t, s, "other")
	gone := createSession(t, ss, newSession("probe"))
	kept := createSession(t, ss, newSession("other"))
	if err := s.DeleteFunction(t.Context(), "probe"); err != nil {
		t.Fatalf("DeleteFunction(probe) error = %v", err)
	}
	wantNoSession(t, ss, gone.ID, "after its function was deleted")
	getSession(t, ss, kept.ID)

	// A revoked token's sessions stay: the token check refuses the token first.
	tok := createToken(t, s, newToken("other", "default"))
	sess := newSession("other")
	sess.TokenHash = tok.Hash
	createSession(t, ss, sess)
	if _, err := s.RevokeToken(t.Context(), "other", tok.ID); err != nil {
		t.Fatalf("RevokeToken error = %v", err)
	}
	getSession(t, ss, sess.ID)
}

func testTouchSessions(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	ctx := t.Context()
	putFunction(t, s, "probe")
	a := createSession(t, ss, newSession("probe"))
	b := createSession(t, ss, newSession("probe"))

	later := a.LastSeenAt.Add(90 * time.Second)
	err := ss.TouchSessions(ctx, map[string]time.Time{
		a.ID:      later.Add(123_456 * time.Nanosecond), // stored to the millisecond
		b.ID:      {},                                   // zero: ignored
		"unknown": later,
	})
	if err != nil {
		t.Fatalf("TouchSessions error = %v", err)
	}
	if got := getSession(t, ss, a.ID).LastSeenAt; !got.Equal(later) {
		t.Errorf("LastSeenAt after TouchSessions = %v, want %v", got, later)
	}
	if got := getSession(t, ss, b.ID).LastSeenAt; !got.Equal(b.LastSeenAt) {
		t.Errorf("LastSeenAt after a zero touch = %v, want unchanged %v", got, b.LastSeenAt)
	}

	// An older time, as a slower replica may flush, never moves it back.
	if err := ss.TouchSessions(ctx, map[string]time.Time{a.ID: later.Add(-time.Minute)}); err != nil {
		t.Fatalf("TouchSessions(older) error = %v", err)
	}
	if got := getSession(t, ss, a.ID).LastSeenAt; !got.Equal(later) {
		t.Errorf("LastSeenAt after an older touch = %v, want still %v", got, later)
	}
	if err := ss.TouchSessions(ctx, nil); err != nil {
		t.Errorf("TouchSessions(nil) error = %v, want nil", err)
	}
}

func testDeleteIdleSessions(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	ctx := t.Context()
	putFunction(t, s, "probe")
	now := time.Now().Truncate(time.Millisecond).UTC()
	at := func(ago time.Duration) store.Session {
		sess := newSession("probe")
		sess.CreatedAt = now.Add(-48 * time.Hour)
		sess.LastSeenAt = now.Add(-ago)
		return createSession(t, ss, sess)
	}
	idle := at(25 * time.Hour)
	edge := at(24 * time.Hour) // last seen exactly at the cut-off: not before it, so kept
	fresh := at(time.Minute)
	revived := at(30 * time.Hour)
	if err := ss.TouchSessions(ctx, map[string]time.Time{revived.ID: now}); err != nil {
		t.Fatalf("TouchSessions error = %v", err)
	}

	n, err := ss.DeleteIdleSessions(ctx, now.Add(-24*time.Hour), time.Time{})
	if err != nil {
		t.Fatalf("DeleteIdleSessions error = %v", err)
	}
	if n != 1 {
		t.Errorf("DeleteIdleSessions = %d, want 1", n)
	}
	wantNoSession(t, ss, idle.ID, "after DeleteIdleSessions")
	for _, kept := range []store.Session{edge, fresh, revived} {
		getSession(t, ss, kept.ID)
	}
	if n, err := ss.DeleteIdleSessions(ctx, now.Add(-24*time.Hour), time.Time{}); err != nil || n != 0 {
		t.Errorf("DeleteIdleSessions again = %d, %v; want 0, nil", n, err)
	}
}

// testWatchIgnoresSessions: sessions are opened and used all the time; if that woke Watch,
// every MCP initialize on any server would make every server reload its snapshot.
func testWatchIgnoresSessions(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	ctx := t.Context()
	putFunction(t, s, "probe")
	ch := watch(t, s)
	drain(ch)
	// Let a signal for putFunction still in flight (PostgreSQL's NOTIFY) arrive first.
	_ = waitSignal(ch, ChangeDeadline/4)
	drain(ch)

	a := createSession(t, ss, newSession("probe"))
	b := createSession(t, ss, newSession("probe"))
	if err := ss.TouchSessions(ctx, map[string]time.Time{a.ID: time.Now()}); err != nil {
		t.Fatalf("TouchSessions error = %v", err)
	}
	if err := ss.DeleteSession(ctx, a.ID); err != nil {
		t.Fatalf("DeleteSession error = %v", err)
	}
	if _, err := ss.DeleteIdleSessions(ctx, b.LastSeenAt.Add(time.Millisecond), time.Now()); err != nil {
		t.Fatalf("DeleteIdleSessions error = %v", err)
	}
	quiet := time.NewTimer(ChangeDeadline + ChangeDeadline/4)
	defer quiet.Stop()
	select {
	case _, ok := <-ch:
		if ok {
			t.Errorf("Watch signalled after session calls, want no signal")
		} else {
			t.Fatalf("Watch channel closed while its context is live")
		}
	case <-quiet.C:
	}
	putFunction(t, s, "after-sessions")
	if err := waitSignal(ch, ChangeDeadline); err != nil {
		t.Errorf("Watch after PutFunction (following session calls): %v", err)
	}
}

// createBounded creates sess under limit and returns the ids it evicted.
func createBounded(t *testing.T, ss store.Sessions, sess store.Session, limit int) []string {
	t.Helper()
	evicted, err := ss.CreateSession(t.Context(), sess, limit)
	if err != nil {
		t.Fatalf("CreateSession(%q, limit %d) error = %v", sess.ID, limit, err)
	}
	return evicted
}

// bound returns a session of function bound to hash, created and last seen at at.
func bound(function string, hash [32]byte, at time.Time) store.Session {
	sess := newSession(function)
	sess.TokenHash = hash
	sess.CreatedAt, sess.LastSeenAt = at, at
	return sess
}

// testSessionsCappedPerToken: one more session than the limit evicts the least recently
// used of the same function and token hash, and only that one.
func testSessionsCappedPerToken(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	putFunction(t, s, "probe")
	putFunction(t, s, "other")
	const limit = 3
	hash, otherHash := newHash(), newHash()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()

	// Older than all of hash's: a cap counted per function, or across functions, would
	// evict these first.
	neighbours := []store.Session{
		createSession(t, ss, bound("probe", otherHash, base)),
		createSession(t, ss, bound("other", hash, base)),
		createSession(t, ss, bound("probe", [32]byte{}, base)),
	}
	var mine []store.Session
	for i := range limit {
		sess := bound("probe", hash, base.Add(time.Duration(i+1)*time.Minute))
		if ev := createBounded(t, ss, sess, limit); len(ev) != 0 {
			t.Fatalf("CreateSession #%d (limit %d) evicted %q, want none", i+1, limit, ev)
		}
		mine = append(mine, sess)
	}
	extra := bound("probe", hash, base.Add(10*time.Minute))
	if ev := createBounded(t, ss, extra, limit); len(ev) != 1 || ev[0] != mine[0].ID {
		t.Errorf("CreateSession #%d (limit %d) evicted %q, want [%q] (the least recently used)", limit+1, limit, ev, mine[0].ID)
	}
	wantNoSession(t, ss, mine[0].ID, "after it was evicted")
	for _, kept := range append(mine[1:], extra) {
		getSession(t, ss, kept.ID)
	}
	for _, kept := range neighbours {
		getSession(t, ss, kept.ID)
	}

	// The new session is kept even when it is the oldest of its binding.
	old := bound("probe", hash, base.Add(-time.Hour))
	if ev := createBounded(t, ss, old, limit); len(ev) != 1 || ev[0] != mine[1].ID {
		t.Errorf("CreateSession(an old session, limit %d) evicted %q, want [%q]", limit, ev, mine[1].ID)
	}
	getSession(t, ss, old.ID)

	// Rows over the limit (a lower limit than before) all go at the next creation.
	if ev := createBounded(t, ss, bound("probe", hash, base.Add(20*time.Minute)), 1); len(ev) != limit {
		t.Errorf("CreateSession(limit 1) with %d others evicted %q, want all %d", limit, ev, limit)
	}
}

// testSessionEvictionLeastRecentlyUsed: eviction follows the last use recorded by
// TouchSessions, not the creation order.
func testSessionEvictionLeastRecentlyUsed(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	putFunction(t, s, "probe")
	const limit = 3
	hash := newHash()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()
	var sess []store.Session
	for i := range limit {
		sess = append(sess, createSession(t, ss, bound("probe", hash, base.Add(time.Duration(i)*time.Second))))
	}
	// The oldest is used last; the second oldest becomes the least recently used.
	if err := ss.TouchSessions(t.Context(), map[string]time.Time{
		sess[0].ID: base.Add(time.Minute),
		sess[2].ID: base.Add(30 * time.Second),
	}); err != nil {
		t.Fatalf("TouchSessions error = %v", err)
	}
	if ev := createBounded(t, ss, bound("probe", hash, base.Add(2*time.Minute)), limit); len(ev) != 1 || ev[0] != sess[1].ID {
		t.Errorf("CreateSession (limit %d) evicted %q, want [%q] (least recently used)", limit, ev, sess[1].ID)
	}
	getSession(t, ss, sess[0].ID)
	getSession(t, ss, sess[2].ID)
}

// testSessionsCappedConcurrently: sessions of one binding created at the same moment, on
// every connection the store has, still leave no more than the limit. Each round releases
// the creators together and then counts: a later creation would hide an excess (it evicts
// down to the limit), so the count is taken after every burst. Under PostgreSQL's READ
// COMMITTED, creations without a lock would each miss the others' uncommitted rows.
func testSessionsCappedConcurrently(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	putFunction(t, s, "probe")
	const (
		limit   = 2
		workers = 6
		rounds  = 40
	)
	hash := newHash()
	var ids []string
	for round := range rounds {
		var (
			mu  sync.Mutex
			wg  sync.WaitGroup
			err error
		)
		gate := make(chan struct{})
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sess := newSession("probe")
				sess.TokenHash = hash
				<-gate
				_, cerr := ss.CreateSession(context.Background(), sess, limit)
				mu.Lock()
				defer mu.Unlock()
				if cerr != nil {
					err = cerr
					return
				}
				ids = append(ids, sess.ID)
			}()
		}
		close(gate)
		wg.Wait()
		if err != nil {
			t.Fatalf("round %d: concurrent CreateSession error = %v", round, err)
		}
		live := 0
		for _, id := range ids {
			if _, err := ss.GetSession(t.Context(), id); err == nil {
				live++
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("GetSession error = %v", err)
			}
		}
		if live != limit {
			t.Fatalf("round %d: after %d concurrent CreateSession calls of one binding with limit %d, %d sessions live, want %d",
				round, workers, limit, live, limit)
		}
	}
}

// testTouchMarksSessionUsed: any touch makes a session Used, even at its creation time.
func testTouchMarksSessionUsed(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	putFunction(t, s, "probe")
	sess := createSession(t, ss, newSession("probe"))
	if got := getSession(t, ss, sess.ID); got.Used() {
		t.Errorf("a new session: Used() = true (LastSeenAt %v, CreatedAt %v), want false", got.LastSeenAt, got.CreatedAt)
	}
	if err := ss.TouchSessions(t.Context(), map[string]time.Time{sess.ID: sess.CreatedAt}); err != nil {
		t.Fatalf("TouchSessions error = %v", err)
	}
	got := getSession(t, ss, sess.ID)
	if !got.Used() {
		t.Errorf("a session touched at its creation time: Used() = false (LastSeenAt %v), want true", got.LastSeenAt)
	}
	if want := sess.CreatedAt.Add(time.Millisecond); !got.LastSeenAt.Equal(want) {
		t.Errorf("LastSeenAt after a touch at CreatedAt = %v, want %v", got.LastSeenAt, want)
	}
}

// testDeleteUnusedSessions: a session that saw no request after initialize goes at the
// unused cut-off; a used one only at the idle cut-off.
func testDeleteUnusedSessions(t *testing.T, s store.Store) {
	ss := sessionsOf(t, s)
	ctx := t.Context()
	putFunction(t, s, "probe")
	now := time.Now().Truncate(time.Millisecond).UTC()
	unusedAt := func(ago time.Duration) store.Session {
		sess := newSession("probe")
		sess.CreatedAt, sess.LastSeenAt = now.Add(-ago), now.Add(-ago)
		return createSession(t, ss, sess)
	}
	stale := unusedAt(11 * time.Minute)
	edge := unusedAt(10 * time.Minute) // created exactly at the cut-off: kept
	young := unusedAt(time.Minute)
	usedOnce := unusedAt(20 * time.Minute)
	if err := ss.TouchSessions(ctx, map[string]time.Time{usedOnce.ID: usedOnce.CreatedAt.Add(time.Second)}); err != nil {
		t.Fatalf("TouchSessions error = %v", err)
	}

	n, err := ss.DeleteIdleSessions(ctx, now.Add(-24*time.Hour), now.Add(-10*time.Minute))
	if err != nil {
		t.Fatalf("DeleteIdleSessions error = %v", err)
	}
	if n != 1 {
		t.Errorf("DeleteIdleSessions = %d, want 1", n)
	}
	wantNoSession(t, ss, stale.ID, "unused past the unused cut-off")
	for _, kept := range []store.Session{edge, young, usedOnce} {
		getSession(t, ss, kept.ID)
	}
	// Without an unused cut-off, only idleness counts.
	old := unusedAt(time.Hour)
	if n, err := ss.DeleteIdleSessions(ctx, now.Add(-24*time.Hour), time.Time{}); err != nil || n != 0 {
		t.Errorf("DeleteIdleSessions(no unused cut-off) = %d, %v; want 0, nil", n, err)
	}
	getSession(t, ss, old.ID)
}
