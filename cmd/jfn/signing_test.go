package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
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
	c := mcpClient(t, s.URL()+"/jobs/mcp", tok, "", false)

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
		if res := callTool(t, c, "runJob", map[string]any{"k": what}); res.IsError {
			t.Fatalf("%s: tools/call runJob is an error: %s", what, resultText(res))
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
	if !eventually(2*time.Second, func() bool {
		up.set("", second)
		call(t, "POST", s.URL()+"/jobs/job", tokenHeader(tok), "{}")
		up.mu.Lock()
		defer up.mu.Unlock()
		v := up.calls[len(up.calls)-1].verified
		return len(v) == 1 && v[0]
	}) {
		t.Fatalf("the server did not sign with the rotated secret within 2 s")
	}
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
	if !eventually(2*time.Second, func() bool {
		up.set("", third)
		call(t, "POST", s.URL()+"/jobs/job", tokenHeader(tok), "{}")
		up.mu.Lock()
		defer up.mu.Unlock()
		v := up.calls[len(up.calls)-1].verified
		return len(v) == 1 && v[0]
	}) {
		t.Fatalf("the server did not sign with the third secret within 2 s")
	}
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
