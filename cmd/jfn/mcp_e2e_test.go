package main

// End-to-end tests of the MCP contract: the real server started through the code path of
// 'jfn serve' on a SQLite file, the example functions as upstreams, tokens made by the real
// CLI, and the mcp-go client (plus raw HTTP for the status-code rules).

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

func TestMCPTools(t *testing.T) {
	s := startServer(t)
	bal := jfntest.NewUpstream(t, balance.Handler())
	shopUp := shopUpstream(t)
	balTok := deployed(t, s.db, "balance", bal.URL)
	shopTok := deployed(t, s.db, "shop", shopUp.URL)
	s.waitFunctions(t, "balance", "shop")
	s.waitHealthy(t, "balance")
	s.waitHealthy(t, "shop")
	s.waitToken(t, s.URL()+"/balance/mcp", balTok)
	s.waitToken(t, s.URL()+"/shop/mcp", shopTok)

	c := mcptest.Connect(t, s.URL()+"/balance/mcp", &mcptest.Options{Token: balTok, Version: sessionVersion})
	if c.GetSessionId() == "" {
		t.Errorf("initialize on %s gave no session id", sessionVersion)
	}
	if got := mcptest.ToolNames(t, c); !slices.Equal(got, []string{"getBalance"}) {
		t.Errorf("balance tools/list = %v, want [getBalance]", got)
	}

	t.Run("tools/call success", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "getBalance", map[string]any{"phone": "+593987654321"})
		if res.IsError {
			t.Fatalf("getBalance isError, text %q", mcptest.Text(res))
		}
		if sc := structured(t, res); !strings.Contains(sc, `"balance":125.5`) {
			t.Errorf("getBalance structuredContent = %s, want the balance 125.5", sc)
		}
		if txt := mcptest.Text(res); !strings.Contains(txt, "125.5") {
			t.Errorf("getBalance text = %q, want the same JSON", txt)
		}
		h := bal.LastCall(t).Header
		if h.Get("X-Jelou-Trigger") != "mcp" || h.Get("X-Jelou-Function") != "balance" || h.Get("X-Jelou-Token") != "" {
			t.Errorf("upstream saw trigger %q, function %q, token %q; want mcp, balance and no token",
				h.Get("X-Jelou-Trigger"), h.Get("X-Jelou-Function"), h.Get("X-Jelou-Token"))
		}
	})

	t.Run("upstream 404 is a tool error", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "getBalance", map[string]any{"phone": "+593900000000"})
		if txt := mcptest.Text(res); !res.IsError || !strings.Contains(txt, "404") || !strings.Contains(txt, "No customer") {
			t.Errorf("getBalance(unknown phone) = isError %v, text %q; want isError with HTTP 404 and the body", res.IsError, txt)
		}
	})

	t.Run("invalid arguments never reach the upstream", func(t *testing.T) {
		before := len(bal.Calls())
		res := mcptest.CallTool(t, c, "getBalance", map[string]any{"phone": "not a phone"})
		if txt := mcptest.Text(res); !res.IsError || !strings.Contains(txt, "phone") {
			t.Errorf("getBalance(bad phone) = isError %v, text %q; want isError naming phone", res.IsError, txt)
		}
		if n := len(bal.Calls()); n != before {
			t.Errorf("upstream saw %d requests for an invalid call, want none", n-before)
		}
	})

	t.Run("shop lists every visible operation", func(t *testing.T) {
		sc := mcptest.Connect(t, s.URL()+"/shop/mcp", &mcptest.Options{Token: shopTok, Version: sessionVersion})
		got := mcptest.ToolNames(t, sc)
		slices.Sort(got)
		want := []string{"createOrder", "getOrderStatus", "getProduct", "listProducts", "paymentWebhook"}
		if !slices.Equal(got, want) {
			t.Errorf("shop tools/list = %v, want %v (streamEvents is x-jelou-mcp: false)", got, want)
		}
		res := mcptest.CallTool(t, sc, "getProduct", map[string]any{"product-id": "p-100"})
		if res.IsError || !strings.Contains(structured(t, res), `"p-100"`) {
			t.Errorf("getProduct(p-100) = isError %v, structuredContent %s", res.IsError, structured(t, res))
		}
	})

	t.Run("stateless 2026-07-28", func(t *testing.T) {
		url := s.URL() + "/balance/mcp"
		code, hdr, body := stateless(balTok, "tools/call", "getBalance",
			map[string]any{"name": "getBalance", "arguments": map[string]any{"phone": "+593987654321"}}).do(t, url)
		if code != http.StatusOK || !strings.Contains(body, `"structuredContent"`) || !strings.Contains(body, "125.5") {
			t.Errorf("stateless tools/call = %d %s, want 200 with structuredContent", code, body)
		}
		if id := hdr.Get("Mcp-Session-Id"); id != "" {
			t.Errorf("stateless tools/call answered Mcp-Session-Id %q, want none", id)
		}
		// mcp-go's client negotiates the stateless revision by default.
		mc := mcptest.Connect(t, url, &mcptest.Options{Token: balTok})
		if res := mcptest.CallTool(t, mc, "getBalance", map[string]any{"phone": "+593987654321"}); res.IsError || res.StructuredContent == nil {
			t.Errorf("default client getBalance = isError %v, text %q", res.IsError, mcptest.Text(res))
		}
	})
}

func TestMCPSessionRules(t *testing.T) {
	s := startServer(t)
	bal := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, s.db, "balance", bal.URL)
	other := tokenPattern.FindString(mustCLI(t, s.db, "tokens", "create", "balance", "--name", "other").stdout)
	url := s.URL() + "/balance/mcp"
	s.waitFunctions(t, "balance")
	s.waitHealthy(t, "balance")
	s.waitToken(t, url, tok)
	s.waitToken(t, url, other)

	id := openRawSession(t, url, tok)
	use := func(token, session string) (int, string) {
		code, _, body := mcpRequest{method: "POST", token: token, session: session, version: sessionVersion, body: toolsList()}.do(t, url)
		return code, body
	}
	if code, body := use(tok, id); code != http.StatusOK || !strings.Contains(body, "getBalance") {
		t.Fatalf("tools/list on the session = %d %s, want 200 with getBalance", code, body)
	}

	checks := []struct {
		name string
		req  mcpRequest
		want int
	}{
		{"another valid token", mcpRequest{method: "POST", token: other, session: id, version: sessionVersion, body: toolsList()}, http.StatusNotFound},
		{"no token", mcpRequest{method: "POST", session: id, version: sessionVersion, body: toolsList()}, http.StatusUnauthorized},
		{"missing session", mcpRequest{method: "POST", token: tok, version: sessionVersion, body: toolsList()}, http.StatusBadRequest},
		{"unknown session", mcpRequest{method: "POST", token: tok, session: "nope", version: sessionVersion, body: toolsList()}, http.StatusNotFound},
		{"PUT", mcpRequest{method: "PUT", token: tok, session: id, body: toolsList()}, http.StatusMethodNotAllowed},
		{"foreign Origin", mcpRequest{method: "POST", token: tok, session: id, version: sessionVersion, origin: "https://evil.example", body: toolsList()}, http.StatusForbidden},
		{"another token's DELETE", mcpRequest{method: "DELETE", token: other, session: id}, http.StatusNotFound},
	}
	for _, c := range checks {
		code, hdr, body := c.req.do(t, url)
		if code != c.want {
			t.Errorf("%s: %s /mcp = %d %s, want %d", c.name, c.req.method, code, body, c.want)
		}
		if c.want == http.StatusMethodNotAllowed && !strings.Contains(hdr.Get("Allow"), "POST") {
			t.Errorf("%s: Allow = %q, want the methods /mcp serves", c.name, hdr.Get("Allow"))
		}
	}
	// The refusals above did not end the session for its own token.
	if code, body := use(tok, id); code != http.StatusOK {
		t.Fatalf("tools/list after refused requests = %d %s, want 200", code, body)
	}
	// The request's own origin passes.
	if code, _, body := (mcpRequest{method: "POST", token: tok, session: id, version: sessionVersion,
		origin: s.URL(), body: toolsList()}).do(t, url); code != http.StatusOK {
		t.Errorf("tools/list with the gateway's own Origin = %d %s, want 200", code, body)
	}

	// DELETE ends it; reusing it is 404.
	if code, _, body := (mcpRequest{method: "DELETE", token: tok, session: id, version: sessionVersion}).do(t, url); code != http.StatusOK {
		t.Fatalf("DELETE session = %d %s, want 200", code, body)
	}
	if code, body := use(tok, id); code != http.StatusNotFound {
		t.Errorf("tools/list after DELETE = %d %s, want 404", code, body)
	}

	t.Run("revoked through the CLI", func(t *testing.T) {
		c := mcptest.Connect(t, url, &mcptest.Options{Token: other, Version: sessionVersion})
		sid := c.GetSessionId()
		// An open GET stream of that session must end too.
		streamEnded := openStream(t, url, other, sid)
		otherID := tokenID(t, s.db, "balance", "other")
		mustCLI(t, s.db, "tokens", "revoke", "balance", otherID, "-y")
		revoked := time.Now()
		if !jfntest.Poll(time.Second, func() bool {
			code, _ := use(other, sid)
			return code == http.StatusUnauthorized
		}) {
			code, body := use(other, sid)
			t.Fatalf("the revoked token's session answered %d %s one second after 'tokens revoke', want 401", code, body)
		}
		t.Logf("revoked token refused after %v", time.Since(revoked).Round(time.Millisecond))
		select {
		case <-streamEnded:
		case <-time.After(2 * time.Second):
			t.Errorf("the revoked token's GET stream was still open 2 s after 'tokens revoke'")
		}
		if code, body := use(tok, openRawSession(t, url, tok)); code != http.StatusOK {
			t.Errorf("another token's new session after the revocation = %d %s, want 200", code, body)
		}
	})
}

// openStream opens the GET stream of session and returns a channel closed when it ends.
func openStream(t *testing.T, url, token, session string) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Jelou-Token", token)
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", sessionVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET stream = %d, want 200", resp.StatusCode)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
	}()
	return done
}

// TestMCPDNSRebinding: a page on an attacker's name that resolves to the gateway has that name
// as both Origin and Host. On a public function (no token to stop it) it must get 403, while
// the gateway's own loopback origin still passes.
func TestMCPDNSRebinding(t *testing.T) {
	s := startServer(t)
	up := jfntest.NewUpstream(t, balance.Handler())
	deployed(t, s.db, "open", up.URL, "--public")
	s.waitFunctions(t, "open")
	s.waitHealthy(t, "open")
	url := s.URL() + "/open/mcp"
	init := rpc("initialize", map[string]any{
		"protocolVersion": sessionVersion, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "raw", "version": "1"},
	})
	code, _, body := mcpRequest{method: "POST", body: init, host: "evil.example.com", origin: "http://evil.example.com"}.do(t, url)
	if code != http.StatusForbidden {
		t.Errorf("initialize with Host and Origin evil.example.com = %d %s, want 403", code, body)
	}
	own := strings.TrimSuffix(s.URL(), "/")
	if code, _, body := (mcpRequest{method: "POST", body: init, origin: own}).do(t, url); code != http.StatusOK {
		t.Errorf("initialize with the gateway's own Origin %s = %d %s, want 200", own, code, body)
	}
}

func TestMCPOff(t *testing.T) {
	s := startServer(t)
	bal := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, s.db, "quiet", bal.URL, "--no-mcp")
	s.waitFunctions(t, "quiet")
	url := s.URL() + "/quiet/mcp"
	s.waitToken(t, s.URL()+"/quiet/", tok)
	code, hdr, body := mcpRequest{method: "POST", token: tok, body: rpc("initialize", map[string]any{
		"protocolVersion": sessionVersion, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "raw", "version": "1"},
	})}.do(t, url)
	if code != http.StatusNotFound {
		t.Fatalf("initialize on a --no-mcp function = %d %s, want 404", code, body)
	}
	errorBody(t, "/mcp of a --no-mcp function", code, hdr, body)

	// Turning it back on serves it.
	mustCLI(t, s.db, "deploy", "quiet", "--no-mcp=false")
	jfntest.Eventually(t, 5*time.Second, "/mcp answers 200 after 'deploy --no-mcp=false'", func() bool {
		code, _, _ := stateless(tok, "tools/list", "", nil).do(t, url)
		return code == http.StatusOK
	})
}

// TestCloseEndsMCPStreams: an open GET stream does not hold a stopping server for its whole
// shutdown timeout, and its session stays in the store for another server.
func TestCloseEndsMCPStreams(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	up := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, db, "balance", up.URL)
	s := startServerOn(t, db, nil, "--shutdown-timeout", "10s")
	s.waitFunctions(t, "balance")
	s.waitHealthy(t, "balance")
	url := s.URL() + "/balance/mcp"
	s.waitToken(t, url, tok)
	id := openRawSession(t, url, tok)
	ended := openStream(t, url, tok, id)

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close with an open MCP GET stream took %v, want well under the 10 s shutdown timeout", d)
	}
	select {
	case <-ended:
	case <-time.After(time.Second):
		t.Errorf("the GET stream was still open after Close")
	}

	next := startServerOn(t, db, nil)
	next.waitHealthy(t, "balance")
	next.waitToken(t, next.URL()+"/balance/mcp", tok)
	if code := sessionStatus(t, next.URL()+"/balance/mcp", tok, id); code != http.StatusOK {
		t.Errorf("the session on the next server after Close = %d, want 200", code)
	}
}
