//go:build unix

package main

import (
	"bytes"
	"cmp"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/corpustest"
)

// BenchmarkToolsEveryDocument runs the built jfn, a new process each time, as
// 'jfn tools FILE --json' on every document of the shared corpus, and reports the slowest
// wall time and the largest peak resident memory of any of them (the aims: under 0.5 s and
// 150 MB), and logs the three slowest documents.
//
//	go test ./cmd/jfn -run '^$' -bench ToolsEveryDocument -benchtime 3x
func BenchmarkToolsEveryDocument(b *testing.B) {
	corpusDir := corpustest.Shared(b, "corpus")
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "*"))
	paths = slices.DeleteFunc(paths, func(p string) bool { return !isDocumentName(p) })
	if len(paths) == 0 {
		b.Skipf("no corpus in %s", corpusDir)
	}
	bin := filepath.Join(b.TempDir(), "jfn")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	type run struct {
		doc  string
		wall time.Duration
		rss  int64 // KiB
	}
	slowest := map[string]run{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range paths {
			cmd := exec.Command(bin, "tools", p, "--json") // stdout to /dev/null, as in a shell
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatalf("jfn tools %s: %v\n%.500s", filepath.Base(p), err, stderr.Bytes())
			}
			r := run{filepath.Base(p), time.Since(start), cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss}
			if prev, ok := slowest[r.doc]; !ok || r.wall > prev.wall {
				r.rss = max(r.rss, prev.rss)
				slowest[r.doc] = r
			}
		}
	}
	runs := slices.SortedFunc(maps.Values(slowest), func(x, y run) int { return cmp.Compare(y.wall, x.wall) })
	var rss int64
	for _, r := range runs {
		rss = max(rss, r.rss)
	}
	b.ReportMetric(runs[0].wall.Seconds(), "max-s")
	b.ReportMetric(float64(rss)/1024, "max-RSS-MB")
	for _, r := range runs[:min(3, len(runs))] {
		b.Logf("%s: slowest of %d runs %.2f s", r.doc, b.N, r.wall.Seconds())
	}
	b.Logf("%d documents; peak resident memory at most %.0f MB", len(runs), float64(rss)/1024)
}
