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
type sessionTracker struct {
	obs    *observerSlot
	mu     sync.Mutex
	m      map[string][32]byte // session id → the token hash it is bound to
	closed bool                // after endAll: a late initialize is not counted
}

func (t *sessionTracker) init(obs *observerSlot) {
	t.obs = obs
	t.m = make(map[string][32]byte)
}

// opened records a session created by this Bridge.
func (t *sessionTracker) opened(id string, tokenHash [32]byte) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.m[id] = tokenHash
	t.mu.Unlock()
	t.obs.get().Sessions(1)
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
	for id, h := range t.m {
		if h == tokenHash {
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
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
