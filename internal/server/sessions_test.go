package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
)

// TestSessionLive drives the expiry rules storeSessions.Get applies to every request: the
// TTL since the last use, and the unused window for a session with no request after its
// initialize, with this server's unflushed use counting as one.
func TestSessionLive(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const ttl, unused = 24 * time.Hour, 10 * time.Minute
	session := func(created, lastSeen time.Duration) store.Session {
		return store.Session{CreatedAt: now.Add(-created), LastSeenAt: now.Add(-lastSeen)}
	}
	tests := []struct {
		name    string
		sess    store.Session
		pending time.Time
		want    bool
	}{
		{"unused, within the window", session(9*time.Minute, 9*time.Minute), time.Time{}, true},
		{"unused, at the window's end", session(unused, unused), time.Time{}, true},
		{"unused, past the window", session(11*time.Minute, 11*time.Minute), time.Time{}, false},
		{"used in the store, past the window", session(time.Hour, 59*time.Minute), time.Time{}, true},
		{"used here, not yet flushed", session(11*time.Minute, 11*time.Minute), now.Add(-10 * time.Minute), true},
		{"used, idle past the TTL", session(48*time.Hour, 25*time.Hour), time.Time{}, false},
		{"idle past the TTL in the store, used here since", session(48*time.Hour, 25*time.Hour), now.Add(-time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := live(tt.sess, tt.pending, now, ttl, unused); got != tt.want {
				t.Errorf("live(created %v, last seen %v, pending %v) = %v, want %v",
					tt.sess.CreatedAt, tt.sess.LastSeenAt, tt.pending, got, tt.want)
			}
		})
	}
}

// TestSessionReadsAreShortLived: a session read from the store serves later requests from
// memory, but one ended behind this server's back (another replica's DELETE) is refused
// within a second, and one ended through this server at once.
func TestSessionReadsAreShortLived(t *testing.T) {
	ctx := context.Background()
	st := sessionsStore(t)
	here := newStoreSessions(st, time.Hour, time.Hour, 0)
	other := newStoreSessions(st, time.Hour, time.Hour, 0) // another replica on the same store
	hash := [32]byte{1}
	for _, id := range []string{"a", "b"} {
		if _, err := here.Create(ctx, id, "fn", hash); err != nil {
			t.Fatal(err)
		}
		if fn, h, err := here.Get(ctx, id); err != nil || fn != "fn" || h != hash {
			t.Fatalf("Get(%s) = %q, %x, %v; want fn and its hash", id, fn, h, err)
		}
	}

	if err := other.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		_, _, err := here.Get(ctx, "a")
		if errors.Is(err, mcp.ErrSessionNotFound) {
			break
		}
		if err != nil || time.Since(start) > time.Second {
			t.Fatalf("Get of a session deleted on another server = %v after %v; want ErrSessionNotFound within 1 s", err, time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("a DELETE on another server was seen here after %v", time.Since(start).Round(time.Millisecond))

	if err := here.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := here.Get(ctx, "b"); !errors.Is(err, mcp.ErrSessionNotFound) {
		t.Errorf("Get right after this server's own Delete = %v, want ErrSessionNotFound", err)
	}
}

// countingSessions counts the session reads that reach the store.
type countingSessions struct {
	store.Sessions
	gets atomic.Int64
}

func (c *countingSessions) GetSession(ctx context.Context, id string) (store.Session, error) {
	c.gets.Add(1)
	return c.Sessions.GetSession(ctx, id)
}

// TestSessionGetsSpareTheStore: requests on a live session read it from the store once per
// sessionRecheck, not once per request.
func TestSessionGetsSpareTheStore(t *testing.T) {
	ctx := context.Background()
	st := sessionsStore(t)
	counted := &countingSessions{Sessions: st}
	s := newStoreSessions(counted, time.Hour, time.Hour, 0)
	if _, err := s.Create(ctx, "a", "fn", [32]byte{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const n = 200
	for range n {
		if _, _, err := s.Get(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	maxReads := int64(elapsed/sessionRecheck) + 1
	if got := counted.gets.Load(); got > maxReads {
		t.Errorf("%d Gets in %v read the store %d times, want at most %d (one per %v)", n, elapsed, got, maxReads, sessionRecheck)
	}
}

// slowGet holds its first GetSession answer until released: a store read in flight.
type slowGet struct {
	store.Sessions
	read, hold chan struct{}
	once       sync.Once
}

func (s *slowGet) GetSession(ctx context.Context, id string) (store.Session, error) {
	sess, err := s.Sessions.GetSession(ctx, id)
	s.once.Do(func() { close(s.read); <-s.hold })
	return sess, err
}

// TestSessionEndedHereStaysEnded: a session this server deleted is refused from the moment
// Delete returns, even when a store read begun before the DELETE answers after it.
func TestSessionEndedHereStaysEnded(t *testing.T) {
	ctx := context.Background()
	st := sessionsStore(t)
	slow := &slowGet{Sessions: st, read: make(chan struct{}), hold: make(chan struct{})}
	s := newStoreSessions(slow, time.Hour, time.Hour, 0)
	if _, err := s.Create(ctx, "a", "fn", [32]byte{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, _, err := s.Get(ctx, "a"); done <- err }() // a request in flight
	<-slow.read
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	close(slow.hold)
	if err := <-done; !errors.Is(err, mcp.ErrSessionNotFound) {
		t.Errorf("the request in flight during the DELETE got %v, want ErrSessionNotFound", err)
	}
	if _, _, err := s.Get(ctx, "a"); !errors.Is(err, mcp.ErrSessionNotFound) {
		t.Errorf("Get after Delete returned = %v, want ErrSessionNotFound", err)
	}
}

// countingTouches counts the writes of last-seen times.
type countingTouches struct {
	store.Sessions
	n atomic.Int64
}

func (c *countingTouches) TouchSessions(ctx context.Context, m map[string]time.Time) error {
	c.n.Add(1)
	return c.Sessions.TouchSessions(ctx, m)
}

// TestSessionFirstUseWrittenOnce: the first request after initialize is written at once;
// the requests after it wait for the periodic flush.
func TestSessionFirstUseWrittenOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := sessionsStore(t)
	counted := &countingTouches{Sessions: st}
	s := newStoreSessions(counted, time.Hour, time.Hour, 0)
	go s.run(ctx, zerolog.Nop(), time.Hour, time.Hour, func(error) {})
	if _, err := s.Create(ctx, "a", "fn", [32]byte{}); err != nil {
		t.Fatal(err)
	}
	for range 30 {
		if _, _, err := s.Get(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := counted.n.Load(); n != 1 {
		t.Errorf("30 requests on a new session wrote last-seen times %d times, want 1 (the first use)", n)
	}
}

// sessionsStore is a SQLite store in a temporary directory with one function, "fn".
func sessionsStore(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.PutFunction(context.Background(), store.Function{Name: "fn", Upstream: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	return st
}

// downSessions is a store that has gone away: every write and sweep fails.
type downSessions struct{ store.Sessions }

var errStoreDown = fmt.Errorf("%w: connection refused", store.ErrUnreachable)

func (downSessions) TouchSessions(context.Context, map[string]time.Time) error { return errStoreDown }
func (downSessions) DeleteIdleSessions(context.Context, time.Time, time.Time) (int, error) {
	return 0, errStoreDown
}

// TestSessionLoopReportsOutageOnce: while the store is down, the flush and sweep of every tick
// fail; they report it to the store watch (the gateway's, which logs an outage once) and do
// not log a warning per tick themselves.
func TestSessionLoopReportsOutageOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := sessionsStore(t)
	s := newStoreSessions(downSessions{st}, time.Hour, time.Hour, 0)
	if _, err := s.Create(ctx, "a", "fn", [32]byte{}); err != nil {
		cancel()
		t.Fatal(err)
	}
	logs, reported, stop := runSessionLoop(ctx, s, func(err error) bool { return errors.Is(err, errStoreDown) })
	for range 50 { // a session in use keeps a last-seen time to write
		if _, _, err := s.Get(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	stop()
	if n := reported.Load(); n < 2 {
		t.Errorf("the store watch was told of %d failures, want one per failed flush or sweep", n)
	}
	if n := strings.Count(logs.String(), `"level":"warn"`); n > 1 {
		t.Errorf("the session loop logged %d warnings during one outage, want at most one (at shutdown):\n%s", n, logs.String())
	}
}

// failingSessions is a store that answers but refuses the writes (a full disk, a read-only
// standby): no outage.
type failingSessions struct{ store.Sessions }

var errRefused = errors.New("could not extend file: No space left on device")

func (failingSessions) TouchSessions(context.Context, map[string]time.Time) error { return errRefused }

// TestSessionLoopOtherErrorsAreNoOutage: a flush the store refuses for another reason than
// being unreachable is logged, not reported as an outage (which would mark the store down
// and log "store reachable again" at the next ping), and the sweep still runs.
func TestSessionLoopOtherErrorsAreNoOutage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := sessionsStore(t)
	s := newStoreSessions(failingSessions{st}, 30*time.Millisecond, 0, 0)
	for _, id := range []string{"a", "idle"} {
		if _, err := s.Create(ctx, id, "fn", [32]byte{}); err != nil {
			t.Fatal(err)
		}
	}
	logs, reported, stop := runSessionLoop(ctx, s, func(error) bool { return true })
	jfntest.Eventually(t, 5*time.Second, "the sweep removes the idle session while flushes fail", func() bool {
		// Session a is in use, so every flush has a last-seen time to write, and fails.
		if _, _, err := s.Get(ctx, "a"); err != nil && !errors.Is(err, mcp.ErrSessionNotFound) {
			t.Fatal(err)
		}
		_, err := st.GetSession(ctx, "idle")
		return errors.Is(err, store.ErrNotFound)
	})
	cancel()
	stop()
	if n := reported.Load(); n != 0 {
		t.Errorf("the store watch was told of %d outages; the store answered", n)
	}
	if !strings.Contains(logs.String(), errRefused.Error()) {
		t.Errorf("the refused flush was not logged:\n%s", logs.String())
	}
}

// runSessionLoop runs s's loop with short ticks until ctx ends, keeping its log and counting
// the errors it reports as outages that count says to. stop waits for the loop to end.
func runSessionLoop(ctx context.Context, s *storeSessions, count func(error) bool) (logs *jfntest.SyncBuffer, reported *atomic.Int64, stop func()) {
	logs, reported = &jfntest.SyncBuffer{}, &atomic.Int64{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.run(ctx, zerolog.New(logs), 5*time.Millisecond, 10*time.Millisecond, func(err error) {
			if count(err) {
				reported.Add(1)
			}
		})
	}()
	return logs, reported, func() { <-done }
}
