package gctune

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, tt := range []struct {
		live uint64
		want int
	}{
		{0, maxPercent},
		{1 * mb, maxPercent},   // 6300 % would be needed; capped
		{8 * mb, 700},          // 8 MB × 8 = 64 MB
		{16 * mb, 300},         // 16 MB × 4 = 64 MB
		{31 * mb, 106},         // just under half the floor
		{32 * mb, basePercent}, // half the floor: GOGC=100 reaches it already
		{500 * mb, basePercent},
	} {
		if got := Percent(tt.live, 64*mb); got != tt.want {
			t.Errorf("Percent(%d MB) = %d, want %d", tt.live/mb, got, tt.want)
		}
		if p := Percent(tt.live, 64*mb); tt.live > 0 && p < maxPercent && tt.live+tt.live*uint64(p)/100 < 64*mb-tt.live/100 {
			t.Errorf("Percent(%d MB) = %d puts the target under the floor", tt.live/mb, p)
		}
	}
}

// TestRunLeavesAnOperatorsSetting: with GOGC or GOMEMLIMIT in the environment, Run changes
// nothing; otherwise it raises GOGC for this small test heap and restores it at the end.
func TestRunLeavesAnOperatorsSetting(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			Run(ctx, func(k string) string { return map[string]string{env: "x"}[k] }, DefaultFloor)
			close(done)
		}()
		<-done // returns at once
		cancel()
		if got := gogc(); got != 100 {
			t.Errorf("with %s set, GOGC became %d", env, got)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, func(string) string { return "" }, DefaultFloor); close(done) }()
	deadline := time.Now().Add(2 * time.Second)
	raised := 0
	for time.Now().Before(deadline) && raised <= 100 {
		runtime.GC() // the tuner looks after each collection
		time.Sleep(20 * time.Millisecond)
		raised = gogc()
	}
	cancel()
	<-done
	if raised <= 100 {
		t.Errorf("Run left GOGC at %d for a small heap, want it raised", raised)
	}
	if got := gogc(); got != 100 {
		t.Errorf("after Run, GOGC = %d, want the previous 100 back", got)
	}
}

// gogc reads the current GOGC.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// TestRunFollowsAGrowingHeap: when the live heap grows past half the floor, the next
// collection brings GOGC back to 100; a tuner that only looked once a second would leave
// the target at up to 11x the live heap meanwhile.
func TestRunFollowsAGrowingHeap(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, func(string) string { return "" }, DefaultFloor); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(2 * time.Second)
	for gogc() <= 100 && time.Now().Before(deadline) {
		runtime.GC() // the tuner looks after each collection
		time.Sleep(10 * time.Millisecond)
	}
	if gogc() <= 100 {
		t.Fatalf("GOGC = %d for a small heap, want it raised", gogc())
	}
	big := make([][]byte, 48)
	for i := range big {
		big[i] = make([]byte, 1<<20) // 48 MiB live: past half the 64 MiB floor
	}
	runtime.GC()
	deadline = time.Now().Add(300 * time.Millisecond)
	for gogc() != 100 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := gogc(); got != 100 {
		t.Errorf("with 48 MiB live after a collection, GOGC = %d, want 100 at once", got)
	}
	runtime.KeepAlive(big)
}
