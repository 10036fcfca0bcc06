package main

// End-to-end tests of the acceptance criteria: the real server, started through the
// code path of 'jfn serve' on 127.0.0.1:0 with a SQLite file, driven by the real CLI code path
// (run) and plain HTTP.

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/examples/shop"
	"github.com/jfnhq/jfn/internal/jfntest"
)

// tokenID returns the id of function's token named name, from 'tokens list --json'.
func tokenID(t *testing.T, db, function, name string) string {
	t.Helper()
	r := mustCLI(t, db, "tokens", "list", function, "--json")
	m := decodeObject(t, "tokens list --json", r.stdout, "tokens")
	for _, v := range m["tokens"].([]any) {
		tok := v.(map[string]any)
		if tok["name"] == name {
			return tok["id"].(string)
		}
	}
	t.Fatalf("tokens list %s: no token named %q in %s", function, name, r.stdout)
	return ""
}

func TestDeployShowsTokenOnce(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	r := mustCLI(t, db, "deploy", "balance", "--url", "http://127.0.0.1:9001")
	tok := tokenPattern.FindString(r.stdout)
	want := "✓ Deployed\n" +
		"▸ URL: http://127.0.0.1:8080/balance\n" +
		"⚠ A default runtime token was created for this function.\n" +
		"  Save it now — it will not be shown again.\n" +
		"▸ Token    " + tok + "\n"
	if tok == "" || r.stdout != want {
		t.Fatalf("first deploy printed\n%s\nwant\n%s", r.stdout, want)
	}
	if err := auth.Check(tok); err != nil {
		t.Errorf("auth.Check(deploy's token) = %v, want nil", err)
	}
	if r.stderr != "" {
		t.Errorf("first deploy: stderr = %q, want empty", r.stderr)
	}

	r = mustCLI(t, db, "deploy", "balance", "--url", "http://127.0.0.1:9001", "--timeout", "10s")
	if want := "✓ Deployed\n▸ URL: http://127.0.0.1:8080/balance\n"; r.stdout != want {
		t.Errorf("second deploy printed %q, want %q", r.stdout, want)
	}
	r = mustCLI(t, db, "tokens", "list", "balance")
	if strings.Contains(r.stdout, "jfn_rt_") && !strings.Contains(r.stdout, auth.DisplayPrefix(tok)) || tokenPattern.MatchString(r.stdout) {
		t.Errorf("tokens list printed %q: want the prefix %s and never the secret", r.stdout, auth.DisplayPrefix(tok))
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^ID\s+Name\s+Prefix\s+Last Used\s+Created$`).MatchString(lines[0]) {
		t.Fatalf("tokens list printed %q, want a header and one row", r.stdout)
	}
	row := regexp.MustCompile(`^tok_[A-Za-z0-9]{12}\s+default\s+` + regexp.QuoteMeta(auth.DisplayPrefix(tok)) + `\s+never\s+\d{4}-\d\d-\d\d \d\d:\d\d$`)
	if !row.MatchString(lines[1]) {
		t.Errorf("tokens list row = %q, want id, default, prefix, never, created time", lines[1])
	}
	// The columns are aligned: every header starts where its values start.
	if strings.Index(lines[0], "Prefix") != strings.Index(lines[1], "jfn_rt_") {
		t.Errorf("tokens list columns are not aligned:\n%s", r.stdout)
	}
}

func TestTokenRule(t *testing.T) {
	s := startServer(t)
	up := jfntest.NewUpstream(t, balance.Handler())
	tokA := deployed(t, s.db, "balance", up.URL)
	tokB := deployed(t, s.db, "other", up.URL)
	idA := tokenID(t, s.db, "balance", "default")
	url := s.URL() + "/balance"
	body := `{"phone":"+593987654321"}`

	s.waitFunctions(t, "balance", "other")
	s.waitToken(t, s.URL()+"/other/", tokB)
	jfntest.Eventually(t, 2*time.Second, "a valid token gets 200", func() bool {
		code, _, _ := call(t, "POST", url, tokenHeader(tokA), body)
		return code == 200
	})

	t.Run("valid token is forwarded without the secret", func(t *testing.T) {
		code, hdr, got := call(t, "POST", url, tokenHeader(tokA), body)
		if code != 200 || !strings.Contains(got, `"balance":125.5`) {
			t.Fatalf("POST /balance with a valid token = %d %s, want 200 and the balance", code, got)
		}
		h := up.LastCall(t).Header
		if v := h.Get("X-Jelou-Token"); v != "" {
			t.Errorf("upstream saw X-Jelou-Token %q, want it removed", v)
		}
		for name, want := range map[string]string{
			"X-Jelou-Function": "balance", "X-Jelou-Token-Id": idA, "X-Jelou-Trigger": "http",
			"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": s.Addr(), "X-Forwarded-Proto": "http",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("upstream saw %s = %q, want %q", name, got, want)
			}
		}
		if rid := h.Get("X-Request-Id"); rid == "" || rid != hdr.Get("X-Request-Id") {
			t.Errorf("X-Request-Id: upstream saw %q, caller got %q; want the same non-empty id", rid, hdr.Get("X-Request-Id"))
		}
	})

	unauthorized := []struct {
		name   string
		url    string
		header http.Header
	}{
		{"no token", url, nil},
		{"token in the query string", url + "?X-Jelou-Token=" + tokA + "&token=" + tokA, nil},
		{"Authorization Bearer", url, http.Header{"Authorization": {"Bearer " + tokA}}},
		{"5 KB header", url, tokenHeader(tokA + strings.Repeat("a", 5<<10))},
		{"malformed token", url, tokenHeader("jfn_rt_nope")},
		{"another function's token", url, tokenHeader(tokB)},
		{"token twice", url, http.Header{"X-Jelou-Token": {tokA, tokA}}},
	}
	for _, tt := range unauthorized {
		t.Run(tt.name, func(t *testing.T) {
			before := len(up.Calls())
			code, hdr, got := call(t, "POST", tt.url, tt.header, body)
			if code != 401 || got != auth.UnauthorizedBody || hdr.Get("Content-Type") != "application/json" {
				t.Errorf("POST /balance with %s = %d %q (Content-Type %q), want 401 %q application/json",
					tt.name, code, got, hdr.Get("Content-Type"), auth.UnauthorizedBody)
			}
			if len(up.Calls()) != before {
				t.Errorf("POST /balance with %s reached the upstream", tt.name)
			}
		})
	}

	t.Run("B's token works on B only", func(t *testing.T) {
		if code, _, _ := call(t, "POST", s.URL()+"/other", tokenHeader(tokB), body); code != 200 {
			t.Errorf("POST /other with its own token = %d, want 200", code)
		}
		if code, _, _ := call(t, "POST", s.URL()+"/other", tokenHeader(tokA), body); code != 401 {
			t.Errorf("POST /other with balance's token = %d, want 401", code)
		}
	})

	t.Run("no token needed for health and the document", func(t *testing.T) {
		code, _, got := call(t, "GET", url+"/__health", nil, "")
		if code != 200 || !strings.Contains(got, `"status":"ok"`) || !strings.Contains(got, `"getBalance"`) {
			t.Errorf("GET /balance/__health = %d %s, want 200 with status ok and the getBalance tool", code, got)
		}
		code, _, got = call(t, "GET", url+"/openapi.json", nil, "")
		if code != 200 || !strings.Contains(got, "jelouToken") || !strings.Contains(got, url) {
			t.Errorf("GET /balance/openapi.json = %d %.200s…, want 200 with the jelouToken scheme and the server URL", code, got)
		}
	})

	t.Run("the log never holds a token", func(t *testing.T) {
		logs := s.log.String()
		if !strings.Contains(logs, `"function":"balance"`) {
			t.Fatalf("the log has no access line for balance:\n%s", logs)
		}
		for _, tok := range []string{tokA, tokB} {
			if strings.Contains(logs, tok) || strings.Contains(logs, tok[:len(tok)-6]) {
				t.Errorf("the log contains a token:\n%s", logs)
			}
		}
	})
}

func TestTokenChangesReachRunningServer(t *testing.T) {
	s := startServer(t)
	up := jfntest.NewUpstream(t, balance.Handler())
	deployed(t, s.db, "balance", up.URL)
	s.waitFunctions(t, "balance")
	url := s.URL() + "/balance"
	body := `{"phone":"+593987654321"}`

	r := mustCLI(t, s.db, "tokens", "create", "balance", "--name", "ci")
	tok := tokenPattern.FindString(r.stdout)
	jfntest.Eventually(t, time.Second, "a token created with the CLI works", func() bool {
		code, _, _ := call(t, "POST", url, tokenHeader(tok), body)
		return code == 200
	})

	id := tokenID(t, s.db, "balance", "ci")
	mustCLI(t, s.db, "tokens", "revoke", "balance", id, "-y")
	jfntest.Eventually(t, time.Second, "a token revoked with the CLI is refused", func() bool {
		code, _, _ := call(t, "POST", url, tokenHeader(tok), body)
		return code == 401
	})

	// An expiring token works, then gets 401 once it expires.
	r = mustCLI(t, s.db, "tokens", "create", "balance", "--name", "short", "--expires", "2s")
	tok = tokenPattern.FindString(r.stdout)
	start := time.Now()
	jfntest.Eventually(t, time.Second, "a token created with --expires 2s works", func() bool {
		code, _, _ := call(t, "POST", url, tokenHeader(tok), body)
		return code == 200
	})
	time.Sleep(time.Until(start.Add(2100 * time.Millisecond)))
	if code, _, got := call(t, "POST", url, tokenHeader(tok), body); code != 401 || got != auth.UnauthorizedBody {
		t.Errorf("POST with an expired token = %d %s, want 401", code, got)
	}
	if strings.Contains(s.log.String(), tok) {
		t.Error("the log contains a token")
	}
}

func TestPublicRoutes(t *testing.T) {
	s := startServer(t)
	shopUp := httptest.NewServer(shop.Handler())
	defer shopUp.Close()
	up := jfntest.NewUpstream(t, balance.Handler())
	shopTok := deployed(t, s.db, "shop", shopUp.URL)
	deployed(t, s.db, "open", up.URL, "--public")
	s.waitFunctions(t, "shop", "open")
	s.waitToken(t, s.URL()+"/shop/products", shopTok)

	t.Run("public operation", func(t *testing.T) {
		url := s.URL() + "/shop/webhooks/payment"
		body := `{"order_id":"ord-1000","status":"paid"}`
		code, _, got := call(t, "POST", url, nil, body)
		if code != 200 || !strings.Contains(got, `"received":true`) {
			t.Errorf("POST /shop/webhooks/payment without a token = %d %s, want 200", code, got)
		}
		// The rest of the function stays protected.
		if code, _, _ := call(t, "GET", s.URL()+"/shop/products", nil, ""); code != 401 {
			t.Errorf("GET /shop/products without a token = %d, want 401", code)
		}
		code, _, got = call(t, "GET", s.URL()+"/shop/products/p-100?x=1", tokenHeader(shopTok), "")
		if code != 200 || !strings.Contains(got, `"id":"p-100"`) {
			t.Errorf("GET /shop/products/p-100 with a token = %d %s, want 200", code, got)
		}
		code, hdr, got := call(t, "GET", s.URL()+"/shop/products/p-999", tokenHeader(shopTok), "")
		if code != 404 || !strings.Contains(got, "p-999") {
			t.Errorf("GET /shop/products/p-999 = %d %s, want the upstream's 404", code, got)
		}
		errorBody(t, "upstream 404", code, hdr, got)
	})

	t.Run("public function", func(t *testing.T) {
		code, _, got := call(t, "POST", s.URL()+"/open", nil, `{"phone":"+593987654321"}`)
		if code != 200 || !strings.Contains(got, `"balance"`) {
			t.Errorf("POST /open (public) without a token = %d %s, want 200", code, got)
		}
	})
}

func TestGatewayErrors(t *testing.T) {
	s := startServer(t)

	// An address nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + ln.Addr().String()
	ln.Close()
	downTok := deployed(t, s.db, "down", downURL)

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/openapi.json" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/fast" {
			return
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	slowTok := deployed(t, s.db, "slow", slow.URL, "--timeout", "1s")
	s.waitFunctions(t, "down", "slow")
	s.waitToken(t, s.URL()+"/down/x", downTok)
	s.waitToken(t, s.URL()+"/slow/fast", slowTok)

	code, hdr, body := call(t, "GET", s.URL()+"/nope/x", nil, "")
	if code != 404 {
		t.Errorf("GET /nope/x (unknown function) = %d %s, want 404", code, body)
	}
	errorBody(t, "unknown function", code, hdr, body)

	code, hdr, body = call(t, "GET", s.URL()+"/down/x", tokenHeader(downTok), "")
	if code != 502 {
		t.Errorf("GET /down/x (upstream down) = %d %s, want 502", code, body)
	}
	errorBody(t, "upstream down", code, hdr, body)

	start := time.Now()
	code, hdr, body = call(t, "GET", s.URL()+"/slow/x", tokenHeader(slowTok), "")
	if code != 504 {
		t.Errorf("GET /slow/x (slow upstream, --timeout 1s) = %d %s, want 504", code, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("GET /slow/x took %v, want about the 1 s timeout", d)
	}
	errorBody(t, "slow upstream", code, hdr, body)
}

func TestStreamingUpstream(t *testing.T) {
	s := startServer(t)
	release := make(chan struct{})
	sse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/openapi.json" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"openapi":"3.1.0","info":{"title":"sse","version":"1"},"paths":{"/events":{"get":{"operationId":"events","responses":{"200":{"description":"events"}}}}}}`)
			return
		}
		if r.URL.Path != "/events" {
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select { // the stream stays open until the test has seen the first event
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		fmt.Fprint(w, "data: last\n\n")
	}))
	defer sse.Close()
	defer close(release)
	tok := deployed(t, s.db, "stream", sse.URL)
	s.waitFunctions(t, "stream")
	s.waitToken(t, s.URL()+"/stream/ping", tok)

	req, _ := http.NewRequest("GET", s.URL()+"/stream/events", nil)
	req.Header.Set("X-Jelou-Token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		if line != "data: first\n" {
			t.Errorf("first line of the stream = %q, want %q", line, "data: first\n")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the first event did not come through while the upstream stream was still open")
	}
}

func TestDomainAndPublicURL(t *testing.T) {
	s := startServer(t, "--domain", "fn.example.com", "--public-url", "https://gw.example.com")
	up := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, s.db, "balance", up.URL)
	s.waitFunctions(t, "balance")
	s.waitToken(t, s.URL()+"/balance/", tok)

	// By host: balance.fn.example.com reaches the function at the root path.
	req, _ := http.NewRequest("POST", s.URL()+"/", strings.NewReader(`{"phone":"+593987654321"}`))
	req.Host = "balance.fn.example.com"
	req.Header.Set("X-Jelou-Token", tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("POST / with Host balance.fn.example.com = %d, want 200", resp.StatusCode)
	}
	// By path, the document names the public URL.
	code, _, body := call(t, "GET", s.URL()+"/balance/openapi.json", nil, "")
	if code != 200 || !strings.Contains(body, "https://gw.example.com/balance") {
		t.Errorf("GET /balance/openapi.json = %d %.300s, want the --public-url in servers", code, body)
	}
}

func TestLastUsedRecorded(t *testing.T) {
	s := startServer(t)
	up := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, s.db, "balance", up.URL)
	s.waitFunctions(t, "balance")
	s.waitToken(t, s.URL()+"/balance/", tok)
	// Last-use times are written in batches; shutting down writes the pending ones.
	if err := s.Close(); err != nil {
		t.Fatalf("Server.Close: %v", err)
	}
	r := mustCLI(t, s.db, "tokens", "list", "balance", "--json")
	m := decodeObject(t, "tokens list --json", r.stdout, "tokens")
	used, _ := m["tokens"].([]any)[0].(map[string]any)["last_used_at"].(string)
	if ts, err := time.Parse(time.RFC3339, used); err != nil || time.Since(ts) > time.Minute {
		t.Errorf("last_used_at after a call = %q, want the time of the call", used)
	}
	r = mustCLI(t, s.db, "tokens", "list", "balance")
	if strings.Contains(r.stdout, "never") {
		t.Errorf("tokens list after a call shows never:\n%s", r.stdout)
	}
}
