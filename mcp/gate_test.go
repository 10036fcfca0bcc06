package mcp

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
)

const toolsListBody = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`

func TestGateStatusCodes(t *testing.T) {
	h := newHarness(t, nil)
	sessA := h.openSession(t, h.tokA)
	const v = "2025-06-18"

	tests := []struct {
		name       string
		method     string
		token      string
		session    string
		version    string
		body       string
		header     http.Header
		wantStatus int
		wantAllow  string
	}{
		{"session works", "POST", h.tokA, sessA, v, toolsListBody, nil, 200, ""},
		{"no token", "POST", "", sessA, v, toolsListBody, nil, 401, ""},
		{"missing session", "POST", h.tokA, "", v, toolsListBody, nil, 400, ""},
		{"unknown session", "POST", h.tokA, "nope", v, toolsListBody, nil, 404, ""},
		{"foreign session", "POST", h.tokB, sessA, v, toolsListBody, nil, 404, ""},
		{"foreign session GET", "GET", h.tokB, sessA, v, "", nil, 404, ""},
		{"GET without session", "GET", h.tokA, "", v, "", nil, 400, ""},
		{"DELETE without session", "DELETE", h.tokA, "", v, "", nil, 400, ""},
		{"PUT", "PUT", h.tokA, sessA, v, toolsListBody, nil, 405, "GET, POST, DELETE"},
		{"PATCH", "PATCH", h.tokA, sessA, v, toolsListBody, nil, 405, "GET, POST, DELETE"},
		{"unsupported version", "POST", h.tokA, sessA, "1999-01-01", toolsListBody, nil, 400, ""},
		{"foreign origin", "POST", h.tokA, sessA, v, toolsListBody, http.Header{"Origin": {"https://evil.example"}}, 403, ""},
		{"null origin", "POST", h.tokA, sessA, v, toolsListBody, http.Header{"Origin": {"null"}}, 403, ""},
		{"same origin", "POST", h.tokA, sessA, v, toolsListBody, http.Header{"Origin": {h.srv.URL}}, 200, ""},
		{"stateless GET", "GET", h.tokA, "", "2026-07-28", "", nil, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.rawRequest(t, tt.method, tt.token, tt.session, tt.version, tt.body, tt.header)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("%s: status %d, want %d (body %s)", tt.name, resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantAllow != "" && resp.Header.Get("Allow") != tt.wantAllow {
				t.Errorf("%s: Allow = %q, want %q", tt.name, resp.Header.Get("Allow"), tt.wantAllow)
			}
			if tt.wantStatus == 401 && body != auth.UnauthorizedBody {
				t.Errorf("%s: 401 body %q, want %q", tt.name, body, auth.UnauthorizedBody)
			}
			if tt.wantStatus >= 400 && tt.wantStatus != 405 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s: Content-Type %q, want JSON", tt.name, resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestDeleteThenReuse(t *testing.T) {
	h := newHarness(t, nil)
	c := h.sessionClient(t, h.tokA) // its GET stream must end with the session
	jfntest.Eventually(t, 5*time.Second, "the client's GET stream", func() bool { return h.bridge.openStreams() == 1 })
	sess := c.GetSessionId()
	if resp, body := h.rawRequest(t, "DELETE", h.tokB, sess, "", "", nil); resp.StatusCode != 404 {
		t.Errorf("DELETE with another token: status %d, want 404 (body %s)", resp.StatusCode, body)
	}
	if resp, body := h.rawRequest(t, "DELETE", h.tokA, sess, "", "", nil); resp.StatusCode != 200 {
		t.Fatalf("DELETE: status %d, want 200 (body %s)", resp.StatusCode, body)
	}
	for _, m := range []string{"POST", "GET", "DELETE"} {
		if resp, _ := h.rawRequest(t, m, h.tokA, sess, "", toolsListBody, nil); resp.StatusCode != 404 {
			t.Errorf("%s after DELETE: status %d, want 404", m, resp.StatusCode)
		}
	}
	jfntest.Eventually(t, 5*time.Second, "the deleted session's GET stream to end", func() bool { return h.bridge.openStreams() == 0 })
}

func TestRevokedTokenStopsSession(t *testing.T) {
	h := newHarness(t, nil)
	c := h.sessionClient(t, h.tokA)
	jfntest.Eventually(t, 5*time.Second, "the client's GET stream", func() bool { return h.bridge.openStreams() == 1 })
	sess := c.GetSessionId()

	h.toks.revoke(h.tokA)
	h.bridge.EndTokenSessions(auth.Hash(h.tokA))
	if resp, _ := h.rawRequest(t, "POST", h.tokA, sess, "", toolsListBody, nil); resp.StatusCode != 401 {
		t.Errorf("POST with a revoked token on its open session: status %d, want 401", resp.StatusCode)
	}
	jfntest.Eventually(t, 5*time.Second, "the GET stream to end", func() bool { return h.bridge.openStreams() == 0 })
}

// TestBridgeWithoutGateway checks the Bridge's own refusals when no token check ran before
// it, and that a public function's sessions work without one.
func TestBridgeWithoutGateway(t *testing.T) {
	up := newUpstream(t)
	base, _ := url.Parse(up.URL)
	for _, public := range []bool{false, true} {
		b, err := New(&Options{Function: testFunction, Upstream: base, Timeout: time.Second, Sessions: NewMemorySessions(),
			Public: public, Logger: zerolog.Nop()}, loadSpec(t, petsDoc(t)))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		r := httptest.NewRequest("POST", "/mcp", strings.NewReader(initializeBody))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		b.ServeHTTP(w, r)
		want := 401
		if public {
			want = 200
		}
		if w.Code != want {
			t.Errorf("public=%v initialize without auth.Info: status %d, want %d (body %s)", public, w.Code, want, w.Body)
		}
		if !public && w.Body.String() != auth.UnauthorizedBody {
			t.Errorf("401 body %q, want %q", w.Body, auth.UnauthorizedBody)
		}
		if public && w.Header().Get(mcpgo.HeaderSessionID) == "" {
			t.Errorf("public initialize: no session id")
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:1")
	for _, o := range []*Options{
		nil,
		{Upstream: base, Sessions: NewMemorySessions()},
		{Function: "f", Sessions: NewMemorySessions()},
		{Function: "f", Upstream: &url.URL{Path: "/x"}, Sessions: NewMemorySessions()},
		{Function: "f", Upstream: base, Timeout: time.Second},
		{Function: "f", Upstream: base, Sessions: NewMemorySessions()}, // no timeout
	} {
		if _, err := New(o, nil); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", o)
		}
	}
	b, err := New(&Options{Function: "f", Upstream: base, Timeout: time.Second, Sessions: NewMemorySessions()}, nil)
	if err != nil {
		t.Fatalf("New without a spec: %v", err)
	}
	b.Close()
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest("POST", "/mcp", nil))
	if w.Code != 404 {
		t.Errorf("ServeHTTP after Close: status %d, want 404", w.Code)
	}
}

func TestOriginAllowed(t *testing.T) {
	allowed := []string{"https://app.example.com", "http://localhost:3000/"}
	tests := []struct {
		host, proto string
		tls         bool
		origin      []string
		want        bool
	}{
		{"fn.example.com", "", false, nil, true},
		{"127.0.0.1:8080", "", false, []string{"http://127.0.0.1:8080"}, true},
		{"127.0.0.1:8080", "", false, []string{"http://127.0.0.1:9090"}, false},
		{"fn.example.com", "https", false, []string{"https://fn.example.com"}, true},
		{"fn.example.com", "", false, []string{"https://fn.example.com"}, false},
		{"fn.example.com", "", true, []string{"https://FN.example.com:443"}, true},
		{"fn.example.com:80", "", false, []string{"http://fn.example.com"}, true},
		{"fn.example.com", "", false, []string{"https://app.example.com"}, true},
		{"fn.example.com", "", false, []string{"http://localhost:3000"}, true},
		{"fn.example.com", "", false, []string{"https://evil.example"}, false},
		{"fn.example.com", "", false, []string{"null"}, false},
		{"fn.example.com", "", false, []string{""}, false},
		{"fn.example.com", "", false, []string{"https://app.example.com/path"}, false},
		{"fn.example.com", "", false, []string{"https://app.example.com", "https://app.example.com"}, false},
		{"[::1]:8080", "", false, []string{"http://[::1]:8080"}, true},
		{"fn.example.com", "", false, []string{"javascript://fn.example.com"}, false},
		// DNS rebinding: the attacker's page has its own name as both Origin and Host.
		{"evil.example.com", "", false, []string{"http://evil.example.com"}, false},
		{"evil.example.com:8080", "", false, []string{"http://evil.example.com:8080"}, false},
		{"localhost:8080", "", false, []string{"http://localhost:8080"}, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/mcp", nil)
		r.Host = tt.host
		if tt.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		r.TLS = nil
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		for _, o := range tt.origin {
			r.Header.Add("Origin", o)
		}
		if got := originAllowed(r, allowed, []string{"fn.example.com"}); got != tt.want {
			t.Errorf("originAllowed(host %q, origin %q) = %v, want %v", tt.host, tt.origin, got, tt.want)
		}
	}
}

func TestSessionIDs(t *testing.T) {
	a, b := newSessionID(), newSessionID()
	if a == b || len(a) < 40 {
		t.Errorf("newSessionID() = %q, %q; want distinct ids of 256 bits", a, b)
	}
	if len(a) > maxSessionIDLen {
		t.Errorf("len(newSessionID()) = %d, over maxSessionIDLen", len(a))
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", 500 * time.Millisecond: "500ms", 2 * time.Minute: "120s"} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestCheck drives the request-level rules without a server.
func TestCheck(t *testing.T) {
	info := auth.Info{ID: "tok_a", Function: testFunction, Hash: [32]byte{1}}
	tests := []struct {
		name       string
		public     bool
		method     string
		withToken  bool
		origin     string
		version    string
		wantStatus int // 0: admitted
		wantBind   [32]byte
	}{
		{"token", false, "POST", true, "", "", 0, info.Hash},
		{"no token", false, "POST", false, "", "", 401, [32]byte{}},
		{"public without token", true, "POST", false, "", "", 0, [32]byte{}},
		{"public ignores a token", true, "GET", true, "", "", 0, [32]byte{}},
		{"origin before token", false, "POST", false, "https://evil.example", "", 403, [32]byte{}},
		{"token before method", false, "PUT", false, "", "", 401, [32]byte{}},
		{"method", false, "HEAD", true, "", "", 405, info.Hash},
		{"known version", false, "DELETE", true, "", "2025-03-26", 0, info.Hash},
		{"modern version", false, "POST", true, "", "2026-07-28", 0, info.Hash},
		{"future version left to mcp-go", false, "POST", true, "", "2027-01-01", 0, info.Hash},
		{"bad version", false, "POST", true, "", "latest", 400, info.Hash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Bridge{opts: Options{Public: tt.public}}
			r := httptest.NewRequest(tt.method, "http://fn.example/mcp", nil)
			if tt.withToken {
				r = r.WithContext(auth.NewContext(r.Context(), info))
			}
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.version != "" {
				r.Header.Set(mcpgo.HeaderProtocolVersion, tt.version)
			}
			_, bind, v := b.check(r)
			status := 0
			if v != nil {
				status = v.status
			}
			if status != tt.wantStatus {
				t.Fatalf("check(%s) status = %d, want %d", tt.name, status, tt.wantStatus)
			}
			if v == nil && bind != tt.wantBind {
				t.Errorf("check(%s) binding = %x, want %x", tt.name, bind[:2], tt.wantBind[:2])
			}
		})
	}
}

func TestOversizedMessage(t *testing.T) {
	h := newHarness(t, nil)
	big := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"x":"` + strings.Repeat("a", maxRequestBody) + `"}}`
	if resp, _ := h.rawRequest(t, "POST", h.tokA, "", "", big, nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("POST over 4 MiB: status %d, want 413", resp.StatusCode)
	}
}

func TestStreamEndsWhenTokenExpires(t *testing.T) {
	h := newHarness(t, nil)
	tok, _ := auth.New()
	h.toks.mu.Lock()
	h.toks.m[auth.Hash(tok)] = auth.Info{ID: "tok_x", Function: testFunction, Hash: auth.Hash(tok), ExpiresAt: time.Now().Add(time.Second)}
	h.toks.mu.Unlock()
	h.sessionClient(t, tok)
	jfntest.Eventually(t, 5*time.Second, "the client's GET stream", func() bool { return h.bridge.openStreams() == 1 })
	jfntest.Eventually(t, 5*time.Second, "the GET stream to end at expiry", func() bool { return h.bridge.openStreams() == 0 })
}

// TestGateErrorsAreJSON: every refusal of the gate, and the token check's 401 in front of it,
// is the JSON error shape with nosniff, so that a browser never reads it as anything else.
func TestGateErrorsAreJSON(t *testing.T) {
	h := newHarness(t, nil)
	sessA := h.openSession(t, h.tokA)
	const v = "2025-06-18"

	check := func(t *testing.T, what string, status int, header http.Header, body string) {
		t.Helper()
		if ct := header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type = %q, want application/json", what, ct)
		}
		if got := header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", what, got)
		}
		var got struct{ Error, Message string }
		if err := json.Unmarshal([]byte(body), &got); err != nil || got.Error != http.StatusText(status) || got.Message == "" {
			t.Errorf("%s: body %s, want {\"error\":%q,\"message\":…}", what, body, http.StatusText(status))
		}
	}

	tests := []struct {
		name       string
		method     string
		token      string
		session    string
		version    string
		body       string
		header     http.Header
		wantStatus int
	}{
		{"no token", "POST", "", sessA, v, toolsListBody, nil, 401},
		{"missing session", "POST", h.tokA, "", v, toolsListBody, nil, 400},
		{"unknown session", "POST", h.tokA, "nope", v, toolsListBody, nil, 404},
		{"PUT", "PUT", h.tokA, sessA, v, toolsListBody, nil, 405},
		{"unsupported version", "POST", h.tokA, sessA, "1999-01-01", toolsListBody, nil, 400},
		{"foreign origin", "POST", h.tokA, sessA, v, toolsListBody, http.Header{"Origin": {"https://evil.example"}}, 403},
		{"over 4 MiB", "POST", h.tokA, "", "", `{"x":"` + strings.Repeat("a", maxRequestBody) + `"}`, nil, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.rawRequest(t, tt.method, tt.token, tt.session, tt.version, tt.body, tt.header)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("%s: status %d, want %d (body %s)", tt.name, resp.StatusCode, tt.wantStatus, body)
			}
			check(t, tt.name, tt.wantStatus, resp.Header, body)
			if tt.wantStatus == 405 && resp.Header.Get("Allow") != "GET, POST, DELETE" {
				t.Errorf("%s: Allow = %q, want %q", tt.name, resp.Header.Get("Allow"), "GET, POST, DELETE")
			}
		})
	}

	t.Run("unknown mode", func(t *testing.T) {
		req, _ := http.NewRequest("POST", h.url+"?mode=bogus", strings.NewReader(toolsListBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(auth.Header, h.tokA)
		req.Header.Set(mcpgo.HeaderSessionID, sessA)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 {
			t.Fatalf("POST /mcp?mode=bogus: status %d, want 400 (body %s)", resp.StatusCode, body)
		}
		check(t, "POST /mcp?mode=bogus", 400, resp.Header, string(body))
	})

	t.Run("too many GET streams", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		get := func(ctx context.Context) (*http.Response, error) {
			req, _ := http.NewRequestWithContext(ctx, "GET", h.url, nil)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set(auth.Header, h.tokA)
			req.Header.Set(mcpgo.HeaderSessionID, sessA)
			req.Header.Set(mcpgo.HeaderProtocolVersion, v)
			return h.srv.Client().Do(req)
		}
		for range maxStreamsPerSession {
			go func() {
				if resp, err := get(ctx); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
		jfntest.Eventually(t, 5*time.Second, "the session's GET streams", func() bool { return h.bridge.openStreams() == maxStreamsPerSession })
		resp, err := get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("GET stream %d: status %d, want 429 (body %s)", maxStreamsPerSession+1, resp.StatusCode, body)
		}
		check(t, "GET over the stream limit", 429, resp.Header, string(body))
		if got := resp.Header.Get("Retry-After"); got != "5" {
			t.Errorf("GET over the stream limit: Retry-After = %q, want 5", got)
		}
	})

	t.Run("without the token check", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/mcp", strings.NewReader(initializeBody))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.bridge.ServeHTTP(w, r)
		if w.Code != 401 || w.Body.String() != auth.UnauthorizedBody {
			t.Fatalf("initialize without auth.Info = %d %s, want 401 %s", w.Code, w.Body, auth.UnauthorizedBody)
		}
		check(t, "initialize without auth.Info", 401, w.Header(), w.Body.String())
	})

	t.Run("closed", func(t *testing.T) {
		h.bridge.Close()
		r := httptest.NewRequest("POST", "/mcp", strings.NewReader(toolsListBody))
		w := httptest.NewRecorder()
		h.bridge.ServeHTTP(w, r)
		if w.Code != 404 {
			t.Fatalf("POST to a closed Bridge = %d %s, want 404", w.Code, w.Body)
		}
		check(t, "POST to a closed Bridge", 404, w.Header(), w.Body.String())
	})
}
