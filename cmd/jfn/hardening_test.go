package main

// End-to-end tests of the promise that no tokenless request reaches a protected route of the
// upstream, whatever its method, path spelling, headers or body, and that a client without a
// token cannot make the gateway hold unbounded memory. They drive a real 'jfn serve' from
// outside, with raw sockets where an ordinary client would tidy the request up, against an
// upstream that registers its routes for every method (as Go's http.HandleFunc, Express's
// app.all and Flask's method lists do).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/internal/jfntest"
)

// allMethodsDoc is the document of the all-methods upstream: a public template beside
// protected literal routes, a public webhook, and protected admin routes.
const allMethodsDoc = `{"openapi":"3.0.3","info":{"title":"all methods","version":"1"},
"security":[{"k":[]}],
"components":{"securitySchemes":{"k":{"type":"apiKey","in":"header","name":"K"}}},
"paths":{
 "/users/{id}":{"get":{"operationId":"getUser","security":[],"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}},
 "/users/admin":{"get":{"operationId":"getAdmin","responses":{"200":{"description":"ok"}}}},
 "/admin/delete-all":{"post":{"operationId":"deleteAll","responses":{"200":{"description":"ok"}}}},
 "/webhook":{"post":{"operationId":"webhook","security":[],"responses":{"200":{"description":"ok"}}}}
}}`

// newAllMethods starts an upstream whose every route answers every method, records what
// it received, and upgrades any request that asks to (answering 101 and echoing bytes), as
// a WebSocket or h2c endpoint registered for all methods would.
func newAllMethods(t *testing.T) *jfntest.Upstream {
	t.Helper()
	return jfntest.NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == jfntest.DocumentPath && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, allMethodsDoc)
			return
		}
		if r.Header.Get("Upgrade") != "" {
			c, rw, err := http.NewResponseController(w).Hijack()
			if err == nil {
				rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + r.Header.Get("Upgrade") + "\r\n\r\n")
				rw.Flush()
				io.Copy(c, c)
				c.Close()
			}
			return
		}
		// A handler that sets its own CORS header, as many frameworks do.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fmt.Fprintf(w, "ran %s %s", r.Method, r.URL.Path)
	}))
}

// rawResponse is what came back on a raw connection.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// rawDo writes req as is on a new connection to addr and reads one response (or fails the
// test when none arrives within d).
func rawDo(t *testing.T, addr, req string, d time.Duration) rawResponse {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(d))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write %q: %v", firstLine(req), err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s: no response: %v", firstLine(req), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, resp.Header, string(b)}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

// startHardened starts a server with the all-methods upstream deployed as "fn" (flags go to
// deploy) and returns the server, the upstream and fn's token, once the document is loaded.
func startHardened(t *testing.T, serveFlags []string, deployFlags ...string) (*testServer, *jfntest.Upstream, string) {
	t.Helper()
	s := startServer(t, serveFlags...)
	up := newAllMethods(t)
	tok := deployed(t, s.db, "fn", up.URL, deployFlags...)
	s.waitFunctions(t, "fn")
	s.waitToken(t, s.URL()+"/fn/users/admin", tok)
	// Public operations need the document: wait until the public template answers.
	jfntest.Eventually(t, 5*time.Second, "GET /fn/users/42 (a public operation) answers 200", func() bool {
		code, _, _ := call(t, "GET", s.URL()+"/fn/users/42", nil, "")
		return code == http.StatusOK
	})
	return s, up, tok
}

func TestTokenlessOptionsNeverReachesUpstream(t *testing.T) {
	const app = "https://app.example.com"
	s, up, tok := startHardened(t, nil, "--cors-origins", app)
	addr := s.Addr()
	before := len(up.Calls())

	// Tokenless OPTIONS in every shape an attacker would send it: plain, with a body, asking
	// for an upgrade, on protected and public paths. None may reach the upstream.
	for _, req := range []string{
		"OPTIONS /fn/admin/delete-all HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS /fn/admin/delete-all?all=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"all\":true}",
		"OPTIONS /fn/admin/delete-all HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"OPTIONS /fn/users/admin HTTP/1.1\r\nHost: x\r\nOrigin: " + app + "\r\n\r\n",
		"OPTIONS /fn/webhook HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", // Go's server answers it itself
		"OPTIONS /fn/mcp HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		r := rawDo(t, addr, req, 5*time.Second)
		switch {
		case firstLine(req) == "OPTIONS * HTTP/1.1":
			// Not routed to any function: only the upstream's silence matters (checked below).
		case r.status != http.StatusUnauthorized || r.body != unauthorizedBody:
			t.Errorf("%s without a token = %d %q, want 401 %s", firstLine(req), r.status, r.body, unauthorizedBody)
		}
	}

	// CORS preflights are answered by the gateway: listed origin, unlisted origin, on a
	// protected route, on /mcp and on a public operation.
	preflight := func(path, origin string) rawResponse {
		return rawDo(t, addr, "OPTIONS "+path+" HTTP/1.1\r\nHost: x\r\nOrigin: "+origin+
			"\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, x-jelou-token\r\n"+
			"Content-Length: 5\r\n\r\nhello", 5*time.Second)
	}
	for _, path := range []string{"/fn/admin/delete-all", "/fn/mcp", "/fn/webhook"} {
		r := preflight(path, app)
		if r.status != http.StatusNoContent {
			t.Errorf("preflight %s from %s = %d, want 204", path, app, r.status)
		}
		if got := r.header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != app {
			t.Errorf("preflight %s from %s: Access-Control-Allow-Origin = %q, want [%s]", path, app, got, app)
		}
		allowHeaders := strings.ToLower(r.header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"x-jelou-token", "content-type"} {
			if !strings.Contains(allowHeaders, h) {
				t.Errorf("preflight %s: Access-Control-Allow-Headers = %q, want %s in it", path, allowHeaders, h)
			}
		}
		if !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") || r.header.Get("Access-Control-Max-Age") == "" {
			t.Errorf("preflight %s: Allow-Methods %q, Max-Age %q; want POST listed and a max age", path,
				r.header.Get("Access-Control-Allow-Methods"), r.header.Get("Access-Control-Max-Age"))
		}
		r = preflight(path, "https://evil.example")
		if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight %s from an unlisted origin = %d, Access-Control-Allow-Origin %q; want 204 without it",
				path, r.status, r.header.Get("Access-Control-Allow-Origin"))
		}
	}
	if got := up.Calls()[before:]; len(got) != 0 {
		t.Fatalf("the upstream received %d tokenless OPTIONS requests, want none: %+v", len(got), got)
	}

	// With a token, OPTIONS is an ordinary request and is forwarded.
	code, _, body := call(t, "OPTIONS", s.URL()+"/fn/admin/delete-all", tokenHeader(tok), "")
	if code != http.StatusOK || body != "ran OPTIONS /admin/delete-all" {
		t.Errorf("OPTIONS /fn/admin/delete-all with a token = %d %q, want the upstream's 200", code, body)
	}

	// Answers to a listed origin carry the gateway's Access-Control-Allow-Origin once (the
	// upstream's own "*" is replaced), the 401 included; others carry the upstream's.
	hdr := tokenHeader(tok)
	hdr.Set("Origin", app)
	code, h, _ := call(t, "GET", s.URL()+"/fn/users/admin", hdr, "")
	if got := h.Values("Access-Control-Allow-Origin"); code != 200 || len(got) != 1 || got[0] != app {
		t.Errorf("GET with Origin %s = %d, Access-Control-Allow-Origin %q; want 200 and [%s]", app, code, got, app)
	}
	code, h, _ = call(t, "GET", s.URL()+"/fn/users/admin", http.Header{"Origin": {app}}, "")
	if code != http.StatusUnauthorized || h.Get("Access-Control-Allow-Origin") != app {
		t.Errorf("tokenless GET with Origin %s = %d, Access-Control-Allow-Origin %q; want 401 readable by the app", app, code, h.Get("Access-Control-Allow-Origin"))
	}
}

// unauthorizedBody is the body of every 401 of the token rule, to the byte.
const unauthorizedBody = `{"error":"Unauthorized","message":"Missing or invalid X-Jelou-Token header"}`

func TestTokenlessRequestsOfAnyMethodNeverReachUpstream(t *testing.T) {
	s, up, _ := startHardened(t, nil)
	before := len(up.Calls())
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get", "Post", "FOO"} {
		for _, path := range []string{"/fn/admin/delete-all", "/fn/users/admin", "/fn/", "/fn"} {
			if method == "CONNECT" {
				continue // Go's server answers CONNECT with a non-absolute target itself
			}
			r := rawDo(t, s.Addr(), method+" "+path+" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 5*time.Second)
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s %s without a token = %d, want 401", method, path, r.status)
			}
		}
	}
	// A public GET spelled in another case is not the public GET.
	if r := rawDo(t, s.Addr(), "get /fn/users/42 HTTP/1.1\r\nHost: x\r\n\r\n", 5*time.Second); r.status != http.StatusUnauthorized {
		t.Errorf("get /fn/users/42 (lowercase method) without a token = %d, want 401", r.status)
	}
	if got := up.Calls()[before:]; len(got) != 0 {
		t.Errorf("the upstream received %d tokenless requests on protected routes, want none: %+v", len(got), got)
	}
}

func TestPublicLookAlikesNeedToken(t *testing.T) {
	s, up, tok := startHardened(t, nil)
	for _, path := range []string{"/users/ADMIN", "/users/Admin", "/users/admin;", "/users/admin;x=1",
		"/users/admin.", "/users/admin.json", "/users/admin%20", "/users/admin%09", "/users/admin%00",
		"/users/admin%5C", "/users/42;jsessionid=1", "/users/42%20", "/users/42."} {
		before := len(up.Calls())
		r := rawDo(t, s.Addr(), "GET /fn"+path+" HTTP/1.1\r\nHost: x\r\n\r\n", 5*time.Second)
		if r.status != http.StatusUnauthorized || r.body != unauthorizedBody {
			t.Errorf("GET /fn%s without a token = %d %q, want 401", path, r.status, r.body)
		}
		if got := up.Calls()[before:]; len(got) != 0 {
			t.Errorf("GET /fn%s without a token reached the upstream as %s", path, got[0].RequestURI)
		}
		// The token still opens them: the rule narrows the exemption, nothing else.
		hdr := tokenHeader(tok)
		if code, _, _ := call(t, "GET", s.URL()+"/fn"+path, hdr, ""); code != http.StatusOK {
			t.Errorf("GET /fn%s with a token = %d, want 200", path, code)
		}
	}
	for _, path := range []string{"/users/42", "/users/alice", "/users/v1.2.3", "/users/.well"} {
		if code, _, body := call(t, "GET", s.URL()+"/fn"+path, nil, ""); code != http.StatusOK {
			t.Errorf("GET /fn%s (public) without a token = %d %s, want 200", path, code, body)
		}
	}
}

func TestClientsCannotForgeGatewayHeaders(t *testing.T) {
	s, up, tok := startHardened(t, nil)
	forged := "X-Jelou-Token-Id: tok_forged\r\nX_Jelou_Token_Id: tok_forged\r\nx-jelou-trigger: cron\r\n" +
		"X-Jelou-Cron: * * * * *\r\nX-Jelou-Cron-Name: nightly\r\nX-JELOU-FUNCTION: other\r\nX_jelou-Signature: t=1,v1=00\r\n" +
		"X-Jelou-Anything: x\r\nX-HTTP-Method-Override: DELETE\r\nX-Http-Method: DELETE\r\nX_Method_Override: DELETE\r\n"
	check := func(what string, wantOverride bool) {
		t.Helper()
		got := up.LastCall(t)
		for k, vs := range got.Header {
			norm := strings.ToLower(strings.ReplaceAll(k, "_", "-"))
			if strings.HasPrefix(norm, "x-jelou-") {
				for _, v := range vs {
					if strings.Contains(v, "forged") || v == "cron" || v == "other" || v == "nightly" || v == "x" || strings.Contains(v, "v1=00") || strings.Contains(v, "* *") {
						t.Errorf("%s: the upstream received the client's %s: %q", what, k, v)
					}
				}
			}
			if strings.Contains(norm, "method") && !wantOverride {
				t.Errorf("%s: the upstream received %s: %q on a tokenless call", what, k, vs)
			}
		}
		if got.Header.Get("X-Jelou-Trigger") != "http" || got.Header.Get("X-Jelou-Function") != "fn" {
			t.Errorf("%s: X-Jelou-Trigger %q, X-Jelou-Function %q; want the gateway's http and fn", what,
				got.Header.Get("X-Jelou-Trigger"), got.Header.Get("X-Jelou-Function"))
		}
	}
	r := rawDo(t, s.Addr(), "GET /fn/users/42 HTTP/1.1\r\nHost: x\r\n"+forged+"\r\n", 5*time.Second)
	if r.status != http.StatusOK {
		t.Fatalf("tokenless GET /fn/users/42 = %d, want 200", r.status)
	}
	check("tokenless public call", false)
	if tid := up.LastCall(t).Header.Get("X-Jelou-Token-Id"); tid != "" {
		t.Errorf("tokenless call: X-Jelou-Token-Id = %q, want none", tid)
	}

	r = rawDo(t, s.Addr(), "GET /fn/users/admin HTTP/1.1\r\nHost: x\r\nX-Jelou-Token: "+tok+"\r\n"+forged+"\r\n", 5*time.Second)
	if r.status != http.StatusOK {
		t.Fatalf("GET /fn/users/admin with a token = %d, want 200", r.status)
	}
	check("call with a token", true)
	if tid := up.LastCall(t).Header.Get("X-Jelou-Token-Id"); !strings.HasPrefix(tid, "tok_") || tid == "tok_forged" {
		t.Errorf("call with a token: X-Jelou-Token-Id = %q, want the real token's id", tid)
	}
}

func TestDotSegmentsRefusedUnderBasePath(t *testing.T) {
	s := startServer(t)
	up := newAllMethods(t)
	tok := deployed(t, s.db, "based", up.URL+"/base", "--openapi", up.URL+"/openapi.json")
	rootTok := deployed(t, s.db, "root", up.URL, "--openapi", up.URL+"/openapi.json")
	s.waitFunctions(t, "based", "root")
	s.waitToken(t, s.URL()+"/based/x", tok)
	s.waitToken(t, s.URL()+"/root/x", rootTok)
	for _, path := range []string{"/../admin/delete-all", "/a/../../admin/delete-all", "/%2e%2e/admin/delete-all",
		"/..%2Fadmin/delete-all", "/./x", "/x/.", "/x/..", "/..%5Cadmin", "/%252e%252e/admin/delete-all", "/%252E%252e%25252Fadmin",
		"/..;/admin/delete-all", "/%2e%2e;x/admin", "/x/%252e%252e/y/%25zz"} {
		before := len(up.Calls())
		r := rawDo(t, s.Addr(), "POST /based"+path+" HTTP/1.1\r\nHost: x\r\nX-Jelou-Token: "+tok+"\r\nContent-Length: 2\r\n\r\n{}", 5*time.Second)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `"error":"Bad Request"`) {
			t.Errorf("POST /based%s = %d %s, want a JSON 400", path, r.status, r.body)
		}
		if got := up.Calls()[before:]; len(got) != 0 {
			t.Errorf("POST /based%s reached the upstream as %s", path, got[0].RequestURI)
		}
	}
	// Without a base path there is nothing to escape: the path goes as sent.
	before := len(up.Calls())
	r := rawDo(t, s.Addr(), "GET /root/a/../b HTTP/1.1\r\nHost: x\r\nX-Jelou-Token: "+rootTok+"\r\n\r\n", 5*time.Second)
	if got := up.Calls()[before:]; r.status != http.StatusOK || len(got) != 1 || got[0].RequestURI != "/a/../b" {
		t.Errorf("GET /root/a/../b = %d, upstream saw %+v; want it forwarded as /a/../b", r.status, got)
	}
}

func TestSlowBodyCutOffAfterBodyTimeout(t *testing.T) {
	s, up, tok := startHardened(t, []string{"--body-timeout", "1s"})
	for _, c := range []struct{ what, req string }{
		{"public operation, no token", "POST /fn/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"},
		{"with a token", "POST /fn/admin/delete-all HTTP/1.1\r\nHost: x\r\nX-Jelou-Token: " + tok + "\r\nContent-Length: 1000\r\n\r\n{"},
		{"chunked", "POST /fn/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n"},
		{"MCP", "POST /fn/mcp HTTP/1.1\r\nHost: x\r\nX-Jelou-Token: " + tok + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"},
	} {
		before := len(up.Calls())
		start := time.Now()
		r := rawDo(t, s.Addr(), c.req, 10*time.Second)
		took := time.Since(start)
		if r.status != http.StatusRequestTimeout || !strings.Contains(r.body, `"error":"Request Timeout"`) {
			t.Errorf("%s: a body that stops arriving got %d %s, want a JSON 408", c.what, r.status, r.body)
		}
		if took < 900*time.Millisecond {
			t.Errorf("%s: cut off after %v, before the 1 s body timeout", c.what, took)
		}
		if got := up.Calls()[before:]; len(got) != 0 {
			t.Errorf("%s: the upstream received the unfinished request", c.what)
		}
	}
	// A body that arrives in time, slowly, is served.
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /fn/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n{")
	time.Sleep(300 * time.Millisecond)
	io.WriteString(c, "\"\"}")
	c.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("a slow body within the timeout: %v %v, want 200", resp, err)
	}
}

func TestInflightBodiesCapped(t *testing.T) {
	const maxBody = 256 << 10
	s, up, tok := startHardened(t, []string{"--max-body-bytes", fmt.Sprint(maxBody), "--max-inflight-bytes", "600000"})
	// Two bodies under way hold about 2 × 256 KiB of buffers; a third does not fit.
	part := bytes.Repeat([]byte("a"), 200_000)
	head := fmt.Sprintf("POST /fn/admin/delete-all HTTP/1.1\r\nHost: x\r\nX-Jelou-Token: %s\r\nContent-Length: %d\r\n\r\n", tok, maxBody)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(head))
		c.Write(part)
		held = append(held, c)
	}
	time.Sleep(500 * time.Millisecond) // the gateway has read what was sent
	before := len(up.Calls())
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() { c.Write([]byte(head)); c.Write(part) }()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("third body over the in-flight cap: no answer: %v\n%s", err, s.log.String())
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), `"error":"Service Unavailable"`) {
		t.Errorf("third body over the in-flight cap = %d, Retry-After %q, %s; want a JSON 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	// The two bodies under way finish and are served; then there is room again.
	for i, c := range held {
		c.Write(bytes.Repeat([]byte("b"), maxBody-len(part)))
		c.SetDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("body %d under the cap: %v %v, want 200", i, resp, err)
		}
	}
	if got := up.Calls()[before:]; len(got) != 2 || len(got[0].Body) != maxBody {
		sizes := make([]int, len(got))
		for i, r := range got {
			sizes[i] = len(r.Body)
		}
		t.Errorf("the upstream received bodies of %v bytes, want the two complete bodies of %d", sizes, maxBody)
	}
	code, _, _ := call(t, "POST", s.URL()+"/fn/admin/delete-all", tokenHeader(tok), strings.Repeat("c", maxBody))
	if code != http.StatusOK {
		t.Errorf("a body after the others finished = %d, want 200 (the cap was given back)", code)
	}
}

// decodeServeJSON decodes the object 'jfn serve --json' prints once it listens.
func decodeServeJSON(t *testing.T, out io.Reader) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.NewDecoder(out).Decode(&m); err != nil {
		t.Fatalf("read what the server printed: %v", err)
	}
	return m
}

// cliChildEnv marks the test binary run as a CLI child process (see TestCLIChildProcess).
const cliChildEnv = "JFN_CLI_TEST_CHILD"

// cliChild returns a command that runs this test binary as 'jfn' with args, in a process of
// its own: a test can then measure that process alone, or end it with a signal.
func cliChild(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestCLIChildProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), cliChildEnv+"=1")
	return cmd
}

// TestCLIChildProcess is not a test: it is the body of the child processes cliChild starts
// (the standard library's helper-process pattern), and returns at once otherwise. SIGTERM
// ends the command as it ends 'jfn serve'.
func TestCLIChildProcess(t *testing.T) {
	if os.Getenv(cliChildEnv) != "1" {
		return
	}
	var args []string
	for i, a := range os.Args {
		if a == "--" {
			args = os.Args[i+1:]
			break
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, args, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// processResident reads a process's resident set size from /proc.
func processResident(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read the server's /proc status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in the server's /proc status")
	return 0
}

func TestTokenlessBodiesCannotExhaustMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the server's resident memory")
	}
	const (
		sockets     = 100
		declared    = 10 << 20 // each socket declares a 10 MiB body and sends one byte
		bodyTimeout = 3 * time.Second
		maxGrowth   = 64 << 20
	)
	db := filepath.Join(t.TempDir(), "jfn.db")
	up := newAllMethods(t)
	deployed(t, db, "fn", up.URL)

	cmd := cliChild("serve", "--db", db, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--json",
		"--body-timeout", bodyTimeout.String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr jfntest.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	addr := decodeServeJSON(t, out)["listen"]
	base := "http://" + addr
	if !jfntest.Poll(10*time.Second, func() bool {
		resp, err := http.Get(base + "/fn/users/42")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}) {
		t.Fatalf("the server never served the public operation; its log:\n%s", stderr.String())
	}
	pid := cmd.Process.Pid
	before := processResident(t, pid)
	before0 := len(up.Calls())

	// The attack: headers of a public operation (no token needed) with a declared 10 MiB
	// body, one byte of it, then silence.
	type result struct {
		status int
		after  time.Duration
		err    error
	}
	results := make(chan result, sockets)
	start := time.Now()
	for range sockets {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /fn/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", declared)
		go func() {
			c.SetReadDeadline(time.Now().Add(bodyTimeout + 10*time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				results <- result{err: err, after: time.Since(start)}
				return
			}
			resp.Body.Close()
			results <- result{status: resp.StatusCode, after: time.Since(start)}
		}()
	}
	// Sample the server's memory while the sockets hang.
	peak := before
	for time.Since(start) < bodyTimeout-500*time.Millisecond {
		peak = max(peak, processResident(t, pid))
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d sockets declaring %d MiB bodies: server resident set %.1f MB before, %.1f MB at the peak (+%.1f MB)",
		sockets, declared>>20, float64(before)/1e6, float64(peak)/1e6, float64(peak-before)/1e6)
	if peak-before >= maxGrowth {
		t.Errorf("the server grew by %.1f MB for %d stalled bodies, want less than %d MB", float64(peak-before)/1e6, sockets, maxGrowth>>20)
	}
	for range sockets {
		r := <-results
		switch {
		case r.err != nil:
			t.Errorf("a stalled body got no answer within %v: %v", r.after, r.err)
		case r.status != http.StatusRequestTimeout:
			t.Errorf("a stalled body got %d, want 408", r.status)
		case r.after < bodyTimeout-200*time.Millisecond:
			t.Errorf("a stalled body was cut off after %v, before the %v body timeout", r.after, bodyTimeout)
		}
	}
	if got := up.Calls()[before0:]; len(got) != 0 {
		t.Errorf("the upstream received %d unfinished bodies, want none", len(got))
	}
}

func TestUpgradeNeverTunnelsPastTheGateway(t *testing.T) {
	s, up, tok := startHardened(t, nil)
	for _, c := range []struct {
		what, req   string
		wantUpgrade string // what the upstream may see in Upgrade ("" for nothing)
	}{
		{"h2c on a public operation", "GET /fn/users/1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", ""},
		{"another protocol on a public operation", "POST /fn/webhook HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: foo\r\nContent-Length: 2\r\n\r\n{}", ""},
		{"h2c with a token", "GET /fn/users/admin HTTP/1.1\r\nHost: x\r\nX-Jelou-Token: " + tok + "\r\nConnection: Upgrade\r\nUpgrade: H2C\r\n\r\n", ""},
	} {
		before := len(up.Calls())
		r := rawDo(t, s.Addr(), c.req, 5*time.Second)
		got := up.Calls()[before:]
		if r.status == http.StatusSwitchingProtocols || len(got) != 1 {
			t.Errorf("%s: %d, upstream saw %d requests; want the plain request, answered, once", c.what, r.status, len(got))
			continue
		}
		if u := got[0].Header.Get("Upgrade"); u != c.wantUpgrade || got[0].Header.Get("Http2-Settings") != "" {
			t.Errorf("%s: the upstream saw Upgrade %q and HTTP2-Settings %q, want neither", c.what, u, got[0].Header.Get("Http2-Settings"))
		}
	}
	// A WebSocket upgrade with a token goes through: that is the function's own protocol.
	r := rawDo(t, s.Addr(), "GET /fn/users/admin HTTP/1.1\r\nHost: x\r\nX-Jelou-Token: "+tok+"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 5*time.Second)
	if r.status != http.StatusSwitchingProtocols {
		t.Errorf("a WebSocket upgrade with a token = %d, want 101 from the upstream", r.status)
	}
}

func TestTokenlessMethodOverrideRefused(t *testing.T) {
	s, up, tok := startHardened(t, nil)
	before := len(up.Calls())
	// Two Content-Type headers: PHP's server joins them, and Laravel then reads the JSON.
	code, _, body := call(t, "POST", s.URL()+"/fn/webhook", http.Header{"Content-Type": {"text/plain", "application/json"}}, `{"_method":"DELETE"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "_method") {
		t.Errorf("tokenless POST with two Content-Types and a JSON _method = %d %s, want a 400 naming _method", code, body)
	}
	for _, c := range []struct{ what, url, ctype, body string }{
		{"query", "/fn/webhook?_method=DELETE", "application/json", "{}"},
		{"query, any case", "/fn/webhook?x=1&_METHOD=delete", "application/json", "{}"},
		{"form body", "/fn/webhook", "application/x-www-form-urlencoded", "a=1&_method=DELETE"},
		{"multipart body", "/fn/webhook", "multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--B--\r\n"},
		{"JSON body", "/fn/webhook", "application/json", `{"event":"x","_method":"DELETE"}`},
		{"query, encoded name", "/fn/webhook?_%6Dethod=DELETE", "application/json", "{}"},
		{"form body, PHP's name", "/fn/webhook", "application/x-www-form-urlencoded", ".method=DELETE"},
		{"multipart, inline part", "/fn/webhook", "multipart/form-data; boundary=B", "--B\r\nContent-Disposition: inline; name=\"_method\"\r\n\r\nDELETE\r\n--B--\r\n"},
		{"JSON for Laravel", "/fn/webhook", `text/plain; p="+json"`, `{"_method":"DELETE"}`},
		{"form body, Rack's brackets", "/fn/webhook", "application/x-www-form-urlencoded", "[_method]=DELETE"},
	} {
		code, _, body := call(t, "POST", s.URL()+c.url, http.Header{"Content-Type": {c.ctype}}, c.body)
		if code != http.StatusBadRequest || !strings.Contains(body, "_method") {
			t.Errorf("tokenless POST %s with a _method override in the %s = %d %s, want a 400 naming _method", c.url, c.what, code, body)
		}
	}
	if got := up.Calls()[before:]; len(got) != 0 {
		t.Errorf("the upstream received %d tokenless method overrides, want none", len(got))
	}
	// A token holder may use them: the token covers every method.
	code, _, _ = call(t, "POST", s.URL()+"/fn/admin/delete-all?_method=DELETE", tokenHeader(tok), "{}")
	if code != http.StatusOK {
		t.Errorf("POST with _method and a token = %d, want 200", code)
	}
	// A field whose name only ends in method is no override.
	if code, _, body := call(t, "POST", s.URL()+"/fn/webhook", nil, `{"payment_method":"card","note":"the _method field"}`); code != http.StatusOK {
		t.Errorf("tokenless POST /fn/webhook with a payment_method field = %d %s, want 200", code, body)
	}
	// The webhook without an override stays public, and a token sent as X-Request-Id never
	// reaches the upstream, the log or the answer.
	code, hdr, _ := call(t, "POST", s.URL()+"/fn/webhook", http.Header{"X-Request-Id": {tok}}, "{}")
	if code != http.StatusOK || strings.Contains(hdr.Get("X-Request-Id"), "jfn_rt_") {
		t.Errorf("public POST /fn/webhook with a token as X-Request-Id = %d, echoed id %q; want 200 and a fresh id", code, hdr.Get("X-Request-Id"))
	}
	if got := up.LastCall(t).Header.Get("X-Request-Id"); strings.Contains(got, "jfn_rt_") {
		t.Errorf("the upstream received X-Request-Id %q", got)
	}
	if strings.Contains(s.log.String(), tok) {
		t.Error("the access log holds a token sent as X-Request-Id")
	}
}

func TestUnroutedBodyCutOffAfterBodyTimeout(t *testing.T) {
	s := startServer(t, "--body-timeout", "1s", "--domain", "fn.test")
	for _, req := range []string{
		"POST /nosuch/x HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\nab",
		"POST /users/admin HTTP/1.1\r\nHost: nosuch.fn.test\r\nContent-Length: 1000\r\n\r\nab",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab",
	} {
		start := time.Now()
		r := rawDo(t, s.Addr(), req, 8*time.Second) // fails the test when no answer comes
		if r.status != http.StatusNotFound {
			t.Errorf("%s with a stalled body = %d after %v, want the 404", firstLine(req), r.status, time.Since(start))
		}
	}
}

func TestMCPStreamsBounded(t *testing.T) {
	s := startServer(t)
	up := jfntest.NewUpstream(t, balance.Handler())
	deployed(t, s.db, "pub", up.URL, "--public")
	s.waitFunctions(t, "pub")
	url := s.URL() + "/pub/mcp"
	session := openRawSession(t, url, "")
	var open []*http.Response
	defer func() {
		for _, r := range open {
			r.Body.Close()
		}
	}()
	get := func() *http.Response {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set(mcp.HeaderSessionID, session)
		req.Header.Set(mcp.HeaderProtocolVersion, sessionVersion)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for i := range 4 {
		resp := get()
		open = append(open, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET stream %d of a session = %d, want 200", i+1, resp.StatusCode)
		}
	}
	resp := get()
	if resp.StatusCode == http.StatusOK {
		open = append(open, resp) // a stream: its body never ends
		t.Fatal("a fifth GET stream on one session = 200, want a JSON 429 with Retry-After")
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "Too Many Requests") {
		t.Errorf("a fifth GET stream on one session = %d %s, want a JSON 429 with Retry-After", resp.StatusCode, b)
	}
	// Closing one makes room again.
	open[0].Body.Close()
	open = open[1:]
	if !jfntest.Poll(3*time.Second, func() bool {
		resp := get()
		if resp.StatusCode == http.StatusOK {
			open = append(open, resp)
			return true
		}
		resp.Body.Close()
		return false
	}) {
		t.Error("after one stream closed, a new GET stream was still refused")
	}
}
