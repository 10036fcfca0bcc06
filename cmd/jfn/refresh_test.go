package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

// docUpstream is examples/balance with an OpenAPI document the test can change or break.
type docUpstream struct {
	*httptest.Server
	mu     sync.Mutex
	doc    []byte
	status int
}

func newDocUpstream(t *testing.T) *docUpstream {
	u := &docUpstream{doc: balance.Spec(), status: http.StatusOK}
	h := balance.Handler()
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.json" {
			h.ServeHTTP(w, r)
			return
		}
		u.mu.Lock()
		doc, status := u.doc, u.status
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(doc)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *docUpstream) set(status int, doc []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.status, u.doc = status, doc
}

// withPing returns balance's document with a second operation, GET /ping (ping).
func withPing(t *testing.T) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(balance.Spec(), &doc); err != nil {
		t.Fatal(err)
	}
	doc["paths"].(map[string]any)["/ping"] = map[string]any{"get": map[string]any{
		"operationId": "ping", "description": "Checks the function.",
		"responses": map[string]any{"200": map[string]any{"description": "ok"}},
	}}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFunctionsRefresh: 'jfn functions refresh' reports the tools of the document as it is
// now, and makes a running server (whose own refresh interval is a minute) fetch it again,
// so that an open session is told the tool list changed.
func TestFunctionsRefresh(t *testing.T) {
	s := startServer(t)
	up := newDocUpstream(t)
	tok := deployed(t, s.db, "balance", up.URL)
	s.waitFunctions(t, "balance")
	s.waitHealthy(t, "balance")
	url := s.URL() + "/balance/mcp"
	s.waitToken(t, url, tok)

	c := mcptest.Connect(t, url, &mcptest.Options{Token: tok, Version: sessionVersion, Listen: true})
	changed := make(chan struct{}, 1)
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == string(mcp.MethodNotificationToolsListChanged) {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	})
	time.Sleep(300 * time.Millisecond) // let the client open its GET stream

	if r := mustCLI(t, s.db, "functions", "refresh", "balance"); r.stdout != "✓ Refreshed: 1 tool\n" {
		t.Errorf("functions refresh (unchanged document) printed %q, want %q", r.stdout, "✓ Refreshed: 1 tool\n")
	}

	up.set(http.StatusOK, withPing(t))
	r := mustCLI(t, s.db, "functions", "refresh", "balance", "--json")
	m := decodeObject(t, "functions refresh --json", r.stdout, "name", "tools", "spec")
	if tools, _ := json.Marshal(m["tools"]); m["name"] != "balance" || string(tools) != `["getBalance","ping"]` {
		t.Errorf("functions refresh --json = %s, want name balance and tools [getBalance ping]", r.stdout)
	}
	spec, _ := m["spec"].(map[string]any)
	checkKeys(t, "functions refresh --json spec", spec, "status", "fetched_at", "error")
	if spec["status"] != "ok" || spec["error"] != nil {
		t.Errorf("functions refresh --json spec = %v, want status ok and no error", spec)
	}
	if at, _ := spec["fetched_at"].(string); at == "" {
		t.Errorf("functions refresh --json fetched_at = %v, want an RFC 3339 time", spec["fetched_at"])
	} else if _, err := time.Parse(time.RFC3339, at); err != nil {
		t.Errorf("functions refresh --json fetched_at = %q: %v", at, err)
	}

	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Errorf("no notifications/tools/list_changed within 5 s of 'functions refresh'")
	}
	if !jfntest.Poll(5*time.Second, func() bool { return slices.Equal(mcptest.ToolNames(t, c), []string{"getBalance", "ping"}) }) {
		t.Errorf("tools/list after 'functions refresh' = %v, want [getBalance ping]", mcptest.ToolNames(t, c))
	}

	// A broken document: one line on stderr, exit 1; JSON still describes it. The server keeps
	// the last good tools.
	up.set(http.StatusInternalServerError, []byte(`{"error":"boom"}`))
	r = cli(t, s.db, "functions", "refresh", "balance")
	if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "500") {
		t.Errorf("functions refresh (document answers 500) = exit %d, stdout %q, stderr %q; want 1 and one line naming HTTP 500", r.code, r.stdout, r.stderr)
	}
	r = cli(t, s.db, "functions", "refresh", "balance", "--json")
	m = decodeObject(t, "functions refresh --json (broken document)", r.stdout, "name", "tools", "spec")
	spec, _ = m["spec"].(map[string]any)
	if msg, _ := spec["error"].(string); r.code != 1 || spec["status"] != "error" || !strings.Contains(msg, "500") || spec["fetched_at"] != nil {
		t.Errorf("functions refresh --json (broken document) = exit %d, %s; want 1 with status error", r.code, r.stdout)
	}
	time.Sleep(500 * time.Millisecond) // the server's own fetch of the broken document
	if got := mcptest.ToolNames(t, c); !slices.Equal(got, []string{"getBalance", "ping"}) {
		t.Errorf("tools/list after a failed refresh = %v, want the last good tools", got)
	}

	if r := cli(t, s.db, "functions", "refresh", "nope"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("functions refresh nope = exit %d, stderr %q; want 1 and not found", r.code, r.stderr)
	}
	if r := cli(t, s.db, "functions", "refresh"); r.code != 2 {
		t.Errorf("functions refresh without NAME = exit %d, want 2", r.code)
	}
}

// TestDocumentPathUnderUpstream: a function whose OpenAPI document is a path under its URL
// ("/docs/openapi.json") gets that document from the CLI ('functions info', 'functions
// refresh') as from the gateway, which serves it at /openapi.json.
func TestDocumentPathUnderUpstream(t *testing.T) {
	s := startServer(t)
	h := balance.Handler()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/docs/openapi.json":
			r.URL.Path = "/openapi.json"
		case "/openapi.json":
			http.NotFound(w, r) // only the path the function names has the document
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	deployed(t, s.db, "balance", up.URL)
	// 'jfn deploy --openapi' takes absolute URLs only; a path is stored by other means.
	st, err := store.OpenSQLite(t.Context(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.GetFunction(t.Context(), "balance")
	if err != nil {
		t.Fatal(err)
	}
	f.OpenAPIURL = "/docs/openapi.json"
	if _, err := st.PutFunction(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	st.Close()

	r := mustCLI(t, s.db, "functions", "info", "balance", "--json")
	m := decodeObject(t, "functions info --json", r.stdout, "name", "url", "upstream", "openapi_url", "public", "timeout_ms", "mcp", "tools", "spec")
	if want := up.URL + "/docs/openapi.json"; m["openapi_url"] != want {
		t.Errorf("functions info --json openapi_url = %v, want %s", m["openapi_url"], want)
	}
	if spec, _ := m["spec"].(map[string]any); spec["status"] != "ok" {
		t.Errorf("functions info --json spec = %v, want status ok", m["spec"])
	}
	if tools, _ := json.Marshal(m["tools"]); string(tools) != `["getBalance"]` {
		t.Errorf("functions info --json tools = %s, want [getBalance]", tools)
	}
	if r := cli(t, s.db, "functions", "refresh", "balance"); r.code != 0 || r.stdout != "✓ Refreshed: 1 tool\n" {
		t.Errorf("functions refresh = exit %d, %q (stderr %q); want 0, %q", r.code, r.stdout, r.stderr, "✓ Refreshed: 1 tool\n")
	}

	s.waitFunctions(t, "balance")
	if !jfntest.Poll(5*time.Second, func() bool {
		code, _, _ := call(t, "GET", s.URL()+"/balance/openapi.json", nil, "")
		return code == http.StatusOK
	}) {
		code, _, body := call(t, "GET", s.URL()+"/balance/openapi.json", nil, "")
		t.Errorf("GET /balance/openapi.json = %d %s, want 200 (the gateway fetches the same path)", code, body)
	}
}
