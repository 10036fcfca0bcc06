package main

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store/storetest"
)

// TestCronClusterPostgres runs three servers on one PostgreSQL database with an @every 1s
// schedule for more than ten seconds: every fire time is executed exactly once (counted on
// the upstream by X-Jelou-Cron-Fire-Time), with no gap between the first and the last, and
// each run is recorded once. It needs JFN_TEST_POSTGRES (see storetest.PostgresDatabase).
func TestCronClusterPostgres(t *testing.T) {
	db := storetest.PostgresDatabase(t)
	up := newCronUpstream(t, cronDoc(`[{"expression":"@every 1s","name":"tick"}]`, `[]`))
	deployed(t, db, "jobs", up.URL)
	up.set("", signingSecret(t, db, "jobs"))
	for range 3 {
		startServerOn(t, db, nil)
	}
	start := up.waitNamed(t, "tick", 1, 6*time.Second)
	first, _ := time.Parse(time.RFC3339, start[0].header.Get("X-Jelou-Cron-Fire-Time"))
	// Watch for 12 s after the first run, then let the last runs land.
	time.Sleep(time.Until(first.Add(12 * time.Second)))
	cut := time.Now()
	time.Sleep(500 * time.Millisecond)

	perFire := map[time.Time]int{}
	unverified := 0
	for _, c := range up.named("tick") {
		at, err := time.Parse(time.RFC3339, c.header.Get("X-Jelou-Cron-Fire-Time"))
		if err != nil {
			t.Fatalf("X-Jelou-Cron-Fire-Time %q: %v", c.header.Get("X-Jelou-Cron-Fire-Time"), err)
		}
		if at.After(cut) {
			continue
		}
		perFire[at]++
		if len(c.verified) != 1 || !c.verified[0] {
			unverified++
		}
	}
	var times []time.Time
	for at, n := range perFire {
		times = append(times, at)
		if n != 1 {
			t.Errorf("fire time %s executed %d times, want exactly once", at.Format(time.RFC3339), n)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	if len(times) < 10 {
		t.Fatalf("%d fire times in %v, want at least 10", len(times), cut.Sub(first).Round(time.Second))
	}
	span := int(times[len(times)-1].Sub(times[0])/time.Second) + 1
	if span != len(times) {
		t.Errorf("fire times from %s to %s: %d distinct of %d seconds, want no gap",
			times[0].Format(time.RFC3339), times[len(times)-1].Format(time.RFC3339), len(times), span)
	}
	if unverified > 0 {
		t.Errorf("%d cron calls did not verify with the function's secret", unverified)
	}
	t.Logf("3 servers, %d consecutive fire times, each executed exactly once", len(times))

	// The run log has one run per fire time too.
	var logs struct {
		Runs []struct {
			FiredAt string `json:"fired_at"`
		} `json:"runs"`
	}
	r := mustCLI(t, db, "cron", "logs", "jobs", "--limit", "1000", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &logs); err != nil {
		t.Fatal(err)
	}
	logged := map[string]int{}
	for _, run := range logs.Runs {
		logged[run.FiredAt]++
	}
	for _, at := range times {
		if n := logged[at.UTC().Format(time.RFC3339)]; n != 1 {
			t.Errorf("cron logs: fire time %s recorded %d times, want 1", at.Format(time.RFC3339), n)
		}
	}
}
