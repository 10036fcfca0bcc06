package cron

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// call is what the test upstream received.
type call struct {
	method, path string
	header       http.Header
	body         []byte
	msg          auth.Message // what the signature must cover, as received
	sigErr       error        // auth.VerifySignature with the function's secret
}

// upstream is an httptest server that records every call and verifies its signature.
type upstream struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []call
	secret func() string
	status int
	delay  time.Duration
}

func newUpstream(t *testing.T, secret func() string) *upstream {
	u := &upstream{secret: secret, status: http.StatusOK}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := call{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body,
			msg: auth.RequestMessage(r, body), sigErr: auth.VerifySignature(u.secret(), r, body, 0)}
		u.mu.Lock()
		u.calls = append(u.calls, c)
		status, delay := u.status, u.delay
		u.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(status)
		fmt.Fprint(w, `{"ok":false,"why":"testing"}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) byName(name string) []call {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []call
	for _, c := range u.calls {
		if c.header.Get("X-Jelou-Cron-Name") == name {
			out = append(out, c)
		}
	}
	return out
}

// fixture is a scheduler on a fresh SQLite store with one function.
type fixture struct {
	st    *store.SQLite
	sched *Scheduler
	fn    store.Function
	up    *upstream
	obs   chan string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, obs: make(chan string, 100)}
	f.up = newUpstream(t, func() string { return f.fn.SigningSecret })
	if _, err := st.PutFunction(ctx, store.Function{Name: "probe", Upstream: f.up.URL + "/base", Timeout: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if f.fn, err = st.GetFunction(ctx, "probe"); err != nil {
		t.Fatal(err)
	}
	f.sched, err = New(&Options{Runs: st, Logger: zerolog.New(zerolog.NewTestWriter(t)), ShutdownGrace: time.Second,
		Observe: func(function, schedule, outcome string, d time.Duration) {
			select {
			case f.obs <- function + "/" + schedule + "/" + outcome:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.sched.Run(runCtx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

// doc returns a document with the operation POST /job declaring cron entries.
func doc(t *testing.T, cron string) *openapi.Spec {
	t.Helper()
	spec, err := openapi.Load([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{
"/job":{"post":{"operationId":"job","x-jelou-cron":` + cron + `,"responses":{"200":{"description":"ok"}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// waitCalls waits until the upstream has n calls of schedule name.
func (f *fixture) waitCalls(t *testing.T, name string, n int, within time.Duration) []call {
	t.Helper()
	var calls []call
	if !jfntest.Poll(within, func() bool { calls = f.up.byName(name); return len(calls) >= n }) {
		t.Fatalf("schedule %q: %d calls within %v, want at least %d", name, len(calls), within, n)
	}
	return calls
}

func TestFiresWithHeadersAndSignature(t *testing.T) {
	f := newFixture(t)
	f.sched.Sync(f.fn, doc(t, `[{"expression":"@every 1s","name":"tick"}]`))
	calls := f.waitCalls(t, "tick", 2, 5*time.Second)
	for _, c := range calls {
		if c.method != "POST" || c.path != "/base/job" || string(c.body) != "{}" {
			t.Errorf("cron call = %s %s %q, want POST /base/job {}", c.method, c.path, c.body)
		}
		if c.sigErr != nil {
			t.Errorf("VerifySignature(cron call) = %v, want nil", c.sigErr)
		}
		want := map[string]string{
			"Content-Type": "application/json", "X-Jelou-Trigger": "cron", "X-Jelou-Cron": "@every 1s",
			"X-Jelou-Cron-Name": "tick", "X-Jelou-Function": "probe",
		}
		for k, v := range want {
			if got := c.header.Get(k); got != v {
				t.Errorf("cron call header %s = %q, want %q", k, got, v)
			}
		}
		if c.header.Get("X-Request-Id") == "" || c.header.Get(auth.Header) != "" {
			t.Errorf("cron call: X-Request-Id %q, X-Jelou-Token %q; want an id and no token", c.header.Get("X-Request-Id"), c.header.Get(auth.Header))
		}
		ft, err := time.Parse(time.RFC3339, c.header.Get("X-Jelou-Cron-Fire-Time"))
		if err != nil || ft.Nanosecond() != 0 || time.Since(ft) > 10*time.Second {
			t.Errorf("X-Jelou-Cron-Fire-Time = %q (%v), want a recent whole second", c.header.Get("X-Jelou-Cron-Fire-Time"), err)
		}
	}
	// The signature covers the request-target as received, and nothing else verifies: a
	// secret other than the function's, or the same header replayed to another path.
	c := calls[0]
	header := c.header.Get(auth.SignatureHeader)
	if c.msg.Target != "/base/job" || !strings.Contains(header, ",v2=") || strings.Contains(header, "v1=") {
		t.Errorf("cron call to %q signed %q, want /base/job with v2 and no v1", c.msg.Target, header)
	}
	if err := auth.VerifyMessage("jfn_ss_other", header, c.msg, nil); err == nil {
		t.Errorf("VerifyMessage(wrong secret) = nil, want an error")
	}
	replay := c.msg
	replay.Target = "/base/other"
	if err := auth.VerifyMessage(f.fn.SigningSecret, header, replay, nil); err == nil {
		t.Errorf("VerifyMessage(%s replayed to %s) = nil, want an error", c.msg.Target, replay.Target)
	}
	// The run log records the runs.
	var runs []store.CronRun
	if !jfntest.Poll(3*time.Second, func() bool {
		var err error
		runs, err = f.st.ListCronRuns(t.Context(), "probe", store.CronRunQuery{State: store.CronOK})
		if err != nil {
			t.Fatal(err)
		}
		return len(runs) >= 2
	}) {
		t.Fatalf("run log has %d OK runs, want at least 2", len(runs))
	}
	if r := runs[0]; r.Schedule != "tick" || r.Status != 200 || r.Expression != "@every 1s" || r.Error != "" {
		t.Errorf("run log entry = %+v, want tick, 200, @every 1s, no error", r)
	}
	select {
	case got := <-f.obs:
		if got != "probe/tick/ok" {
			t.Errorf("Observe got %q, want probe/tick/ok", got)
		}
	case <-time.After(time.Second):
		t.Errorf("Observe was not called")
	}
}

func TestSyncChangesSchedules(t *testing.T) {
	f := newFixture(t)
	f.sched.Sync(f.fn, doc(t, `[{"expression":"@every 1s","name":"old"}]`))
	f.waitCalls(t, "old", 1, 5*time.Second)

	// The document changes: "old" is removed, "new" is added.
	f.sched.Sync(f.fn, doc(t, `[{"expression":"@every 1s","name":"new"}]`))
	time.Sleep(100 * time.Millisecond) // a run of "old" claimed just before may still land
	before := len(f.up.byName("old"))
	f.waitCalls(t, "new", 2, 5*time.Second)
	if after := len(f.up.byName("old")); after != before {
		t.Errorf("schedule %q fired %d more times after it left the document", "old", after-before)
	}
	if scs, _, _ := f.sched.Schedules("probe"); len(scs) != 1 || scs[0].Name != "new" {
		t.Errorf("Schedules(probe) = %v, want only new", scs)
	}

	// Removing the function stops everything.
	f.sched.Remove("probe")
	time.Sleep(100 * time.Millisecond)
	n := len(f.up.byName("new"))
	time.Sleep(1500 * time.Millisecond)
	if m := len(f.up.byName("new")); m != n {
		t.Errorf("a removed function fired %d more times", m-n)
	}
}

func TestInvalidEntryReportedOthersFire(t *testing.T) {
	f := newFixture(t)
	f.sched.Sync(f.fn, doc(t, `[{"expression":"not a cron","name":"broken"},{"expression":"@every 1s","name":"good"},{"expression":"@daily","timezone":"Nowhere/Town","name":"zone"}]`))
	scs, next, skipped := f.sched.Schedules("probe")
	if len(scs) != 1 || scs[0].Name != "good" || next[0].IsZero() {
		t.Errorf("Schedules(probe) = %v, want only good with a next fire time", scs)
	}
	var reasons []string
	for _, s := range skipped {
		reasons = append(reasons, s.Reason)
	}
	joined := strings.Join(reasons, "\n")
	if len(skipped) != 2 || !strings.Contains(joined, `"broken": expression "not a cron" is not valid`) ||
		!strings.Contains(joined, `"zone": unknown time zone "Nowhere/Town"`) {
		t.Errorf("skipped = %q, want broken and zone with their reasons", joined)
	}
	f.waitCalls(t, "good", 1, 5*time.Second)
}

func TestFailedRunsRecorded(t *testing.T) {
	f := newFixture(t)
	f.up.mu.Lock()
	f.up.status = http.StatusInternalServerError
	f.up.mu.Unlock()
	f.sched.Sync(f.fn, doc(t, `[{"expression":"@every 1s","name":"fails"}]`))
	f.waitCalls(t, "fails", 1, 5*time.Second)
	runs := waitRuns(t, f.st, store.CronError, 1)
	if r := runs[0]; r.Status != 500 || !strings.HasPrefix(r.Error, "HTTP 500 Internal Server Error: ") {
		t.Errorf("failed run = status %d, error %q; want 500 and the answer", r.Status, r.Error)
	}

	// An upstream slower than the function's timeout.
	f.up.mu.Lock()
	f.up.status, f.up.delay = http.StatusOK, 5*time.Second
	f.up.mu.Unlock()
	slow := f.fn
	slow.Timeout = 300 * time.Millisecond
	f.sched.Sync(slow, doc(t, `[{"expression":"@every 1s","name":"slow"}]`))
	f.waitCalls(t, "slow", 1, 5*time.Second)
	if !jfntest.Poll(3*time.Second, func() bool {
		runs, _ = f.st.ListCronRuns(t.Context(), "probe", store.CronRunQuery{State: store.CronError})
		return len(runs) > 0 && runs[0].Schedule == "slow"
	}) {
		t.Fatalf("no ERROR run for the slow schedule")
	}
	if !strings.Contains(runs[0].Error, "did not answer within 300ms") || runs[0].Status != 0 {
		t.Errorf("timed-out run = status %d, error %q; want 0 and a timeout sentence", runs[0].Status, runs[0].Error)
	}
}

func waitRuns(t *testing.T, st store.CronRuns, state string, n int) []store.CronRun {
	t.Helper()
	var runs []store.CronRun
	if !jfntest.Poll(5*time.Second, func() bool {
		var err error
		runs, err = st.ListCronRuns(context.Background(), "probe", store.CronRunQuery{State: state})
		if err != nil {
			t.Fatal(err)
		}
		return len(runs) >= n
	}) {
		t.Fatalf("%d runs in state %s, want %d", len(runs), state, n)
	}
	return runs
}

// TestTwoSchedulersOneStore is two servers sharing a SQLite file: each fire time runs once.
func TestTwoSchedulersOneStore(t *testing.T) {
	f := newFixture(t)
	other, err := New(&Options{Runs: f.st, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); other.Run(ctx) }()
	defer func() { cancel(); <-done }()
	spec := doc(t, `[{"expression":"@every 1s","name":"once"}]`)
	f.sched.Sync(f.fn, spec)
	other.Sync(f.fn, spec)
	calls := f.waitCalls(t, "once", 4, 8*time.Second)
	seen := map[string]int{}
	for _, c := range calls {
		seen[c.header.Get("X-Jelou-Cron-Fire-Time")]++
	}
	for at, n := range seen {
		if n != 1 {
			t.Errorf("fire time %s ran %d times, want once", at, n)
		}
	}
}

// TestMissedRunsNotReplayed checks the loop's bookkeeping: a fire time far in the past (the
// process was stopped) is skipped, and the schedule moves to its next future time.
func TestMissedRunsNotReplayed(t *testing.T) {
	s, err := New(&Options{Runs: nopRuns{}})
	if err != nil {
		t.Fatal(err)
	}
	scs, _ := Compile([]openapi.Schedule{{Name: "m", Expression: "@every 1s", Method: "GET", Path: "/"}}, nil)
	now := time.Now()
	e := &entry{Schedule: scs[0], next: now.Add(-time.Hour)}
	s.fns["f"] = &target{schedules: []*entry{e}}
	fire, wake := s.due(now)
	if len(fire) != 0 {
		t.Errorf("due() fired %d runs for a fire time an hour ago, want none", len(fire))
	}
	if !wake.After(now) || wake.Sub(now) > time.Second {
		t.Errorf("due() next wake = %v after now, want within the next second", wake.Sub(now))
	}
	// A fire time just reached runs once and moves on.
	e.next = now.Add(-10 * time.Millisecond)
	fire, _ = s.due(now)
	if len(fire) != 1 || !e.next.After(now) {
		t.Errorf("due() on a fire time just reached = %d runs, next %v; want 1 and a future next", len(fire), e.next)
	}
}

type nopRuns struct{}

func (nopRuns) ClaimCronRun(context.Context, store.CronRun) (bool, error) { return true, nil }
func (nopRuns) FinishCronRun(context.Context, store.CronRun) error        { return nil }
func (nopRuns) ListCronRuns(context.Context, string, store.CronRunQuery) ([]store.CronRun, error) {
	return nil, nil
}
func (nopRuns) FailStaleCronRuns(context.Context, time.Time) (int, error) { return 0, nil }

// TestStaleRunsFailed: a run left RUNNING by a server that died mid-call is recorded as
// ERROR "server stopped" by another server's periodic sweep once its timeout has passed;
// a run still within its timeout is left alone, and runs this server fires record their
// timeout for that purpose.
func TestStaleRunsFailed(t *testing.T) {
	f := newFixture(t)
	other, err := New(&Options{Runs: f.st, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	other.sweepEvery = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); other.Run(ctx) }()
	defer func() { cancel(); <-done }()

	now := time.Now()
	for _, r := range []store.CronRun{
		{Function: "probe", Schedule: "dead", FiredAt: now.Add(-10 * time.Minute).Truncate(time.Second), StartedAt: now.Add(-10 * time.Minute), Timeout: 2 * time.Second},
		{Function: "probe", Schedule: "alive", FiredAt: now.Truncate(time.Second), StartedAt: now, Timeout: time.Minute},
	} {
		if ok, err := f.st.ClaimCronRun(context.Background(), r); !ok || err != nil {
			t.Fatalf("ClaimCronRun(%s) = %v, %v", r.Schedule, ok, err)
		}
	}
	runs := waitRuns(t, f.st, store.CronError, 1)
	if r := runs[0]; r.Schedule != "dead" || r.Error != store.CronServerStopped || r.Status != 0 {
		t.Errorf("ERROR run = %s, status %d, error %q; want dead, 0, %q", r.Schedule, r.Status, r.Error, store.CronServerStopped)
	}
	time.Sleep(100 * time.Millisecond) // a few more sweeps
	running, err := f.st.ListCronRuns(context.Background(), "probe", store.CronRunQuery{State: store.CronRunning})
	if err != nil || len(running) != 1 || running[0].Schedule != "alive" {
		t.Errorf("RUNNING runs after the sweeps = %v, %v; want only alive", running, err)
	}

	f.sched.Sync(f.fn, doc(t, `[{"expression":"@every 1s","name":"tick"}]`))
	ok := waitRuns(t, f.st, store.CronOK, 1)
	if ok[0].Timeout != f.fn.EffectiveTimeout() {
		t.Errorf("a fired run recorded timeout %v, want the function's %v", ok[0].Timeout, f.fn.EffectiveTimeout())
	}
}
