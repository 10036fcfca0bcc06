package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
	"github.com/jfnhq/jfn/mcp/mcptest"
	"github.com/jfnhq/jfn/openapi"
)

// metricsDoc has one tool per outcome the test provokes.
const metricsDoc = `{"openapi":"3.1.0","info":{"title":"shop","version":"1"},"paths":{
 "/items/{id}":{"get":{"operationId":"getItem","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}},
 "/items":{"post":{"operationId":"createItem","requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}}}},"responses":{"201":{"description":"ok"}}}},
 "/slow":{"get":{"operationId":"slowItem","responses":{"200":{"description":"ok"}}}},
 "/drop":{"get":{"operationId":"dropItem","responses":{"200":{"description":"ok"}}}}}}`

// metricsUpstream serves a document with an ETag (so refreshes can be 304) and operations
// that answer 200, 404, too late, or not at all.
type metricsUpstream struct {
	*httptest.Server
	mu  sync.Mutex
	doc string
}

func newMetricsUpstream(t *testing.T, doc string) *metricsUpstream {
	u := &metricsUpstream{doc: doc}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/openapi.json":
			u.mu.Lock()
			doc := u.doc
			u.mu.Unlock()
			sum := sha256.Sum256([]byte(doc))
			etag := `"` + hex.EncodeToString(sum[:8]) + `"`
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, doc)
		case r.URL.Path == "/items/1":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"1"}`)
		case r.URL.Path == "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case r.URL.Path == "/drop":
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = c.Close()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *metricsUpstream) setDoc(doc string) {
	u.mu.Lock()
	u.doc = doc
	u.mu.Unlock()
}

// scrape reads the admin /metrics and parses it.
func scrape(t *testing.T, admin http.Handler) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", rec.Code, rec.Body)
	}
	text := rec.Body.String()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, text)
	}
	return fams, text
}

// sample returns the value of the series of name with exactly labels (a histogram's sample
// count), and whether it exists.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	fam := fams[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

// hasFunction reports whether any series carries function=name.
func hasFunction(fams map[string]*dto.MetricFamily, name string) bool {
	for _, fam := range fams {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "function" && l.GetValue() == name {
					return true
				}
			}
		}
	}
	return false
}

// TestMetricsAfterTraffic drives proxy, health, openapi, MCP and failed-auth traffic through
// a real Gateway on SQLite and checks what /metrics on the admin handler says about it.
func TestMetricsAfterTraffic(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatalf("OpenSQLite = %v", err)
	}
	defer st.Close()
	up := newMetricsUpstream(t, metricsDoc)
	bad := newUpstream(t, "", nil) // its document always fails
	if _, err := st.PutFunction(ctx, store.Function{Name: "shop", Upstream: up.URL, MCP: true, Timeout: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutFunction(ctx, store.Function{Name: "bad", Upstream: bad.URL}); err != nil {
		t.Fatal(err)
	}
	tok, err := auth.New()
	if err != nil {
		t.Fatal(err)
	}
	tokID := "t" + strings.ToLower(tok[7:19])
	if err := st.CreateToken(ctx, store.Token{ID: tokID, Function: "shop", Name: "default", Hash: auth.Hash(tok), Prefix: auth.DisplayPrefix(tok)}); err != nil {
		t.Fatal(err)
	}

	sessions := mcp.NewMemorySessions()
	factory := func(fn store.Function, spec *openapi.Spec) MCPHandler {
		u, _ := url.Parse(fn.Upstream)
		b, err := mcp.New(&mcp.Options{Function: fn.Name, Upstream: u, Sessions: sessions, Timeout: fn.EffectiveTimeout()}, spec)
		if err != nil {
			t.Errorf("mcp.New = %v", err)
			return nil
		}
		return b
	}
	srv := httptest.NewUnstartedServer(nil)
	gw, err := New(ctx, &Options{Store: st, Logger: zerolog.Nop(), PublicURL: "http://" + srv.Listener.Addr().String(),
		MCP: factory, SpecRefresh: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	gw.specTick = 20 * time.Millisecond
	srv.Config.Handler = gw.Handler()
	srv.Start()
	defer srv.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- gw.Run(runCtx) }()
	stopRun := sync.OnceFunc(func() {
		stop()
		<-done
	})
	defer stopRun()
	admin := gw.AdminHandler()
	do := func(method, path, token string) int {
		t.Helper()
		hdr := http.Header{}
		if token != "" {
			hdr.Set(auth.Header, token)
		}
		resp, _ := doRequest(t, srv, method, path, hdr, nil)
		return resp.StatusCode
	}
	jfntest.Eventually(t, 3*time.Second, "shop's document loaded", func() bool { return do("GET", "/shop/__health", "") == 200 })
	base, _ := scrape(t, admin) // the wait above made some health requests
	baseHealth, _ := sample(base, "jfn_requests_total", "function", "shop", "kind", "health", "code", "200")

	// Proxy: three answers of 200, one 404 from the upstream, three refusals.
	for range 3 {
		if code := do("GET", "/shop/items/1", tok); code != 200 {
			t.Fatalf("GET /shop/items/1 = %d, want 200", code)
		}
	}
	do("GET", "/shop/items/9", tok)
	do("GET", "/shop/items/1", "")
	do("GET", "/shop/items/1", "jfn_rt_"+strings.Repeat("A", 50))
	do("GET", "/shop/items/1", tok+"x")
	// Routes that need no token, and names that are not functions.
	do("GET", "/shop/__health", "")
	do("GET", "/shop/openapi.json", "")
	do("GET", "/nope/x", "")
	resp, body := doRequest(t, srv, "GET", "/metrics", nil, nil)
	if resp.StatusCode != 404 || !strings.Contains(body, `"error":"Not Found"`) || strings.Contains(body, "jfn_requests_total") {
		t.Errorf("GET /metrics on the public handler = %d %s, want the 404 of an unknown function", resp.StatusCode, body)
	}

	// MCP with the mcp-go client: a session with its GET stream, and one call per outcome.
	c := mcptest.Connect(t, srv.URL+"/shop/mcp", &mcptest.Options{Token: tok, Version: mcpgo.LATEST_LEGACY_PROTOCOL_VERSION, Listen: true})
	defer c.Close() // before srv.Close, which waits for open requests such as the GET stream
	gauges := func() (float64, float64) {
		fams, _ := scrape(t, admin)
		s, _ := sample(fams, "jfn_mcp_sessions", "function", "shop")
		g, _ := sample(fams, "jfn_mcp_streams", "function", "shop")
		return s, g
	}
	jfntest.Eventually(t, 3*time.Second, "one session and one stream", func() bool { s, g := gauges(); return s == 1 && g == 1 })
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"getItem", map[string]any{"id": "1"}}, // ok
		{"getItem", map[string]any{"id": "1"}}, // ok
		{"getItem", map[string]any{"id": "9"}}, // tool_error (404)
		{"createItem", map[string]any{}},       // invalid_arguments
		{"slowItem", nil},                      // timeout
		{"dropItem", nil},                      // upstream_error
	}
	for _, call := range calls {
		mcptest.CallTool(t, c, call.tool, call.args)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.CallTool(cctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: "noSuchTool"}}); err == nil {
		t.Errorf("CallTool(noSuchTool) succeeded, want a JSON-RPC error")
	}
	gw.ObserveCronRun("shop", "daily", "ok", 20*time.Millisecond)
	gw.ObserveCronRun("ghost", "daily", "ok", time.Millisecond) // not deployed: not recorded

	fams, text := scrape(t, admin)
	for _, tt := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"jfn_requests_total", []string{"function", "shop", "kind", "proxy", "code", "200"}, 3},
		{"jfn_requests_total", []string{"function", "shop", "kind", "proxy", "code", "404"}, 1},
		{"jfn_requests_total", []string{"function", "shop", "kind", "proxy", "code", "401"}, 3},
		{"jfn_requests_total", []string{"function", "shop", "kind", "health", "code", "200"}, baseHealth + 1},
		{"jfn_requests_total", []string{"function", "shop", "kind", "openapi", "code", "200"}, 1},
		{"jfn_requests_total", []string{"function", "", "kind", "not_found", "code", "404"}, 2},
		// initialize and the 8 calls (unknown tool included) answer 200; initialized 202.
		{"jfn_requests_total", []string{"function", "shop", "kind", "mcp", "code", "200"}, 8},
		{"jfn_requests_total", []string{"function", "shop", "kind", "mcp", "code", "202"}, 1},
		{"jfn_auth_failures_total", []string{"function", "shop"}, 3},
		{"jfn_tool_calls_total", []string{"function", "shop", "tool", "getItem", "outcome", "ok"}, 2},
		{"jfn_tool_calls_total", []string{"function", "shop", "tool", "getItem", "outcome", "tool_error"}, 1},
		{"jfn_tool_calls_total", []string{"function", "shop", "tool", "createItem", "outcome", "invalid_arguments"}, 1},
		{"jfn_tool_calls_total", []string{"function", "shop", "tool", "slowItem", "outcome", "timeout"}, 1},
		{"jfn_tool_calls_total", []string{"function", "shop", "tool", "dropItem", "outcome", "upstream_error"}, 1},
		{"jfn_upstream_request_duration_seconds", []string{"function", "shop", "kind", "proxy"}, 4},
		{"jfn_upstream_request_duration_seconds", []string{"function", "shop", "kind", "mcp"}, 5},
		{"jfn_upstream_request_duration_seconds", []string{"function", "shop", "kind", "cron"}, 1},
		{"jfn_cron_runs_total", []string{"function", "shop", "schedule", "daily", "outcome", "ok"}, 1},
		{"jfn_auth_failures_total", []string{"function", "bad"}, 0},
	} {
		if got, ok := sample(fams, tt.name, tt.labels...); !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	// RequestCounts reads the same counters /metrics shows.
	var want RequestCounts
	for _, m := range fams["jfn_requests_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["function"] != "shop" {
			continue
		}
		n := uint64(m.GetCounter().GetValue())
		want.Total += n
		if labels["code"] >= "400" {
			want.Errors += n
		}
	}
	if got := gw.RequestCounts("shop"); got != want || got.Errors < 4 {
		t.Errorf("RequestCounts(shop) = %+v, want %+v as /metrics shows (4 errors at least)", got, want)
	}
	if got := gw.RequestCounts("ghost"); got != (RequestCounts{}) {
		t.Errorf("RequestCounts(ghost) = %+v, want zero", got)
	}
	if n := len(fams["jfn_tool_calls_total"].GetMetric()); n != 5 {
		t.Errorf("jfn_tool_calls_total has %d series, want 5 (no series for an unknown tool)", n)
	}
	if hasFunction(fams, "nope") || hasFunction(fams, "metrics") || hasFunction(fams, "ghost") {
		t.Errorf("a name that is no deployed function has series:\n%s", text)
	}
	for _, fn := range []string{"shop", "bad"} {
		if n, _ := sample(fams, "jfn_spec_refresh_total", "function", fn, "result", map[string]string{"shop": "ok", "bad": "error"}[fn]); n < 1 {
			t.Errorf("jfn_spec_refresh_total of %s = %v, want ≥ 1", fn, n)
		}
	}
	if age, ok := sample(fams, "jfn_spec_age_seconds", "function", "shop"); !ok || age < 0 || age > 5 {
		t.Errorf("jfn_spec_age_seconds{shop} = %v (present %v), want a few seconds at most", age, ok)
	}
	if _, ok := sample(fams, "jfn_spec_age_seconds", "function", "bad"); ok {
		t.Errorf("jfn_spec_age_seconds{bad} is present before its document ever loaded")
	}
	if lag, ok := sample(fams, "jfn_store_feed_lag_seconds"); !ok || lag < 0 || lag > 70 {
		t.Errorf("jfn_store_feed_lag_seconds = %v (present %v), want under the resync period", lag, ok)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
	// No token and no token id, as a label value or anywhere else.
	for _, fam := range fams {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if v := l.GetValue(); v == tok || v == tokID || strings.Contains(v, "jfn_rt_") {
					t.Errorf("%s has label %s=%q, a token or token id", fam.GetName(), l.GetName(), v)
				}
			}
		}
	}
	if strings.Contains(text, tok) || strings.Contains(text, tokID) || strings.Contains(text, "jfn_rt_") {
		t.Errorf("/metrics text contains a token or token id")
	}

	// Not ready while bad's document has never loaded; the body names it.
	rec := httptest.NewRecorder()
	admin.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"functions":["bad"]`) {
		t.Errorf("/readyz with bad's document never loaded = %d %s, want 503 naming bad", rec.Code, rec.Body)
	}

	// DELETE ends the session and its stream.
	resp, body = doRequest(t, srv, http.MethodDelete, "/shop/mcp", http.Header{auth.Header: {tok}, "Mcp-Session-Id": {c.GetSessionId()},
		"Mcp-Protocol-Version": {mcpgo.LATEST_LEGACY_PROTOCOL_VERSION}}, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("DELETE /shop/mcp = %d %s", resp.StatusCode, body)
	}
	jfntest.Eventually(t, 3*time.Second, "no session and no stream", func() bool { s, g := gauges(); return s == 0 && g == 0 })

	// A tool that leaves the document loses its series; a 304 refresh is counted.
	up.setDoc(strings.Replace(metricsDoc, `"dropItem"`, `"dropped"`, 1))
	jfntest.Eventually(t, 3*time.Second, "dropItem's series removed", func() bool {
		fams, _ := scrape(t, admin)
		_, drop := sample(fams, "jfn_tool_calls_total", "function", "shop", "tool", "dropItem", "outcome", "upstream_error")
		_, get := sample(fams, "jfn_tool_calls_total", "function", "shop", "tool", "getItem", "outcome", "ok")
		nm, _ := sample(fams, "jfn_spec_refresh_total", "function", "shop", "result", "not_modified")
		return !drop && get && nm >= 1
	})

	// A deleted function's series go; readiness no longer waits for its document.
	if err := st.DeleteFunction(ctx, "bad"); err != nil {
		t.Fatal(err)
	}
	jfntest.Eventually(t, 3*time.Second, "bad's series removed", func() bool { fams, _ := scrape(t, admin); return !hasFunction(fams, "bad") })
	// The series go before the new index is published, so readiness follows shortly after.
	jfntest.Eventually(t, 3*time.Second, "/readyz 200 after deleting bad", func() bool {
		rec = httptest.NewRecorder()
		admin.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code == 200
	})

	// A second gateway in the same process has registries of its own.
	gw2, err := New(ctx, &Options{Store: st, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("second New() = %v", err)
	}
	fams2, _ := scrape(t, gw2.AdminHandler())
	if n, ok := sample(fams2, "jfn_requests_total", "function", "shop", "kind", "proxy", "code", "200"); ok {
		t.Errorf("second gateway reports %v proxy requests, want none", n)
	}

	// The store goes away: not ready.
	stopRun()
	st.Close()
	rec = httptest.NewRecorder()
	admin.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "store is unreachable") {
		t.Errorf("/readyz with the store closed = %d %s, want 503", rec.Code, rec.Body)
	}
}
