package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

func secretsOf(t *testing.T, s store.Store) store.Secrets {
	t.Helper()
	ss, ok := s.(store.Secrets)
	if !ok {
		t.Fatalf("%T does not implement store.Secrets", s)
	}
	return ss
}

func cronOf(t *testing.T, s store.Store) store.CronRuns {
	t.Helper()
	cr, ok := s.(store.CronRuns)
	if !ok {
		t.Fatalf("%T does not implement store.CronRuns", s)
	}
	return cr
}

// checkSecret fails unless secret has the store's format: the prefix and 43 base62 characters.
func checkSecret(t *testing.T, what, secret string) {
	t.Helper()
	rest, ok := strings.CutPrefix(secret, store.SigningSecretPrefix)
	if !ok || len(rest) != 43 || strings.Trim(rest, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("%s = %d characters with prefix %v, want %s and 43 base62 characters", what, len(secret), ok, store.SigningSecretPrefix)
	}
}

func testSigningSecretCreated(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "one")
	putFunction(t, s, "two")
	one, err := s.GetFunction(ctx, "one")
	if err != nil {
		t.Fatalf("GetFunction(%q) error = %v", "one", err)
	}
	two, err := s.GetFunction(ctx, "two")
	if err != nil {
		t.Fatalf("GetFunction(%q) error = %v", "two", err)
	}
	checkSecret(t, "GetFunction(one).SigningSecret", one.SigningSecret)
	if one.SigningSecret == two.SigningSecret {
		t.Errorf("two functions got the same signing secret")
	}
	if len(one.PreviousSecrets) != 0 {
		t.Errorf("a new function has %d previous secrets, want none", len(one.PreviousSecrets))
	}

	// An update, even one that carries another secret, keeps the stored one.
	upd := one
	upd.Upstream = "http://127.0.0.1:9999"
	upd.SigningSecret = "jfn_ss_ignored"
	if _, err := s.PutFunction(ctx, upd); err != nil {
		t.Fatalf("PutFunction(%q) update error = %v", "one", err)
	}
	got, err := s.GetFunction(ctx, "one")
	if err != nil {
		t.Fatalf("GetFunction(%q) error = %v", "one", err)
	}
	if got.SigningSecret != one.SigningSecret {
		t.Errorf("PutFunction(%q) update changed the signing secret, want it kept", "one")
	}

	// An insert takes the caller's secret when there is one.
	given := store.Function{Name: "given", Upstream: "http://127.0.0.1:9001", SigningSecret: "jfn_ss_given0123"}
	if _, err := s.PutFunction(ctx, given); err != nil {
		t.Fatalf("PutFunction(%q) error = %v", given.Name, err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot() error = %v", err)
	}
	secrets := map[string]string{}
	for _, f := range snap.Functions {
		secrets[f.Name] = f.SigningSecret
	}
	if secrets["given"] != given.SigningSecret || secrets["one"] != one.SigningSecret || secrets["two"] != two.SigningSecret {
		t.Errorf("Snapshot() does not carry the stored signing secrets")
	}
}

func testRotateSecret(t *testing.T, s store.Store) {
	ctx := t.Context()
	ss := secretsOf(t, s)
	putFunction(t, s, "probe")
	before, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	ch := watch(t, s)
	drain(ch)
	_ = waitSignal(ch, ChangeDeadline/4) // the put's own signal, if still in flight
	drain(ch)

	start := time.Now()
	rotated, err := ss.RotateSecret(ctx, "probe", time.Hour)
	if err != nil {
		t.Fatalf("RotateSecret(probe, 1h) error = %v", err)
	}
	checkSecret(t, "RotateSecret(probe, 1h).SigningSecret", rotated.SigningSecret)
	if rotated.SigningSecret == before.SigningSecret {
		t.Errorf("RotateSecret kept the same secret")
	}
	if len(rotated.PreviousSecrets) != 1 || rotated.PreviousSecrets[0].Secret != before.SigningSecret {
		t.Fatalf("RotateSecret(probe, 1h) has %d previous secrets, want one: the secret it replaced", len(rotated.PreviousSecrets))
	}
	prev := rotated.PreviousSecrets[0]
	if d := prev.ExpiresAt.Sub(start); d < time.Hour-time.Minute || d > time.Hour+time.Minute {
		t.Errorf("RotateSecret(probe, 1h).PreviousSecrets[0].ExpiresAt = %v, want about an hour from %v", prev.ExpiresAt, start)
	}
	if prev.ExpiresAt.Location() != time.UTC || !prev.ExpiresAt.Equal(prev.ExpiresAt.Truncate(time.Millisecond)) {
		t.Errorf("PreviousSecrets[0].ExpiresAt = %v, want UTC to the millisecond", prev.ExpiresAt)
	}
	got, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	if got.SigningSecret != rotated.SigningSecret || len(got.PreviousSecrets) != 1 ||
		got.PreviousSecrets[0].Secret != prev.Secret || !got.PreviousSecrets[0].ExpiresAt.Equal(prev.ExpiresAt) {
		t.Errorf("GetFunction after RotateSecret differs from what RotateSecret returned")
	}
	if want := []string{rotated.SigningSecret, before.SigningSecret}; fmt.Sprint(got.SigningSecrets(start)) != fmt.Sprint(want) {
		t.Errorf("SigningSecrets(during grace) = %d secrets, want the new one then the old one", len(got.SigningSecrets(start)))
	}
	if after := got.SigningSecrets(start.Add(2 * time.Hour)); len(after) != 1 || after[0] != rotated.SigningSecret {
		t.Errorf("SigningSecrets(after grace) = %d secrets, want only the new one", len(after))
	}
	if err := waitSignal(ch, ChangeDeadline); err != nil {
		t.Errorf("Watch after RotateSecret: %v", err)
	}

	again, err := ss.RotateSecret(ctx, "probe", 0)
	if err != nil {
		t.Fatalf("RotateSecret(probe, 0) error = %v", err)
	}
	if len(again.PreviousSecrets) != 0 {
		t.Errorf("RotateSecret(probe, 0) kept %d previous secrets, want none", len(again.PreviousSecrets))
	}
	if got := again.SigningSecrets(time.Now()); len(got) != 1 || got[0] == rotated.SigningSecret {
		t.Errorf("SigningSecrets after RotateSecret(probe, 0) = %d secrets, want one new secret", len(got))
	}
	if _, err := ss.RotateSecret(ctx, "nope", time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RotateSecret(nope) error = %v, want ErrNotFound", err)
	}
}

// testRotateSecretTwiceWithinGrace: a second rotation during the first one's grace period
// keeps the first secret, which still signs until its own grace period ends.
func testRotateSecretTwiceWithinGrace(t *testing.T, s store.Store) {
	ctx := t.Context()
	ss := secretsOf(t, s)
	putFunction(t, s, "probe")
	first, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	start := time.Now()
	second, err := ss.RotateSecret(ctx, "probe", time.Hour)
	if err != nil {
		t.Fatalf("RotateSecret(probe, 1h) error = %v", err)
	}
	third, err := ss.RotateSecret(ctx, "probe", 10*time.Minute)
	if err != nil {
		t.Fatalf("RotateSecret(probe, 10m) error = %v", err)
	}
	got, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil || len(snap.Functions) != 1 {
		t.Fatalf("Snapshot() = %d functions, %v; want 1", len(snap.Functions), err)
	}
	name := map[string]string{first.SigningSecret: "first", second.SigningSecret: "second", third.SigningSecret: "third"}
	names := func(secrets []string) string {
		var n []string
		for _, s := range secrets {
			n = append(n, name[s])
		}
		return strings.Join(n, " ")
	}
	for _, tt := range []struct {
		at   time.Duration
		want string
	}{
		{0, "third second first"},         // both grace periods running, newest first
		{30 * time.Minute, "third first"}, // the second's ended, the first's has not
		{2 * time.Hour, "third"},          // both ended
	} {
		for what, f := range map[string]store.Function{"RotateSecret": third, "GetFunction": got, "Snapshot": snap.Functions[0]} {
			if g := names(f.SigningSecrets(start.Add(tt.at))); g != tt.want {
				t.Errorf("%s after two rotations: SigningSecrets(+%v) = [%s], want [%s]", what, tt.at, g, tt.want)
			}
		}
	}

	// A rotation without grace ends every previous secret at once.
	last, err := ss.RotateSecret(ctx, "probe", 0)
	if err != nil {
		t.Fatalf("RotateSecret(probe, 0) error = %v", err)
	}
	if got := last.SigningSecrets(start); len(got) != 1 || got[0] != last.SigningSecret {
		t.Errorf("SigningSecrets after RotateSecret(probe, 0) = %d secrets, want only the new one", len(got))
	}
}

// testRotateSecretConcurrently: rotations racing on one function take turns, so none loses
// a secret another replaced; the kept ones are bounded by MaxPreviousSecrets, newest first.
func testRotateSecretConcurrently(t *testing.T, s store.Store) {
	ctx := t.Context()
	ss := secretsOf(t, s)
	putFunction(t, s, "probe")
	const n = 4
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ss.RotateSecret(ctx, "probe", time.Hour); err != nil {
				t.Errorf("concurrent RotateSecret(probe, 1h) error = %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	distinct := map[string]bool{got.SigningSecret: true}
	for _, p := range got.PreviousSecrets {
		distinct[p.Secret] = true
	}
	if len(got.PreviousSecrets) != n || len(distinct) != n+1 {
		t.Errorf("after %d concurrent rotations: %d previous secrets, %d distinct secrets in all; want %d and %d",
			n, len(got.PreviousSecrets), len(distinct), n, n+1)
	}

	for i := range store.MaxPreviousSecrets {
		if _, err := ss.RotateSecret(ctx, "probe", time.Hour+time.Duration(i)*time.Second); err != nil {
			t.Fatalf("RotateSecret #%d error = %v", i, err)
		}
	}
	got, err = s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	if len(got.PreviousSecrets) != store.MaxPreviousSecrets {
		t.Fatalf("after %d more rotations: %d previous secrets, want MaxPreviousSecrets (%d)",
			store.MaxPreviousSecrets, len(got.PreviousSecrets), store.MaxPreviousSecrets)
	}
	for i := 1; i < len(got.PreviousSecrets); i++ {
		if !got.PreviousSecrets[i].ExpiresAt.Before(got.PreviousSecrets[i-1].ExpiresAt) {
			t.Errorf("PreviousSecrets[%d] expires at %v, not before [%d] at %v: want the most recently replaced first",
				i, got.PreviousSecrets[i].ExpiresAt, i-1, got.PreviousSecrets[i-1].ExpiresAt)
		}
	}
}

// fireTime returns a millisecond-aligned fire time i seconds after a fixed base.
func fireTime(i int) time.Time {
	return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second)
}

func claim(t *testing.T, cr store.CronRuns, fn, schedule string, at time.Time) bool {
	t.Helper()
	ok, err := cr.ClaimCronRun(t.Context(), store.CronRun{Function: fn, Schedule: schedule, Expression: "@every 1s", FiredAt: at})
	if err != nil {
		t.Fatalf("ClaimCronRun(%s, %s, %v) error = %v", fn, schedule, at, err)
	}
	return ok
}

func testClaimCronRun(t *testing.T, s store.Store) {
	cr := cronOf(t, s)
	putFunction(t, s, "probe")
	putFunction(t, s, "other")
	if !claim(t, cr, "probe", "tick", fireTime(0)) {
		t.Errorf("ClaimCronRun(probe, tick, t0) = false on a fresh key, want true")
	}
	if claim(t, cr, "probe", "tick", fireTime(0)) {
		t.Errorf("ClaimCronRun(probe, tick, t0) again = true, want false")
	}
	if !claim(t, cr, "probe", "tock", fireTime(0)) || !claim(t, cr, "other", "tick", fireTime(0)) ||
		!claim(t, cr, "probe", "tick", fireTime(1)) {
		t.Errorf("ClaimCronRun with another schedule, function or fire time = false, want true")
	}
	_, err := cr.ClaimCronRun(t.Context(), store.CronRun{Function: "nope", Schedule: "tick", FiredAt: fireTime(0)})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ClaimCronRun(nope) error = %v, want ErrNotFound", err)
	}

	// Racing claims for one key: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := cr.ClaimCronRun(t.Context(), store.CronRun{Function: "probe", Schedule: "race", FiredAt: fireTime(9)})
			if err != nil {
				t.Errorf("concurrent ClaimCronRun error = %v", err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("8 concurrent ClaimCronRun of one key: %d succeeded, want exactly 1", n)
	}
}

func testCronRunLog(t *testing.T, s store.Store) {
	ctx := t.Context()
	cr := cronOf(t, s)
	putFunction(t, s, "probe")
	if runs, err := cr.ListCronRuns(ctx, "probe", store.CronRunQuery{}); err != nil || len(runs) != 0 {
		t.Fatalf("ListCronRuns(probe) on no runs = %d runs, %v; want 0, nil", len(runs), err)
	}
	claim(t, cr, "probe", "a", fireTime(0))
	claim(t, cr, "probe", "b", fireTime(1))
	claim(t, cr, "probe", "a", fireTime(2))
	finish := []store.CronRun{
		{Function: "probe", Schedule: "a", FiredAt: fireTime(0), State: store.CronOK, Status: 200, Duration: 12 * time.Millisecond},
		{Function: "probe", Schedule: "b", FiredAt: fireTime(1), State: store.CronError, Status: 0, Duration: 3 * time.Second, Error: "upstream unreachable"},
	}
	for _, r := range finish {
		if err := cr.FinishCronRun(ctx, r); err != nil {
			t.Fatalf("FinishCronRun(%s, %v) error = %v", r.Schedule, r.FiredAt, err)
		}
	}
	runs, err := cr.ListCronRuns(ctx, "probe", store.CronRunQuery{})
	if err != nil {
		t.Fatalf("ListCronRuns(probe) error = %v", err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s@%d:%s/%d/%v/%q/%s", r.Schedule, r.FiredAt.Unix()-fireTime(0).Unix(), r.State, r.Status, r.Duration, r.Error, r.Expression))
	}
	want := []string{
		`a@2:RUNNING/0/0s/""/@every 1s`,
		`b@1:ERROR/0/3s/"upstream unreachable"/@every 1s`,
		`a@0:OK/200/12ms/""/@every 1s`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ListCronRuns(probe) = %v, want %v (newest first)", got, want)
	}
	for _, r := range runs {
		checkNow(t, "CronRun.StartedAt", r.StartedAt, time.Now().Add(-time.Minute))
		if r.FiredAt.Location() != time.UTC {
			t.Errorf("CronRun.FiredAt location = %v, want UTC", r.FiredAt.Location())
		}
	}
	errs, err := cr.ListCronRuns(ctx, "probe", store.CronRunQuery{State: store.CronError})
	if err != nil || len(errs) != 1 || errs[0].Schedule != "b" {
		t.Errorf("ListCronRuns(probe, state ERROR) = %d runs, %v; want the one ERROR run", len(errs), err)
	}
	one, err := cr.ListCronRuns(ctx, "probe", store.CronRunQuery{Limit: 1})
	if err != nil || len(one) != 1 || !one[0].FiredAt.Equal(fireTime(2)) {
		t.Errorf("ListCronRuns(probe, limit 1) = %d runs, %v; want the newest", len(one), err)
	}
	if _, err := cr.ListCronRuns(ctx, "nope", store.CronRunQuery{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListCronRuns(nope) error = %v, want ErrNotFound", err)
	}
	err = cr.FinishCronRun(ctx, store.CronRun{Function: "probe", Schedule: "never", FiredAt: fireTime(0), State: store.CronOK})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FinishCronRun of an unclaimed run error = %v, want ErrNotFound", err)
	}

	// Deleting the function deletes its runs; a redeploy starts with none.
	if err := s.DeleteFunction(ctx, "probe"); err != nil {
		t.Fatalf("DeleteFunction error = %v", err)
	}
	putFunction(t, s, "probe")
	if runs, err := cr.ListCronRuns(ctx, "probe", store.CronRunQuery{}); err != nil || len(runs) != 0 {
		t.Errorf("ListCronRuns(probe) after delete and redeploy = %d runs, %v; want 0, nil", len(runs), err)
	}
}

func testCronRunsPruned(t *testing.T, s store.Store) {
	ctx := t.Context()
	cr := cronOf(t, s)
	putFunction(t, s, "probe")
	putFunction(t, s, "other")
	claim(t, cr, "other", "a", fireTime(0))
	const extra = 3
	for i := range store.MaxCronRuns + extra {
		claim(t, cr, "probe", "a", fireTime(i))
		if err := cr.FinishCronRun(ctx, store.CronRun{Function: "probe", Schedule: "a", FiredAt: fireTime(i), State: store.CronOK, Status: 204}); err != nil {
			t.Fatalf("FinishCronRun #%d error = %v", i, err)
		}
	}
	runs, err := cr.ListCronRuns(ctx, "probe", store.CronRunQuery{Limit: store.MaxCronRuns + 10})
	if err != nil {
		t.Fatalf("ListCronRuns error = %v", err)
	}
	if len(runs) != store.MaxCronRuns {
		t.Fatalf("ListCronRuns after %d runs = %d, want %d", store.MaxCronRuns+extra, len(runs), store.MaxCronRuns)
	}
	if oldest := runs[len(runs)-1].FiredAt; !oldest.Equal(fireTime(extra)) {
		t.Errorf("oldest kept run fired at %v, want %v (the oldest pruned first)", oldest, fireTime(extra))
	}
	if others, err := cr.ListCronRuns(ctx, "other", store.CronRunQuery{}); err != nil || len(others) != 1 {
		t.Errorf("ListCronRuns(other) = %d, %v; want its one run untouched by another function's pruning", len(others), err)
	}
}

// testFailStaleCronRuns: runs a stopped server left RUNNING become ERROR "server stopped"
// once their start plus their timeout (MaxTimeout when none was recorded) is before the
// cutoff; runs still within it, and finished runs, are left alone; several callers at once
// mark each run once.
func testFailStaleCronRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	cr := cronOf(t, s)
	putFunction(t, s, "probe")
	now := time.Now().Truncate(time.Millisecond)
	claimAt := func(i int, started time.Time, timeout time.Duration) {
		t.Helper()
		r := store.CronRun{Function: "probe", Schedule: fmt.Sprint("s", i), Expression: "@every 1s", FiredAt: fireTime(i), StartedAt: started, Timeout: timeout}
		if ok, err := cr.ClaimCronRun(ctx, r); !ok || err != nil {
			t.Fatalf("ClaimCronRun(s%d) = %v, %v; want true, nil", i, ok, err)
		}
	}
	claimAt(0, now.Add(-10*time.Minute), 30*time.Second) // long dead
	claimAt(1, now, 30*time.Second)                      // just started
	claimAt(2, now.Add(-90*time.Second), 2*time.Minute)  // a slow function still within its timeout
	claimAt(3, now.Add(-100*time.Second), 0)             // no timeout recorded: MaxTimeout, not over yet
	claimAt(4, now.Add(-3*time.Minute), 0)               // no timeout recorded, over MaxTimeout
	claimAt(5, now.Add(-time.Hour), time.Second)         // finished long ago
	if err := cr.FinishCronRun(ctx, store.CronRun{Function: "probe", Schedule: "s5", FiredAt: fireTime(5), State: store.CronOK, Status: 200, Duration: time.Second}); err != nil {
		t.Fatalf("FinishCronRun(s5) error = %v", err)
	}

	n, err := cr.FailStaleCronRuns(ctx, now)
	if err != nil || n != 2 {
		t.Errorf("FailStaleCronRuns(now) = %d, %v; want 2 (s0 and s4), nil", n, err)
	}
	states := func() string {
		t.Helper()
		runs, err := cr.ListCronRuns(ctx, "probe", store.CronRunQuery{})
		if err != nil {
			t.Fatalf("ListCronRuns error = %v", err)
		}
		var got []string
		for i := len(runs) - 1; i >= 0; i-- { // oldest fire time first: s0, s1, …
			r := runs[i]
			got = append(got, fmt.Sprintf("%s:%s/%d/%q", r.Schedule, r.State, r.Status, r.Error))
		}
		return strings.Join(got, " ")
	}
	want := `s0:ERROR/0/"server stopped" s1:RUNNING/0/"" s2:RUNNING/0/"" s3:RUNNING/0/"" s4:ERROR/0/"server stopped" s5:OK/200/""`
	if got := states(); got != want {
		t.Errorf("runs after FailStaleCronRuns(now) = %s, want %s", got, want)
	}
	if runs, err := cr.ListCronRuns(ctx, "probe", store.CronRunQuery{Limit: 1}); err != nil || len(runs) != 1 || runs[0].Timeout != time.Second {
		t.Errorf("ListCronRuns(limit 1) = %v, %v; want s5 with its timeout of 1s", runs, err)
	}
	if n, err := cr.FailStaleCronRuns(ctx, now); err != nil || n != 0 {
		t.Errorf("FailStaleCronRuns(now) again = %d, %v; want 0, nil", n, err)
	}
	if n, err := cr.FailStaleCronRuns(ctx, now.Add(3*time.Minute)); err != nil || n != 3 {
		t.Errorf("FailStaleCronRuns(in 3 minutes) = %d, %v; want 3 (s1, s2, s3), nil", n, err)
	}

	// Several servers sweeping at once: each run is marked once.
	for i := 10; i < 16; i++ {
		claimAt(i, now.Add(-time.Hour), time.Second)
	}
	var marked atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := cr.FailStaleCronRuns(ctx, now)
			if err != nil {
				t.Errorf("concurrent FailStaleCronRuns error = %v", err)
			}
			marked.Add(int32(n))
		}()
	}
	wg.Wait()
	if n := marked.Load(); n != 6 {
		t.Errorf("4 concurrent FailStaleCronRuns marked %d runs in all, want 6", n)
	}

	// A run that does finish after being given up on keeps its real outcome.
	if err := cr.FinishCronRun(ctx, store.CronRun{Function: "probe", Schedule: "s0", FiredAt: fireTime(0), State: store.CronOK, Status: 204}); err != nil {
		t.Fatalf("FinishCronRun(s0) error = %v", err)
	}
	if got := states(); !strings.HasPrefix(got, `s0:OK/204/""`) {
		t.Errorf("runs after a late FinishCronRun(s0) = %s, want s0 OK", got)
	}
}

func testWatchIgnoresCronRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	cr := cronOf(t, s)
	putFunction(t, s, "probe")
	ch := watch(t, s)
	drain(ch)
	_ = waitSignal(ch, ChangeDeadline/4)
	drain(ch)

	claim(t, cr, "probe", "a", fireTime(0))
	if err := cr.FinishCronRun(ctx, store.CronRun{Function: "probe", Schedule: "a", FiredAt: fireTime(0), State: store.CronOK}); err != nil {
		t.Fatalf("FinishCronRun error = %v", err)
	}
	quiet := time.NewTimer(ChangeDeadline + ChangeDeadline/4)
	defer quiet.Stop()
	select {
	case _, ok := <-ch:
		if ok {
			t.Errorf("Watch signalled after cron run calls, want no signal")
		} else {
			t.Fatalf("Watch channel closed while its context is live")
		}
	case <-quiet.C:
	}
}
