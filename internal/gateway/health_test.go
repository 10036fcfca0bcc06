package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
)

func TestHealth(t *testing.T) {
	define := newUpstream(t, defineDoc, nil)
	app := newUpstream(t, appDoc, nil)
	broken := newUpstream(t, "", nil) // answers 500 for its document
	invalid := newUpstream(t, `{"hello":"world"}`, nil)
	h := newHarness(t)
	h.deploy("balance", define, nil)
	h.deploy("shop", app, nil)
	h.deploy("broken", broken, nil)
	h.deploy("invalid", invalid, nil)
	h.start(nil)

	// Names and descriptions are openapi's business; the shapes around them are ours.
	tools := func(doc string) []healthTool {
		spec, err := loadAPISpec([]byte(doc))
		if err != nil {
			t.Fatalf("Load = %v", err)
		}
		var out []healthTool
		for _, tl := range spec.Tools() {
			out = append(out, healthTool{tl.Name, tl.Description})
		}
		return out
	}
	js := func(v any) string {
		b, err := marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	one := tools(defineDoc)
	several := tools(appDoc)
	if len(one) != 1 || len(several) != 3 {
		t.Fatalf("test documents have %d and %d tools, want 1 and 3", len(one), len(several))
	}
	tests := []struct {
		path       string
		wantStatus int
		want       string
	}{
		{"/balance/__health", 200, `{"status":"ok","mode":"define","tool":` + js(one[0]) + `}`},
		{"/shop/__health", 200, `{"status":"ok","mode":"app","tools":` + js(several) + `}`},
		{"/broken/__health", 503, `{"status":"error","reason":"The function's OpenAPI document could not be fetched: the upstream answered HTTP 500."}`},
	}
	for _, tt := range tests {
		resp, body := h.do(http.MethodGet, tt.path, nil, nil)
		if resp.StatusCode != tt.wantStatus || body != tt.want {
			t.Errorf("GET %s = %d %s, want %d %s", tt.path, resp.StatusCode, body, tt.wantStatus, tt.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type = %q, want application/json", tt.path, ct)
		}
	}
	resp, body := h.do(http.MethodGet, "/invalid/__health", nil, nil)
	if resp.StatusCode != 503 || !strings.HasPrefix(body, `{"status":"error","reason":"The function's OpenAPI document is invalid`) {
		t.Errorf("GET /invalid/__health = %d %s, want 503 with an invalid-document reason", resp.StatusCode, body)
	}
	if resp, _ := h.do(http.MethodPost, "/balance/__health", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /balance/__health = %d Allow %q, want 405 GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
	// The health check never reaches the upstream beyond the document fetch.
	if n := len(define.Calls()); n != 0 {
		t.Errorf("upstream received %d requests for /__health, want 0", n)
	}
}

func TestHealthUpstreamDown(t *testing.T) {
	h := newHarness(t)
	if _, err := h.store.PutFunction(context.Background(), store.Function{Name: "down", Upstream: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	h.start(nil)
	resp, body := h.do(http.MethodGet, "/down/__health", nil, nil)
	want := `{"status":"error","reason":"The function's OpenAPI document could not be fetched: the upstream could not be reached."}`
	if resp.StatusCode != http.StatusServiceUnavailable || body != want {
		t.Errorf("GET /down/__health = %d %s, want 503 %s", resp.StatusCode, body, want)
	}
	resp, body = h.do(http.MethodGet, "/down/openapi.json", nil, nil)
	want = `{"error":"Bad Gateway","message":"The function's OpenAPI document could not be fetched: the upstream could not be reached."}`
	if resp.StatusCode != http.StatusBadGateway || body != want {
		t.Errorf("GET /down/openapi.json = %d %s, want 502 %s", resp.StatusCode, body, want)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	app := newUpstream(t, appDoc, nil)
	h := newHarness(t)
	tok := h.deploy("shop", app, nil)
	h.start(func(o *Options) { o.Domain = "fn.test"; o.PublicURL = "https://gw.example.com/" })

	type doc struct {
		Servers    []struct{ URL string } `json:"servers"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type, In, Name string
			} `json:"securitySchemes"`
		} `json:"components"`
		Security []map[string][]string `json:"security"`
	}
	get := func(path, host string) doc {
		t.Helper()
		hdr := http.Header{}
		if host != "" {
			hdr.Set("Host", host)
		}
		resp, body := h.do(http.MethodGet, path, hdr, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s (host %q) = %d %s, want 200", path, host, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type = %q, want application/json", path, ct)
		}
		var d doc
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
		return d
	}

	d := get("/shop/openapi.json", "")
	if len(d.Servers) != 1 || d.Servers[0].URL != "https://gw.example.com/shop" {
		t.Errorf("servers = %+v, want https://gw.example.com/shop", d.Servers)
	}
	s := d.Components.SecuritySchemes["jelouToken"]
	if s.Type != "apiKey" || s.In != "header" || s.Name != auth.Header {
		t.Errorf("jelouToken scheme = %+v, want apiKey in header X-Jelou-Token", s)
	}
	if len(d.Security) != 1 || d.Security[0]["jelouToken"] == nil {
		t.Errorf("security = %v, want [{jelouToken: []}]", d.Security)
	}

	d = get("/openapi.json", "shop.fn.test:8443")
	if len(d.Servers) != 1 || d.Servers[0].URL != "https://shop.fn.test:8443" {
		t.Errorf("by host: servers = %+v, want https://shop.fn.test:8443", d.Servers)
	}

	// The document was fetched without credentials, and serving it does not fetch again.
	hits := len(app.docRequests())
	get("/shop/openapi.json", "")
	get("/shop/openapi.json", "")
	if n := len(app.docRequests()); n != hits {
		t.Errorf("serving /openapi.json fetched the document again (%d → %d)", hits, n)
	}
	for _, r := range app.docRequests() {
		if r.Header.Get(auth.Header) != "" || r.Header.Get("Authorization") != "" {
			t.Errorf("document fetched with credentials: %v", r.Header)
		}
	}
	// A token is accepted but not needed; it never goes upstream with the fetch.
	if resp, _ := h.do(http.MethodGet, "/shop/openapi.json", tokenHeader(tok), nil); resp.StatusCode != 200 {
		t.Errorf("GET /shop/openapi.json with token = %d, want 200", resp.StatusCode)
	}
}

func TestSpecRefresh(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	h.deploy("fn", up, nil)
	h.start(func(o *Options) { o.SpecRefresh = 100 * time.Millisecond })

	healthIs := func(status int, prefix string) func() bool {
		return func() bool {
			resp, body := h.do(http.MethodGet, "/fn/__health", nil, nil)
			return resp.StatusCode == status && strings.HasPrefix(body, prefix)
		}
	}
	jfntest.Eventually(t, 3*time.Second, "define mode", healthIs(200, `{"status":"ok","mode":"define"`))
	up.setDoc(appDoc)
	jfntest.Eventually(t, 3*time.Second, "app mode after the document changed", healthIs(200, `{"status":"ok","mode":"app"`))

	// A failing document keeps the last good one for /openapi.json and the public operation,
	// and shows in /__health.
	up.setDoc("")
	jfntest.Eventually(t, 3*time.Second, "health reports the failure", healthIs(503, `{"status":"error"`))
	if resp, body := h.do(http.MethodGet, "/fn/openapi.json", nil, nil); resp.StatusCode != 200 || !strings.Contains(body, "listProducts") {
		t.Errorf("GET /fn/openapi.json after a failed refresh = %d %s, want the last good document", resp.StatusCode, body)
	}
	if resp, _ := h.do(http.MethodPost, "/fn/hooks/x", nil, nil); resp.StatusCode != 200 {
		t.Errorf("public operation after a failed refresh = %d, want 200", resp.StatusCode)
	}
	up.setDoc(appDoc)
	jfntest.Eventually(t, 5*time.Second, "recovery", healthIs(200, `{"status":"ok","mode":"app"`))
}

func TestMaxAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"max-age=120", 120 * time.Second}, {"public, max-age=30", 30 * time.Second},
		{"no-cache, max-age=30", 0}, {"max-age=abc", 0}, {"no-store", 0},
	}
	for _, tt := range tests {
		if got := maxAge(tt.in); got != tt.want {
			t.Errorf("maxAge(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// mcpRecorder is a stand-in MCP layer that records what it is given.
type mcpRecorder struct {
	mu      sync.Mutex
	builds  []string // function names, one per build
	docs    []bool   // whether each build or SetSpec had a document
	path    string
	info    auth.Info
	hasInfo bool
	token   string
}

func (m *mcpRecorder) factory(fn store.Function, spec *apiSpec) MCPHandler {
	m.mu.Lock()
	m.builds = append(m.builds, fn.Name)
	m.docs = append(m.docs, spec != nil)
	m.mu.Unlock()
	return recordingMCP{m: m, stubMCP: stubMCP{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.path = r.URL.Path
		m.info, m.hasInfo = auth.FromContext(r.Context())
		m.token = r.Header.Get(auth.Header)
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("event: message\ndata: {}\n\n"))
		w.(http.Flusher).Flush()
	})}}
}

// recordingMCP is the recorder's handler: it notes each document it is given.
type recordingMCP struct {
	stubMCP
	m *mcpRecorder
}

func (r recordingMCP) SetSpec(spec *apiSpec) bool {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	r.m.docs = append(r.m.docs, spec != nil)
	return true
}

func TestMCPRoute(t *testing.T) {
	up := newUpstream(t, appDoc, nil)
	rec := &mcpRecorder{}
	h := newHarness(t)
	tok := h.deploy("shop", up, nil)
	h.deploy("nomcp", up, func(f *store.Function) { f.MCP = false })
	h.start(func(o *Options) { o.MCP = rec.factory })
	tokID := h.gw.idx.Load().tokens[auth.Hash(tok)].info.ID

	if resp, body := h.do(http.MethodPost, "/shop/mcp", nil, strings.NewReader("{}")); resp.StatusCode != 401 || body != auth.UnauthorizedBody {
		t.Errorf("POST /shop/mcp without token = %d %s, want 401", resp.StatusCode, body)
	}
	resp, body := h.do(http.MethodPost, "/shop/mcp", tokenHeader(tok), strings.NewReader("{}"))
	if resp.StatusCode != 200 || !strings.Contains(body, "event: message") {
		t.Fatalf("POST /shop/mcp = %d %s, want the MCP handler's stream", resp.StatusCode, body)
	}
	rec.mu.Lock()
	if rec.path != "/mcp" || !rec.hasInfo || rec.info.ID != tokID || rec.token != "" {
		t.Errorf("MCP handler saw path %q info %v (%v) token header %q; want /mcp, the token's info, no header",
			rec.path, rec.info.ID, rec.hasInfo, rec.token)
	}
	rec.mu.Unlock()
	jfntest.Eventually(t, 3*time.Second, "MCP handler given the document", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.docs) > 0 && rec.docs[len(rec.docs)-1]
	})

	want := `{"error":"Not Found","message":"MCP is not enabled for this function."}`
	if resp, body := h.do(http.MethodPost, "/nomcp/mcp", tokenHeader(tok), nil); resp.StatusCode != 404 || body != want {
		t.Errorf("POST /nomcp/mcp = %d %s, want 404 %s", resp.StatusCode, body, want)
	}
	if len(up.Calls()) != 0 {
		t.Errorf("/mcp reached the upstream")
	}
}

func TestMCPNotPluggedIn(t *testing.T) {
	up := newUpstream(t, appDoc, nil)
	h := newHarness(t)
	tok := h.deploy("shop", up, nil)
	h.start(nil)
	want := `{"error":"Not Found","message":"MCP is not enabled for this function."}`
	if resp, body := h.do(http.MethodPost, "/shop/mcp", tokenHeader(tok), nil); resp.StatusCode != 404 || body != want {
		t.Errorf("POST /shop/mcp without an MCP layer = %d %s, want 404 %s", resp.StatusCode, body, want)
	}
}

func TestAdmin(t *testing.T) {
	h := newHarness(t)
	h.start(nil)
	admin := h.gw.AdminHandler()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/healthz"); code != 200 || body != `{"status":"ok"}` {
		t.Errorf("GET /healthz = %d %s, want 200 {\"status\":\"ok\"}", code, body)
	}
	if code, body := get("/readyz"); code != 200 || body != `{"status":"ok"}` {
		t.Errorf("GET /readyz = %d %s, want 200", code, body)
	}
	h.store.setPingErr(errDown)
	if code, body := get("/readyz"); code != 503 || body != `{"status":"error","reason":"The store is unreachable."}` {
		t.Errorf("GET /readyz with the store down = %d %s, want 503", code, body)
	}
	if code, body := get("/healthz"); code != 200 {
		t.Errorf("GET /healthz with the store down = %d %s, want 200", code, body)
	}
	if code, _ := get("/other"); code != 404 {
		t.Errorf("GET /other = %d, want 404", code)
	}
}

func TestNewFailsWhenStoreUnreachable(t *testing.T) {
	st := newFakeStore()
	st.snapErr = errDown
	if _, err := New(context.Background(), &Options{Store: st}); err == nil {
		t.Errorf("New with an unreachable store = nil error, want one")
	}
	if _, err := New(context.Background(), nil); err == nil {
		t.Errorf("New(nil options) = nil error, want one")
	}
}
