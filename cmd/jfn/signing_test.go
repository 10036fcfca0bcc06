package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

var secretPattern = regexp.MustCompile(`jfn_ss_[A-Za-z0-9]{43}`)

// TestSignedCallsAndRotation: proxied calls, MCP tool calls and cron runs all carry a
// signature the function verifies with its secret; after 'jfn functions rotate-secret' each
// of them verifies with the new and the old secret during the grace period, and with
// --grace 0 only the new one does.
func TestSignedCallsAndRotation(t *testing.T) {
	up := newCronUpstream(t, cronDoc(`[{"expression":"@every 1s","name":"tick"}]`, `[]`))
	s := startServer(t)
	tok := deployed(t, s.db, "jobs", up.URL)
	first := signingSecret(t, s.db, "jobs")
	s.waitHealthy(t, "jobs")
	s.waitToken(t, s.URL()+"/jobs/job", tok)
	c := mcptest.Connect(t, s.URL()+"/jobs/mcp", &mcptest.Options{Token: tok})

	// check sends one proxied call and one MCP tool call, waits for a cron run, and returns
	// each one's verification against the upstream's secrets.
	check := func(what string, secrets []string, want []bool) {
		t.Helper()
		up.set("", secrets...)
		before := len(up.named("tick"))
		body := fmt.Sprintf(`{"n":%d,"what":%q}`, time.Now().UnixNano(), what)
		if code, _, resp := call(t, "POST", s.URL()+"/jobs/job", tokenHeader(tok), body); code != 200 {
			t.Fatalf("%s: proxied POST = %d %s", what, code, resp)
		}
		if res := mcptest.CallTool(t, c, "runJob", map[string]any{"k": what}); res.IsError {
			t.Fatalf("%s: tools/call runJob is an error: %s", what, mcptest.Text(res))
		}
		up.waitNamed(t, "tick", before+1, 3*time.Second)
		got := map[string][]bool{}
		up.mu.Lock()
		for _, call := range up.calls {
			trigger := call.header.Get("X-Jelou-Trigger")
			if trigger == "cron" || (trigger == "http" && call.body == body) || (trigger == "mcp" && strings.Contains(call.body, what)) {
				got[trigger] = call.verified // the latest of each kind
			}
		}
		up.mu.Unlock()
		for _, trigger := range []string{"http", "mcp", "cron"} {
			if fmt.Sprint(got[trigger]) != fmt.Sprint(want) {
				t.Errorf("%s: %s call verified with [new old] secrets = %v, want %v", what, trigger, got[trigger], want)
			}
		}
	}
	check("before rotation", []string{first}, []bool{true})

	r := mustCLI(t, s.db, "functions", "rotate-secret", "jobs", "--grace", "1h", "-y")
	second := secretPattern.FindString(r.stdout)
	for _, want := range []string{"✓ Signing secret rotated\n", "▸ Secret   " + second + "\n",
		"⚠ Save it now and give it to the function: the old secret is accepted until "} {
		if second == "" || second == first || !strings.Contains(r.stdout, want) {
			t.Errorf("rotate-secret printed %q, want a new secret and %q", r.stdout, want)
		}
	}
	if got := signingSecret(t, s.db, "jobs"); got != second {
		t.Errorf("functions info --show-secret after rotation = a different secret than rotate-secret printed")
	}
	// The server picks the rotation up through the change feed within a second.
	jfntest.Eventually(t, 2*time.Second, "the server signs with the rotated secret", func() bool {
		up.set("", second)
		call(t, "POST", s.URL()+"/jobs/job", tokenHeader(tok), "{}")
		up.mu.Lock()
		defer up.mu.Unlock()
		v := up.calls[len(up.calls)-1].verified
		return len(v) == 1 && v[0]
	})
	check("during the grace period", []string{second, first}, []bool{true, true})

	r = mustCLI(t, s.db, "functions", "rotate-secret", "jobs", "--grace", "0", "-y", "--json")
	var out map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, "rotate-secret --json", out, "name", "signing_secret", "previous_expires_at")
	third, _ := out["signing_secret"].(string)
	if out["previous_expires_at"] != nil || !secretPattern.MatchString(third) {
		t.Errorf("rotate-secret --grace 0 --json = %s, want a new secret and previous_expires_at null", r.stdout)
	}
	jfntest.Eventually(t, 2*time.Second, "the server signs with the third secret", func() bool {
		up.set("", third)
		call(t, "POST", s.URL()+"/jobs/job", tokenHeader(tok), "{}")
		up.mu.Lock()
		defer up.mu.Unlock()
		v := up.calls[len(up.calls)-1].verified
		return len(v) == 1 && v[0]
	})
	check("after a rotation without grace", []string{third, second}, []bool{true, false})

	// Text 'functions info' hides the secret unless asked.
	if info := mustCLI(t, s.db, "functions", "info", "jobs").stdout; strings.Contains(info, third) || !strings.Contains(info, "hidden (--show-secret shows it)") {
		t.Errorf("functions info without --show-secret = %q, want the secret hidden", info)
	}
	if info := mustCLI(t, s.db, "functions", "info", "jobs", "--show-secret").stdout; !strings.Contains(info, "▸ Secret    "+third) {
		t.Errorf("functions info --show-secret = %q, want the secret", info)
	}
	for _, secret := range []string{first, second, third} {
		if strings.Contains(s.log.String(), secret) {
			t.Errorf("the server log contains a signing secret")
		}
	}
}

// TestExampleVerifiesGateway deploys examples/balance behind SignedHandler with its signing
// secret: calls through the gateway (proxy and MCP) pass, a direct unsigned call is refused.
func TestExampleVerifiesGateway(t *testing.T) {
	var h atomic.Pointer[http.Handler]
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(up.Close)
	plain := balance.SignedHandler("")
	h.Store(&plain)
	s := startServer(t)
	tok := deployed(t, s.db, "balance", up.URL)
	signed := balance.SignedHandler(signingSecret(t, s.db, "balance"))
	h.Store(&signed)
	s.waitHealthy(t, "balance")
	s.waitToken(t, s.URL()+"/balance/", tok)

	body := `{"phone":"+593987654321"}`
	if code, _, resp := call(t, "POST", up.URL+"/", nil, body); code != http.StatusUnauthorized {
		t.Errorf("unsigned POST to the example = %d %s, want 401", code, resp)
	}
	if code, _, resp := call(t, "POST", s.URL()+"/balance/", tokenHeader(tok), body); code != http.StatusOK || !strings.Contains(resp, "125.5") {
		t.Errorf("POST through the gateway = %d %s, want 200 with the balance", code, resp)
	}
	c := mcptest.Connect(t, s.URL()+"/balance/mcp", &mcptest.Options{Token: tok})
	if res := mcptest.CallTool(t, c, "getBalance", map[string]any{"phone": "+593987654321"}); res.IsError || !strings.Contains(mcptest.Text(res), "125.5") {
		t.Errorf("tools/call getBalance through the gateway = %s, want the balance", mcptest.Text(res))
	}
}
