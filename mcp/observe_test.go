package mcp

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

// recorder is an Observer that keeps what it was told.
type recorder struct {
	mu       sync.Mutex
	calls    map[string]int // "tool outcome" → count
	upstream map[string]time.Duration
	sessions int
	streams  int
}

func newRecorder() *recorder {
	return &recorder{calls: map[string]int{}, upstream: map[string]time.Duration{}}
}

func (r *recorder) ToolCall(tool, outcome string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[tool+" "+outcome]++
	r.upstream[tool+" "+outcome] += d
}

func (r *recorder) Sessions(delta int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions += delta
}

func (r *recorder) Streams(delta int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streams += delta
}

func (r *recorder) snapshot() (calls map[string]int, upstream map[string]time.Duration, sessions, streams int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls = map[string]int{}
	for k, v := range r.calls {
		calls[k] = v
	}
	upstream = map[string]time.Duration{}
	for k, v := range r.upstream {
		upstream[k] = v
	}
	return calls, upstream, r.sessions, r.streams
}

func TestObserverToolCalls(t *testing.T) {
	rec := newRecorder()
	h := newHarness(t, func(o *Options) { o.Observer = rec })
	c := h.sessionClient(t, h.tokA)

	mcptest.CallTool(t, c, "getPet", map[string]any{"id": "1"})    // 200 → ok
	mcptest.CallTool(t, c, "getPet", map[string]any{"id": "7"})    // 404 → tool_error
	mcptest.CallTool(t, c, "createPet", map[string]any{"age": -1}) // no name → invalid_arguments
	mcptest.CallTool(t, c, "slowPet", nil)                         // 1 s timeout → timeout
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: "nope"}}); err == nil {
		t.Error("CallTool(nope) succeeded, want a JSON-RPC error")
	}

	calls, upstream, _, _ := rec.snapshot()
	want := map[string]int{
		"getPet " + OutcomeOK:                  1,
		"getPet " + OutcomeToolError:           1,
		"createPet " + OutcomeInvalidArguments: 1,
		"slowPet " + OutcomeTimeout:            1,
	}
	for k, n := range want {
		if calls[k] != n {
			t.Errorf("ToolCall(%s) reported %d times, want %d (all: %v)", k, calls[k], n, calls)
		}
	}
	if len(calls) != len(want) {
		t.Errorf("ToolCall reports = %v, want exactly %v (an unknown tool is not reported)", calls, want)
	}
	if d := upstream["createPet "+OutcomeInvalidArguments]; d != 0 {
		t.Errorf("upstream time of an invalid call = %v, want 0 (nothing was sent)", d)
	}
	if d := upstream["slowPet "+OutcomeTimeout]; d < 900*time.Millisecond {
		t.Errorf("upstream time of a timed-out call = %v, want about the 1 s timeout", d)
	}
	if d := upstream["getPet "+OutcomeOK]; d <= 0 {
		t.Errorf("upstream time of an ok call = %v, want > 0", d)
	}
}

func TestObserverUpstreamError(t *testing.T) {
	rec := newRecorder()
	h := newHarness(t, func(o *Options) { o.Observer = rec })
	h.up.Close() // the upstream is gone
	c := h.sessionClient(t, h.tokA)
	mcptest.CallTool(t, c, "getPet", map[string]any{"id": "1"})
	if calls, _, _, _ := rec.snapshot(); calls["getPet "+OutcomeUpstreamError] != 1 {
		t.Errorf("ToolCall reports = %v, want getPet upstream_error once", calls)
	}
}

// TestObserverSessionsAndStreams follows the session and stream counts through initialize,
// a GET stream, DELETE, a revoked token, the idle sweep's Terminate and Close.
func TestObserverSessionsAndStreams(t *testing.T) {
	rec := newRecorder()
	h := newHarness(t, nil)
	h.bridge.SetObserver(rec) // as the gateway does, after New
	counts := func() (int, int) { _, _, s, st := rec.snapshot(); return s, st }

	// The mcp-go client opens a session and its GET stream.
	h.sessionClient(t, h.tokA)
	jfntest.Eventually(t, 5*time.Second, "the client's GET stream", func() bool { _, st := counts(); return st == 1 })
	if s, _ := counts(); s != 1 {
		t.Fatalf("sessions after initialize = %d, want 1", s)
	}

	// A raw session, ended with DELETE.
	id := h.openSession(t, h.tokA)
	if s, _ := counts(); s != 2 {
		t.Fatalf("sessions after a second initialize = %d, want 2", s)
	}
	if resp, body := h.rawRequest(t, http.MethodDelete, h.tokA, id, "2025-06-18", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE = %d %s, want 200", resp.StatusCode, body)
	}
	if s, _ := counts(); s != 1 {
		t.Errorf("sessions after DELETE = %d, want 1", s)
	}
	// A second DELETE of the same id, or of an id never opened here, counts nothing.
	h.bridge.sessions.ended(id)
	shutdownManager{&h.bridge.sessions}.Terminate("elsewhere")
	if s, _ := counts(); s != 1 {
		t.Errorf("sessions after ending unknown ids = %d, want 1", s)
	}

	// The idle sweep ends a session through the manager mcp-go resolves without a request.
	idle := h.openSession(t, h.tokB)
	mgr := sessionResolver{tracker: &h.bridge.sessions}.ResolveSessionIdManager(nil)
	if _, err := mgr.Terminate(idle); err != nil {
		t.Fatalf("sweep Terminate = %v", err)
	}
	if s, _ := counts(); s != 1 {
		t.Errorf("sessions after the idle sweep = %d, want 1", s)
	}

	// A revoked token's sessions and streams end.
	h.bridge.EndTokenSessions(auth.Hash(h.tokA))
	jfntest.Eventually(t, 5*time.Second, "the GET stream to close", func() bool { _, st := counts(); return st == 0 })
	if s, _ := counts(); s != 0 {
		t.Errorf("sessions after revoking the token = %d, want 0", s)
	}

	// Close ends the rest.
	h.openSession(t, h.tokB)
	h.openSession(t, h.tokB)
	if s, _ := counts(); s != 2 {
		t.Fatalf("sessions = %d, want 2", s)
	}
	h.bridge.Close()
	if s, st := counts(); s != 0 || st != 0 {
		t.Errorf("after Close: sessions %d streams %d, want 0 0", s, st)
	}
	if n := h.bridge.sessions.count(); n != 0 {
		t.Errorf("tracked sessions after Close = %d, want 0", n)
	}
}
