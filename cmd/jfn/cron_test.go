package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
)

// cronUpstream is a function that serves a document it is given and records every other
// request with its headers and whether its signature verifies with each secret it knows.
type cronUpstream struct {
	*httptest.Server
	mu      sync.Mutex
	doc     string
	secrets []string // secrets to verify with: the current one first
	calls   []cronCall
}

type cronCall struct {
	method, path string
	header       http.Header
	body         string
	verified     []bool // per secret in secrets at the time
}

func newCronUpstream(t *testing.T, doc string) *cronUpstream {
	u := &cronUpstream{doc: doc}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		if r.URL.Path == "/openapi.json" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, u.doc)
			return
		}
		body, _ := io.ReadAll(r.Body)
		c := cronCall{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(body)}
		for _, s := range u.secrets {
			c.verified = append(c.verified, auth.VerifySignature(s, r, body, 0) == nil)
		}
		u.calls = append(u.calls, c)
		if r.URL.Path == "/fail" {
			http.Error(w, "the job failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"done":true}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *cronUpstream) set(doc string, secrets ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if doc != "" {
		u.doc = doc
	}
	if secrets != nil {
		u.secrets = secrets
	}
}

// named returns the calls of the cron schedule name ("" for calls that are not cron runs).
func (u *cronUpstream) named(name string) []cronCall {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []cronCall
	for _, c := range u.calls {
		if c.header.Get("X-Jelou-Cron-Name") == name {
			out = append(out, c)
		}
	}
	return out
}

func (u *cronUpstream) waitNamed(t *testing.T, name string, n int, within time.Duration) []cronCall {
	t.Helper()
	var calls []cronCall
	if !jfntest.Poll(within, func() bool { calls = u.named(name); return len(calls) >= n }) {
		t.Fatalf("schedule %q: %d upstream calls within %v, want at least %d", name, len(calls), within, n)
	}
	return calls
}

// cronDoc is a document whose operations declare the given x-jelou-cron lists.
func cronDoc(job, fail string) string {
	return `{"openapi":"3.1.0","info":{"title":"jobs","version":"1"},"paths":{
"/job":{"post":{"operationId":"runJob","description":"Run the job.","x-jelou-cron":` + job + `,
  "requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"k":{"type":"string"}}}}}},
  "responses":{"200":{"description":"ok"}}}},
"/fail":{"post":{"operationId":"failJob","description":"A job that fails.","x-jelou-cron":` + fail + `,
  "responses":{"200":{"description":"ok"}}}}}}`
}

// signingSecret reads a function's secret as 'functions info --show-secret --json' prints it.
func signingSecret(t *testing.T, db, name string) string {
	t.Helper()
	var out struct {
		SigningSecret string `json:"signing_secret"`
	}
	r := mustCLI(t, db, "functions", "info", name, "--show-secret", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || !strings.HasPrefix(out.SigningSecret, "jfn_ss_") {
		t.Fatalf("functions info --show-secret --json: %v, signing_secret %q", err, out.SigningSecret)
	}
	return out.SigningSecret
}

// TestCronEndToEnd drives 'jfn serve' with a function whose document declares schedules:
// an @every 1s schedule calls the upstream with the cron headers and a signature that
// VerifySignature accepts, and the run log records it; an invalid entry is reported (CLI and
// log) while the others fire; a new document changes the firing without a restart.
func TestCronEndToEnd(t *testing.T) {
	up := newCronUpstream(t, cronDoc(
		`[{"expression":"@every 1s","name":"tick"},{"expression":"every day at 9","name":"broken"}]`, `[]`))
	s := startServer(t)
	deployed(t, s.db, "jobs", up.URL)
	secret := signingSecret(t, s.db, "jobs")
	up.set("", secret)

	calls := up.waitNamed(t, "tick", 2, 6*time.Second)
	for _, c := range calls {
		if c.method != "POST" || c.path != "/job" || c.body != "{}" {
			t.Errorf("cron call = %s %s %q, want POST /job {}", c.method, c.path, c.body)
		}
		if len(c.verified) != 1 || !c.verified[0] {
			t.Errorf("cron call: VerifySignature with the function's secret failed (header %q)", c.header.Get(auth.SignatureHeader))
		}
		for k, v := range map[string]string{"X-Jelou-Trigger": "cron", "X-Jelou-Cron": "@every 1s",
			"X-Jelou-Function": "jobs", "Content-Type": "application/json"} {
			if got := c.header.Get(k); got != v {
				t.Errorf("cron call header %s = %q, want %q", k, got, v)
			}
		}
		if c.header.Get("X-Request-Id") == "" || c.header.Get(auth.Header) != "" {
			t.Errorf("cron call: request id %q, token %q; want an id and no token", c.header.Get("X-Request-Id"), c.header.Get(auth.Header))
		}
	}
	if n := len(up.named("broken")); n != 0 {
		t.Errorf("the invalid schedule fired %d times", n)
	}
	if !strings.Contains(s.log.String(), `"message":"cron schedule skipped"`) || !strings.Contains(s.log.String(), `every day at 9`) {
		t.Errorf("the server log does not report the invalid schedule:\n%s", s.log.String())
	}

	// 'cron list' shows the schedule with its next fire time, and the skipped entry.
	var list struct {
		Schedules []map[string]any `json:"schedules"`
		Skipped   []map[string]any `json:"skipped"`
	}
	r := mustCLI(t, s.db, "cron", "list", "jobs", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("cron list --json: %v in %s", err, r.stdout)
	}
	if len(list.Schedules) != 1 || len(list.Skipped) != 1 {
		t.Fatalf("cron list --json = %s, want tick and one skipped entry", r.stdout)
	}
	checkKeys(t, "cron list schedule", list.Schedules[0], "name", "expression", "timezone", "operation", "next_at")
	sc := list.Schedules[0]
	if sc["name"] != "tick" || sc["expression"] != "@every 1s" || sc["timezone"] != "UTC" || sc["operation"] != "POST /job" {
		t.Errorf("cron list schedule = %v", sc)
	}
	if at, err := time.Parse(time.RFC3339, fmt.Sprint(sc["next_at"])); err != nil || time.Until(at) > 2*time.Second {
		t.Errorf("cron list next_at = %v (%v), want within the next seconds", sc["next_at"], err)
	}
	if reason := fmt.Sprint(list.Skipped[0]["reason"]); !strings.Contains(reason, `"broken"`) || !strings.Contains(reason, "not valid") {
		t.Errorf("cron list skipped reason = %q", reason)
	}
	text := mustCLI(t, s.db, "cron", "list", "jobs").stdout
	for _, want := range []string{"Name", "Next Run", "tick", "@every 1s", "POST /job", `⚠ Skipped POST /job: x-jelou-cron "broken"`} {
		if !strings.Contains(text, want) {
			t.Errorf("cron list = %q, want it to contain %q", text, want)
		}
	}

	// 'cron logs' shows the runs.
	var logs struct {
		Runs []map[string]any `json:"runs"`
	}
	if !jfntest.Poll(3*time.Second, func() bool {
		r := mustCLI(t, s.db, "cron", "logs", "jobs", "--json")
		return json.Unmarshal([]byte(r.stdout), &logs) == nil && len(logs.Runs) >= 2 && logs.Runs[0]["state"] == "OK"
	}) {
		t.Fatalf("cron logs --json never showed two finished runs: %v", logs.Runs)
	}
	checkKeys(t, "cron logs run", logs.Runs[0], "schedule", "fired_at", "state", "status", "duration_ms", "error")
	if run := logs.Runs[0]; run["schedule"] != "tick" || run["status"] != float64(200) || run["error"] != nil {
		t.Errorf("cron logs run = %v, want tick, 200, no error", run)
	}

	// The runs reach the gateway's metrics.
	_, _, metrics := call(t, "GET", s.AdminURL()+"/metrics", nil, "")
	found := false
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "jfn_cron_runs_total{") && strings.Contains(line, `function="jobs"`) &&
			strings.Contains(line, `schedule="tick"`) && strings.Contains(line, `outcome="ok"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("/metrics has no jfn_cron_runs_total for jobs/tick/ok")
	}

	// A new document: tick is removed, tock and a failing schedule are added. A refresh makes
	// the server fetch it; no restart.
	up.set(cronDoc(`[{"expression":"@every 1s","name":"tock"}]`, `[{"expression":"@every 1s","name":"fails"}]`))
	mustCLI(t, s.db, "functions", "refresh", "jobs")
	up.waitNamed(t, "tock", 2, 6*time.Second)
	time.Sleep(200 * time.Millisecond) // a tick claimed just before the change may still land
	ticks := len(up.named("tick"))
	time.Sleep(2 * time.Second)
	if n := len(up.named("tick")); n != ticks {
		t.Errorf("tick fired %d more times after it left the document", n-ticks)
	}
	up.waitNamed(t, "fails", 1, 3*time.Second)
	jfntest.Eventually(t, 3*time.Second, "cron logs --state error shows the failing run", func() bool {
		r := mustCLI(t, s.db, "cron", "logs", "jobs", "--state", "error", "--json")
		return json.Unmarshal([]byte(r.stdout), &logs) == nil && len(logs.Runs) >= 1
	})
	if run := logs.Runs[0]; run["schedule"] != "fails" || run["state"] != "ERROR" || run["status"] != float64(500) ||
		!strings.Contains(fmt.Sprint(run["error"]), "HTTP 500") {
		t.Errorf("failed run = %v, want fails, ERROR, 500 and the answer", run)
	}
	text = mustCLI(t, s.db, "cron", "logs", "jobs", "--state", "ERROR", "--limit", "1").stdout
	if !strings.Contains(text, "fails") || !strings.Contains(text, "ERROR") || !strings.Contains(text, "HTTP 500") || strings.Contains(text, "tock") {
		t.Errorf("cron logs --state ERROR --limit 1 = %q", text)
	}
	if strings.Contains(s.log.String(), secret) {
		t.Errorf("the server log contains the signing secret")
	}
}

func TestCronCLIErrors(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	up := newCronUpstream(t, cronDoc(`[]`, `[]`))
	deployed(t, db, "jobs", up.URL)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"cron", "list", "nope"}, 1, "function nope not found"},
		{[]string{"cron", "logs", "nope"}, 1, "function nope not found"},
		{[]string{"cron", "logs", "jobs", "--state", "maybe"}, 2, `invalid --state "maybe"`},
		{[]string{"cron", "logs", "jobs", "--limit", "0"}, 2, "invalid --limit 0"},
		{[]string{"cron"}, 2, "missing subcommand (list, logs)"},
		{[]string{"functions", "rotate-secret", "jobs", "--grace", "-1h", "-y"}, 2, `invalid --grace "-1h"`},
		{[]string{"functions", "rotate-secret", "jobs", "--json"}, 2, "add -y"},
		{[]string{"functions", "rotate-secret", "nope", "-y"}, 1, "function nope not found"},
	} {
		r := cli(t, db, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("jfn %s = exit %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.want)
		}
	}
	if r := mustCLI(t, db, "cron", "list", "jobs"); !strings.Contains(r.stdout, "No cron schedules") {
		t.Errorf("cron list without schedules = %q", r.stdout)
	}
	if r := mustCLI(t, db, "cron", "logs", "jobs"); !strings.Contains(r.stdout, "No cron runs for jobs yet") {
		t.Errorf("cron logs without runs = %q", r.stdout)
	}
}
