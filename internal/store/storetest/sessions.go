package storetest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
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
	if err := ss.CreateSession(t.Context(), sess); err != nil {
		t.Fatalf("CreateSession(%q for %q) error = %v", sess.ID, sess.Function, err)
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
	if err := ss.CreateSession(ctx, newSession("ghost")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateSession(unknown function) error = %v, want ErrNotFound", err)
	}
	putFunction(t, s, "probe")
	first := createSession(t, ss, newSession("probe"))
	dup := newSession("probe")
	dup.ID = first.ID
	if err := ss.CreateSession(ctx, dup); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateSession(taken id) error = %v, want a non-ErrNotFound error", err)
	}
	if d := diffSession(getSession(t, ss, first.ID), first); d != "" {
		t.Errorf("GetSession after a duplicate CreateSession: %s", d)
	}
	if err := ss.CreateSession(ctx, store.Session{Function: "probe"}); err == nil {
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

	n, err := ss.DeleteIdleSessions(ctx, now.Add(-24*time.Hour))
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
	if n, err := ss.DeleteIdleSessions(ctx, now.Add(-24*time.Hour)); err != nil || n != 0 {
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
	if _, err := ss.DeleteIdleSessions(ctx, b.LastSeenAt.Add(time.Millisecond)); err != nil {
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
