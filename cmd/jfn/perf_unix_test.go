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
	corpus := corpustest.Find(b)
	if !corpus.Full {
		b.Skip("the aim is for the whole shared corpus, not the vendored subset")
	}
	bin := filepath.Join(b.TempDir(), "jfn")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	slowest := map[string]time.Duration{} // per document
	var rss int64                         // KiB, the largest of any run
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, file := range corpus.Files() {
			cmd := exec.Command(bin, "tools", corpus.Path(file), "--json") // stdout to /dev/null, as in a shell
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatalf("jfn tools %s: %v\n%.500s", file, err, stderr.Bytes())
			}
			slowest[file] = max(slowest[file], time.Since(start))
			rss = max(rss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
		}
	}
	docs := slices.SortedFunc(maps.Keys(slowest), func(x, y string) int { return cmp.Compare(slowest[y], slowest[x]) })
	b.ReportMetric(slowest[docs[0]].Seconds(), "max-s")
	b.ReportMetric(float64(rss)/1024, "max-RSS-MB")
	for _, d := range docs[:min(3, len(docs))] {
		b.Logf("%s: slowest of %d runs %.2f s", d, b.N, slowest[d].Seconds())
	}
	b.Logf("%d documents; peak resident memory at most %.0f MB", len(docs), float64(rss)/1024)
}
