package gateway

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
)

// fakeBridge is an MCP handler with the optional methods mcp.Bridge has.
type fakeBridge struct {
	stubMCP  // what the tests do not watch
	fn       string
	upstream string
	mu       sync.Mutex
	specs    int // SetSpec calls
	ended    [][sha256.Size]byte
	closed   bool
}

func (b *fakeBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusAccepted)
}

func (b *fakeBridge) SetSpec(*apiSpec) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.specs++
	return true
}

func (b *fakeBridge) EndTokenSessions(h [sha256.Size]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ended = append(b.ended, h)
}

func (b *fakeBridge) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
}

func (b *fakeBridge) state() (specs int, ended [][sha256.Size]byte, closed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.specs, append([][sha256.Size]byte(nil), b.ended...), b.closed
}

type bridgeFactory struct {
	mu    sync.Mutex
	built []*fakeBridge
}

func (f *bridgeFactory) new(fn store.Function, _ *apiSpec) MCPHandler {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := &fakeBridge{fn: fn.Name, upstream: fn.Upstream}
	f.built = append(f.built, b)
	return b
}

func (f *bridgeFactory) all() []*fakeBridge {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*fakeBridge(nil), f.built...)
}

func TestMCPLifecycle(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	up2 := newUpstream(t, appDoc, nil)
	factory := &bridgeFactory{}
	h := newHarness(t)
	tok := h.deploy("shop", up, nil)
	h.start(func(o *Options) { o.MCP = factory.new; o.SpecRefresh = 50 * time.Millisecond })
	ctx := context.Background()

	if resp, _ := h.do(http.MethodPost, "/shop/mcp", tokenHeader(tok), nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /shop/mcp = %d, want the bridge's 202", resp.StatusCode)
	}
	// The document arrives through SetSpec, not a new bridge.
	first := factory.all()[0]
	jfntest.Eventually(t, 2*time.Second, "document handed to the bridge", func() bool { n, _, _ := first.state(); return n >= 1 })
	up.setDoc(appDoc)
	jfntest.Eventually(t, 2*time.Second, "changed document handed to the bridge", func() bool { n, _, _ := first.state(); return n >= 2 })
	if n := len(factory.all()); n != 1 {
		t.Errorf("factory called %d times for document changes, want 1", n)
	}

	// Revoking a token ends its sessions on the bridge.
	id := h.gw.idx.Load().tokens[hashOf(tok)].info.ID
	if _, err := h.store.RevokeToken(ctx, "shop", id); err != nil {
		t.Fatal(err)
	}
	jfntest.Eventually(t, time.Second, "EndTokenSessions", func() bool {
		_, ended, _ := first.state()
		return len(ended) == 1 && ended[0] == hashOf(tok)
	})

	// A redeploy that changes nothing MCP cares about keeps the bridge.
	if _, err := h.store.PutFunction(ctx, store.Function{Name: "shop", Upstream: up.URL, MCP: true}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(factory.all()); n != 1 {
		t.Errorf("factory called %d times after a plain redeploy, want 1", n)
	}
	// A new upstream builds a new bridge and closes the old one.
	if _, err := h.store.PutFunction(ctx, store.Function{Name: "shop", Upstream: up2.URL, MCP: true}); err != nil {
		t.Fatal(err)
	}
	jfntest.Eventually(t, time.Second, "old bridge closed", func() bool { _, _, closed := first.state(); return closed })
	all := factory.all()
	second := all[len(all)-1]
	if second == first || second.upstream != up2.URL {
		t.Fatalf("no new bridge for the new upstream")
	}
	// Deleting the function closes its bridge.
	if err := h.store.DeleteFunction(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	jfntest.Eventually(t, time.Second, "bridge closed on delete", func() bool { _, _, closed := second.state(); return closed })
}

func TestHandlerPanicIsA500(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	tok := h.deploy("fn", up, nil)
	h.start(func(o *Options) {
		o.MCP = func(store.Function, *apiSpec) MCPHandler {
			return stubMCP{http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })}
		}
	})
	resp, body := h.do(http.MethodPost, "/fn/mcp", tokenHeader(tok), nil)
	want := `{"error":"Internal Server Error","message":"The gateway could not handle the request."}`
	if resp.StatusCode != 500 || body != want {
		t.Errorf("POST /fn/mcp with a panicking handler = %d %s, want 500 %s", resp.StatusCode, body, want)
	}
	jfntest.Eventually(t, time.Second, "panic logged", func() bool {
		l := h.logs.String()
		return strings.Contains(l, `"error":"panic: boom"`) && strings.Contains(l, `"stack":`)
	})
	// The server goes on serving.
	if resp, _ := h.do(http.MethodGet, "/fn/x", tokenHeader(tok), nil); resp.StatusCode != 200 {
		t.Errorf("GET /fn/x after a panic = %d, want 200", resp.StatusCode)
	}
}
