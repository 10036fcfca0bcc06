package mcp

import (
	"sync"
	"sync/atomic"
	"time"
)

// Outcomes of a tool call, as Observer.ToolCall reports them.
const (
	// OutcomeOK: the upstream answered 2xx and the result is not an error.
	OutcomeOK = "ok"
	// OutcomeToolError: the call completed but its result is an error: a non-2xx answer, an
	// answer that does not match the output schema or is too large, or a request that could
	// not be prepared.
	OutcomeToolError = "tool_error"
	// OutcomeUpstreamError: the upstream could not be reached, or its answer not read.
	OutcomeUpstreamError = "upstream_error"
	// OutcomeTimeout: no complete answer within the function's timeout.
	OutcomeTimeout = "timeout"
	// OutcomeInvalidArguments: the arguments failed validation (or could not be turned into
	// a request); nothing was sent upstream.
	OutcomeInvalidArguments = "invalid_arguments"
)

// Observer receives what a Bridge does, for metrics. The package does not depend on any
// metrics library: the gateway implements Observer with its own. Methods are called on the
// request path, concurrently, and must be fast.
type Observer interface {
	// ToolCall reports a finished tools/call of a tool in the current tool set (a call of
	// an unknown tool is a protocol error and is not reported, nor is a call the client
	// cancelled). upstream is the time spent on the upstream call, zero when nothing was
	// sent.
	ToolCall(tool, outcome string, upstream time.Duration)
	// Sessions reports sessions opened (+1, on initialize) or ended (−1: DELETE, the idle
	// sweep, a revoked token, Close) by this Bridge in this process. A session opened on
	// another replica and ended here is not reported, so the running sum never goes
	// negative.
	Sessions(delta int)
	// Streams reports GET streams opened (+1) and closed (−1).
	Streams(delta int)
}

// SetObserver makes o receive the Bridge's events from now on (nil stops them). It is safe
// to call at any time; the gateway calls it once, before it serves the Bridge. It replaces
// Options.Observer.
func (b *Bridge) SetObserver(o Observer) { b.obs.set(o) }

// observerSlot holds the current Observer; a nil slot value means none.
type observerSlot struct{ p atomic.Pointer[observerBox] }

type observerBox struct{ o Observer }

func (s *observerSlot) set(o Observer) {
	if o == nil {
		s.p.Store(nil)
		return
	}
	s.p.Store(&observerBox{o})
}

// get returns the current Observer, or a no-op one.
func (s *observerSlot) get() Observer {
	if box := s.p.Load(); box != nil {
		return box.o
	}
	return noObserver{}
}

type noObserver struct{}

func (noObserver) ToolCall(string, string, time.Duration) {}
func (noObserver) Sessions(int)                           {}
func (noObserver) Streams(int)                            {}

// sessionTracker knows the sessions this Bridge opened in this process and has not seen
// end, so that Observer.Sessions counts each exactly once up and once down.
//
// A session ends by DELETE, by its token's revocation, when the Bridge closes, or after
// ttl without a request: the tracker expires those itself, because mcp-go's own idle sweep
// only knows sessions it has served a request of (initialize is answered before it, see
// initialize.go). Expired entries are dropped when a later session opens, at most every
// ttl/2, so that no timer runs per Bridge.
type sessionTracker struct {
	obs    *observerSlot
	ttl    time.Duration
	mu     sync.RWMutex
	m      map[string]*trackedSession
	swept  time.Time // of the last expiry pass
	closed bool      // after endAll: a late initialize is not counted
}

type trackedSession struct {
	hash [32]byte     // of the token the session is bound to
	last atomic.Int64 // time of its last request, in Unix nanoseconds
}

func (t *sessionTracker) init(obs *observerSlot) {
	t.obs = obs
	t.ttl = idleTTL
	t.m = make(map[string]*trackedSession)
	t.swept = time.Now()
}

// opened records a session created by this Bridge.
func (t *sessionTracker) opened(id string, tokenHash [32]byte) {
	now := time.Now()
	ts := &trackedSession{hash: tokenHash}
	ts.last.Store(now.UnixNano())
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.m[id] = ts
	expired := 0
	if now.Sub(t.swept) >= t.ttl/2 {
		expired = t.expireLocked(now)
	}
	t.mu.Unlock()
	t.obs.get().Sessions(1 - expired)
}

// used notes a request of session id.
func (t *sessionTracker) used(id string) {
	t.mu.RLock()
	ts := t.m[id]
	t.mu.RUnlock()
	if ts != nil {
		ts.last.Store(time.Now().UnixNano())
	}
}

// expireLocked forgets the sessions idle for ttl and returns how many. t.mu is held.
func (t *sessionTracker) expireLocked(now time.Time) int {
	t.swept = now
	cutoff := now.Add(-t.ttl).UnixNano()
	n := 0
	for id, ts := range t.m {
		if ts.last.Load() < cutoff {
			delete(t.m, id)
			n++
		}
	}
	return n
}

// ended forgets the session id, if this Bridge opened it.
func (t *sessionTracker) ended(id string) {
	t.mu.Lock()
	_, ok := t.m[id]
	delete(t.m, id)
	t.mu.Unlock()
	if ok {
		t.obs.get().Sessions(-1)
	}
}

// endToken forgets every session bound to tokenHash: a revoked token's sessions are over.
func (t *sessionTracker) endToken(tokenHash [32]byte) {
	n := 0
	t.mu.Lock()
	for id, ts := range t.m {
		if ts.hash == tokenHash {
			delete(t.m, id)
			n++
		}
	}
	t.mu.Unlock()
	if n > 0 {
		t.obs.get().Sessions(-n)
	}
}

// endAll forgets every session, when the Bridge closes.
func (t *sessionTracker) endAll() {
	t.mu.Lock()
	n := len(t.m)
	clear(t.m)
	t.closed = true
	t.mu.Unlock()
	if n > 0 {
		t.obs.get().Sessions(-n)
	}
}

// count returns the number of sessions tracked.
func (t *sessionTracker) count() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}
