package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
	"github.com/rs/zerolog"
)

// upstream is an httptest function that records every request it receives (document
// fetches included). It serves doc at /openapi.json and answers everything else with
// handler (200 "ok" when nil).
type upstream struct {
	*jfntest.Upstream
	mu  sync.Mutex
	doc string
}

func newUpstream(t *testing.T, doc string, handler http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{doc: doc}
	u.Upstream = jfntest.NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == jfntest.DocumentPath && r.Method == http.MethodGet {
			u.mu.Lock()
			doc := u.doc
			u.mu.Unlock()
			if doc == "" {
				http.Error(w, "no document", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, doc)
			return
		}
		if handler != nil {
			handler(w, r)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	return u
}

func (u *upstream) setDoc(doc string) {
	u.mu.Lock()
	u.doc = doc
	u.mu.Unlock()
}

// docRequests returns the requests for the document, which Calls leaves out.
func (u *upstream) docRequests() []jfntest.Request {
	var out []jfntest.Request
	for _, r := range u.Requests() {
		if r.Path == jfntest.DocumentPath {
			out = append(out, r)
		}
	}
	return out
}

// harness runs a Gateway over a fakeStore behind an httptest server.
type harness struct {
	t      *testing.T
	store  *fakeStore
	gw     *Gateway
	srv    *httptest.Server
	logs   *jfntest.SyncBuffer
	cancel context.CancelFunc
	done   chan error

	flushEvery time.Duration // 50 ms unless set before start
	storeCheck time.Duration // DefaultStoreCheck unless set before start
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, store: newFakeStore(), logs: &jfntest.SyncBuffer{}}
}

// deploy stores a function for up and returns a fresh token for it.
func (h *harness) deploy(name string, up *upstream, mod func(*store.Function)) string {
	h.t.Helper()
	f := store.Function{Name: name, Upstream: up.URL, MCP: true}
	if mod != nil {
		mod(&f)
	}
	if _, err := h.store.PutFunction(context.Background(), f); err != nil {
		h.t.Fatalf("PutFunction(%q) = %v", name, err)
	}
	tok, _ := h.store.addToken(h.t, name, time.Time{})
	return tok
}

// start builds the Gateway (opts may adjust its Options and tuning) and runs it.
func (h *harness) start(mod func(*Options)) {
	h.t.Helper()
	h.srv = httptest.NewUnstartedServer(nil)
	opts := &Options{
		Store:     h.store,
		Logger:    zerolog.New(h.logs),
		PublicURL: "http://" + h.srv.Listener.Addr().String(),
	}
	if mod != nil {
		mod(opts)
	}
	gw, err := New(context.Background(), opts)
	if err != nil {
		h.t.Fatalf("New() = %v", err)
	}
	gw.flushEvery = 50 * time.Millisecond
	if h.flushEvery > 0 {
		gw.flushEvery = h.flushEvery
	}
	gw.specTick = 20 * time.Millisecond
	if h.storeCheck > 0 {
		gw.storeCheck = h.storeCheck
	}
	h.gw = gw
	h.srv.Config.Handler = gw.Handler()
	h.srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- gw.Run(ctx) }()
	h.t.Cleanup(h.stop)
	h.t.Cleanup(h.srv.Close)
}

// stop ends Run and waits for it.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		h.t.Errorf("Run did not return after cancel")
	}
}

// do sends a request to the gateway and returns the response with its body read.
func (h *harness) do(method, path string, header http.Header, body io.Reader) (*http.Response, string) {
	h.t.Helper()
	return doRequest(h.t, h.srv, method, path, header, body)
}

// doRequest sends a request to srv and returns the response with its body read.
func doRequest(t *testing.T, srv *httptest.Server, method, path string, header http.Header, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatalf("NewRequest(%s %s) = %v", method, path, err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
		if strings.EqualFold(k, "Host") {
			req.Host = vs[0]
		}
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, string(b)
}

// tokenHeader returns a header carrying tok in X-Jelou-Token.
func tokenHeader(tok string) http.Header {
	return http.Header{"X-Jelou-Token": {tok}}
}

// Documents used by the tests.
const (
	defineDoc = `{"openapi":"3.1.0","info":{"title":"balance","version":"1"},
	"paths":{"/":{"post":{"operationId":"getBalance","summary":"Balance","description":"Look up a balance by phone.","responses":{"200":{"description":"ok"}}}}}}`

	appDoc = `{"openapi":"3.1.0","info":{"title":"shop","version":"1"},
	"paths":{
	  "/products":{"get":{"operationId":"listProducts","description":"List products.","responses":{"200":{"description":"ok"}}}},
	  "/hooks/{id}":{"post":{"operationId":"hook","description":"A webhook.","security":[],"responses":{"200":{"description":"ok"}}},
	                 "get":{"operationId":"getHook","description":"Read a hook.","responses":{"200":{"description":"ok"}}}}}}`
)

func hashOf(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }

// stubMCP is an MCPHandler that serves HTTP with its Handler and does nothing else.
type stubMCP struct{ http.Handler }

func (stubMCP) SetSpec(*apiSpec) bool                     { return false }
func (stubMCP) EndTokenSessions([sha256.Size]byte)        {}
func (stubMCP) SetObserver(mcp.Observer)                  {}
func (stubMCP) Search(string, int) []catalog.SearchResult { return nil }
func (stubMCP) Close()                                    {}
func (stubMCP) Call(context.Context, string, string, map[string]any) (json.RawMessage, error) {
	return nil, errors.New("a stub MCP handler calls no tool")
}
