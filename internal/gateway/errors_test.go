package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
)

// wantJSONError checks the headers every error answer carries: JSON, and nosniff so that a
// browser never reads the body as anything else.
func wantJSONError(t *testing.T, what string, h http.Header) {
	t.Helper()
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type = %q, want application/json", what, ct)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", what, got)
	}
}

// TestFailAnswers: every error value of the package, answered through fail, keeps its exact
// status, body and extra headers, and carries the request id and nosniff.
func TestFailAnswers(t *testing.T) {
	cause := errors.New("dial tcp 127.0.0.1:1: connection refused")
	g := &Gateway{maxBody: 10 << 20, bodyTimeout: 30 * time.Second}
	r := httptest.NewRequest(http.MethodPost, "/fn/", nil)
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{"unknown function", errNoFunction("x"), 404, `{"error":"Not Found","message":"No function named \"x\" is deployed."}`, nil},
		{"no route", errNoRoute, 404, `{"error":"Not Found","message":"Name a function in the path, as in /<function>/…, or in the host."}`, nil},
		{"method", errMethod("GET, HEAD"), 405, `{"error":"Method Not Allowed","message":"This route answers GET, HEAD only."}`, map[string]string{"Allow": "GET, HEAD"}},
		{"unreachable", errUnreachable(cause), 502, `{"error":"Bad Gateway","message":"The function's upstream could not be reached."}`, nil},
		{"timeout", errTimeout(2 * time.Second), 504, `{"error":"Gateway Timeout","message":"The function did not answer within 2s."}`, nil},
		{"too large", g.bodyError(r, nil, &http.MaxBytesError{Limit: 10 << 20}), 413, `{"error":"Request Entity Too Large","message":"The request body is larger than 10 MiB."}`, map[string]string{"Connection": "close"}},
		{"body timeout", g.bodyError(r, nil, os.ErrDeadlineExceeded), 408, `{"error":"Request Timeout","message":"The request body did not arrive within 30s."}`, map[string]string{"Connection": "close"}},
		{"busy", errBusy, 503, `{"error":"Service Unavailable","message":"The gateway is holding too many request bodies right now; retry shortly."}`, map[string]string{"Retry-After": "1", "Connection": "close"}},
		{"method override", errMethodOverride, 400, `{"error":"Bad Request","message":"A _method override is not accepted without a token: send the request with the method it means."}`, nil},
		{"dot segment", errDotSegment, 400, `{"error":"Bad Request","message":"The path has a \".\" or \"..\" segment; this function's upstream has a base path, so such paths are refused."}`, nil},
		{"unreadable body", g.bodyError(r, nil, cause), 400, `{"error":"Bad Request","message":"The request body could not be read."}`, map[string]string{"Connection": "close"}},
		{"anything else", cause, 500, `{"error":"Internal Server Error","message":"The gateway could not handle the request."}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			st := &reqState{requestID: "req-1"}
			fail(w, st, tt.err)
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("fail(%v) = %d %s, want %d %s", tt.err, w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
			wantJSONError(t, "fail("+tt.name+")", w.Header())
			if got := w.Header().Get("X-Request-Id"); got != "req-1" {
				t.Errorf("fail(%v): X-Request-Id = %q, want req-1", tt.err, got)
			}
			for k, v := range tt.wantHeader {
				if got := w.Header().Get(k); got != v {
					t.Errorf("fail(%v): %s = %q, want %q", tt.err, k, got, v)
				}
			}
		})
	}
}

// TestErrorAnswersCarryNosniff: the answers that do not come from fail's table above (the
// token check's 401, the health and admin answers, a handler's panic) are JSON with nosniff
// too.
func TestErrorAnswersCarryNosniff(t *testing.T) {
	up := newUpstream(t, appDoc, nil)
	h := newHarness(t)
	h.deploy("shop", up, nil)
	h.deploy("off", up, func(f *store.Function) { f.MCP = false })
	boomTok := h.deploy("boom", up, nil)
	if _, err := h.store.PutFunction(context.Background(), store.Function{Name: "down", Upstream: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	h.start(func(o *Options) {
		o.MCP = func(fn store.Function, _ *apiSpec) MCPHandler {
			return stubMCP{http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })}
		}
	})
	tests := []struct {
		name       string
		method     string
		path       string
		header     http.Header
		wantStatus int
	}{
		{"no token", http.MethodGet, "/shop/products", nil, 401},
		{"unknown function", http.MethodGet, "/nope/x", nil, 404},
		{"health of an unreachable function", http.MethodGet, "/down/__health", nil, 503},
		{"document of an unreachable function", http.MethodGet, "/down/openapi.json", nil, 502},
		{"MCP off", http.MethodPost, "/off/mcp", nil, 404},
		{"panic", http.MethodPost, "/boom/mcp", tokenHeader(boomTok), 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.do(tt.method, tt.path, tt.header, nil)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.wantStatus)
			}
			wantJSONError(t, tt.method+" "+tt.path, resp.Header)
			if tt.wantStatus == 401 {
				if body != auth.UnauthorizedBody {
					t.Errorf("%s %s: body %s, want %s", tt.method, tt.path, body, auth.UnauthorizedBody)
				}
				if got, want := resp.Header.Get("WWW-Authenticate"), `ApiKey header="X-Jelou-Token"`; got != want {
					t.Errorf("%s %s: WWW-Authenticate = %q, want %q", tt.method, tt.path, got, want)
				}
			}
		})
	}

	admin := h.gw.AdminHandler()
	h.store.setPingErr(errDown)
	for _, tt := range []struct {
		path, wantBody string
		wantStatus     int
	}{
		{"/other", `{"error":"Not Found","message":"The admin listener serves /healthz, /readyz and /metrics only."}`, 404},
		{"/readyz", `{"status":"error","reason":"The store is unreachable."}`, 503},
	} {
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
			t.Errorf("admin GET %s = %d %s, want %d %s", tt.path, w.Code, w.Body, tt.wantStatus, tt.wantBody)
		}
		wantJSONError(t, "admin GET "+tt.path, w.Header())
	}
}
