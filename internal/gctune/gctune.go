// Package gctune keeps the garbage collector from running more often than a small heap
// warrants. With Go's default GOGC=100 the collector runs each time the heap doubles; a
// gateway whose live heap is a few MB then collects many times a second under load, for
// garbage that is all per-request. Run raises GOGC so that the heap target stays at least
// a floor (64 MiB by default), and lowers it back to 100 as the live heap grows past it: the
// memory a server may use beyond its live heap is bounded by the floor, and a large heap
// is collected as usual. This is the "GOGC tuner" technique of large Go deployments. An
// operator who sets GOGC or GOMEMLIMIT keeps full control: Run then does nothing.
package gctune

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

const (
	// DefaultFloor is the heap target Run keeps at least.
	DefaultFloor = 64 << 20
	// basePercent is Go's default GOGC, used once the live heap passes the floor.
	basePercent = 100
	// maxPercent bounds GOGC for a nearly empty heap.
	maxPercent = 1000
)

// Percent is the GOGC that puts the heap target (live × (1 + GOGC/100)) at floor or above:
// at least basePercent, at most maxPercent.
func Percent(live, floor uint64) int {
	if live == 0 {
		return maxPercent
	}
	if live >= floor/2 {
		return basePercent
	}
	p := (floor - live) * 100 / live
	return int(min(max(p, basePercent), maxPercent))
}

// Run adjusts GOGC after every collection until ctx ends, unless getenv reports GOGC or
// GOMEMLIMIT set. Tuning at each cycle, not on a timer, means a heap that grows fast while
// GOGC is high is brought back to the floor's bound at the next collection. Run restores
// the previous setting when it returns.
func Run(ctx context.Context, getenv func(string) string, floor uint64) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	t := &tuner{floor: floor, current: basePercent}
	prev := debug.SetGCPercent(basePercent)
	t.adjust()
	t.arm()
	<-ctx.Done()
	t.mu.Lock()
	t.stopped = true
	debug.SetGCPercent(prev)
	t.mu.Unlock()
}

// tuner sets GOGC from the live heap.
type tuner struct {
	mu      sync.Mutex
	floor   uint64
	current int
	stopped bool
}

// sentinel is garbage as soon as it is made; its finalizer runs after the next collection.
// It is not zero-sized: finalizers on zero-sized objects may never run.
type sentinel struct{ _ [16]byte }

// arm has adjust run after the next collection, and arm itself again.
func (t *tuner) arm() {
	runtime.SetFinalizer(new(sentinel), func(*sentinel) {
		if t.adjust() {
			t.arm()
		}
	})
}

// adjust sets GOGC for the live heap now; it reports false once Run has stopped.
func (t *tuner) adjust() bool {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	if sample[0].Value.Kind() == metrics.KindUint64 {
		if p := Percent(sample[0].Value.Uint64(), t.floor); p != t.current {
			debug.SetGCPercent(p)
			t.current = p
		}
	}
	return true
}
