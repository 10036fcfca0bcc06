package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jfnhq/jfn/openapi"
)

// convResult is the conversion of one corpus document.
type convResult struct {
	file       string
	bytes      int
	operations int // as the manifest counts them
	tools      int
	first      time.Duration // the first conversion in the process (sampled for the heap)
	time       time.Duration // median of the runs after it
	cpu        time.Duration // CPU time of the process (GC included), median of the runs after it
	peakHeap   uint64        // high-water of heap objects above the level before the run
	allocated  uint64        // bytes allocated by one run
}

// largestDocuments returns the n largest documents (by the manifest's bytes column) of the
// corpus in dir, largest first.
func largestDocuments(dir string, n int) ([]convResult, error) {
	data, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		return nil, fmt.Errorf("read the corpus manifest: %w; pass --corpus DIR", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 2 {
		return nil, fmt.Errorf("the corpus manifest in %s lists no documents", dir)
	}
	head := strings.Split(lines[0], "\t")
	col := func(name string) int { return slices.Index(head, name) }
	fileCol, bytesCol, opsCol := col("file"), col("bytes"), col("operations")
	if fileCol < 0 || bytesCol < 0 {
		return nil, fmt.Errorf("the corpus manifest in %s has no file or bytes column", dir)
	}
	var docs []convResult
	for _, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) <= max(fileCol, bytesCol, opsCol) {
			continue
		}
		size, err := strconv.Atoi(f[bytesCol])
		if err != nil {
			continue
		}
		d := convResult{file: f[fileCol], bytes: size}
		if opsCol >= 0 {
			d.operations, _ = strconv.Atoi(f[opsCol])
		}
		docs = append(docs, d)
	}
	slices.SortStableFunc(docs, func(a, b convResult) int { return b.bytes - a.bytes })
	return docs[:min(n, len(docs))], nil
}

// convertDocuments converts each document 1+runs times with openapi.Load. The first run
// samples the heap (its high-water and the bytes allocated) and is timed as the first
// conversion in the process; the others run without the sampler, and their median wall and
// CPU time is the conversion time.
func convertDocuments(dir string, docs []convResult, runs int) ([]convResult, error) {
	out := slices.Clone(docs)
	for i := range out {
		d := &out[i]
		data, err := os.ReadFile(filepath.Join(dir, d.file))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", d.file, err)
		}
		var times, cpus []time.Duration
		for run := range 1 + max(runs, 1) {
			runtime.GC()
			base, alloc0 := heapObjects(), allocatedBytes()
			var peak func() uint64
			if run == 0 {
				peak = sampleHeap()
			}
			c0, t0 := processCPU(), time.Now()
			spec, err := openapi.Load(data)
			elapsed, cpu := time.Since(t0), processCPU()-c0
			if err != nil {
				if peak != nil {
					peak()
				}
				return nil, fmt.Errorf("convert %s: %w", d.file, err)
			}
			if run == 0 {
				high := peak()
				d.first = elapsed
				d.peakHeap = high - min(high, base)
				d.allocated = allocatedBytes() - alloc0
				d.tools = len(spec.Tools())
			} else {
				times, cpus = append(times, elapsed), append(cpus, cpu)
			}
			runtime.KeepAlive(spec)
		}
		d.time, d.cpu = median(times), median(cpus)
	}
	return out, nil
}

var heapMetrics = []string{"/memory/classes/heap/objects:bytes", "/gc/heap/allocs:bytes"}

func readHeapMetric(i int) uint64 {
	s := []metrics.Sample{{Name: heapMetrics[i]}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// heapObjects is the memory occupied by heap objects, live or not yet swept.
func heapObjects() uint64 { return readHeapMetric(0) }

// allocatedBytes is the total the program has allocated so far.
func allocatedBytes() uint64 { return readHeapMetric(1) }

// sampleHeap samples heapObjects every millisecond until the returned func is called, which
// returns the highest value seen (the heap's high-water, to within a millisecond's growth).
func sampleHeap() func() uint64 {
	var high atomic.Uint64
	high.Store(heapObjects())
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v := heapObjects(); v > high.Load() {
					high.Store(v)
				}
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		if v := heapObjects(); v > high.Load() {
			high.Store(v)
		}
		return high.Load()
	}
}
