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
	"runtime/debug"
	"runtime/metrics"
	"time"
)

const (
	// DefaultFloor is the heap target Run keeps at least.
	DefaultFloor = 64 << 20
	// basePercent is Go's default GOGC, used once the live heap passes the floor.
	basePercent = 100
	// maxPercent bounds GOGC for a nearly empty heap.
	maxPercent = 1000
	// every is how often Run looks at the live heap.
	every = time.Second
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

// Run adjusts GOGC every second until ctx ends, unless getenv reports GOGC or GOMEMLIMIT
// set. It restores the previous setting when it returns.
func Run(ctx context.Context, getenv func(string) string, floor uint64) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	prev := debug.SetGCPercent(basePercent)
	defer debug.SetGCPercent(prev)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := basePercent
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			if p := Percent(sample[0].Value.Uint64(), floor); p != current {
				debug.SetGCPercent(p)
				current = p
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
