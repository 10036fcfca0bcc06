package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/jfnhq/jfn/examples/shop"
	"github.com/jfnhq/jfn/internal/corpustest"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

// The figures of the memory and load-time aims (README, Performance), measured in one
// 'jfn serve' assembled as the CLI assembles it:
//
//	go test ./cmd/jfn -run '^$' -bench 'LargestDocument|ThousandFunctions' -benchtime 1x

// heapAfterGC is the live heap after two collections.
func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// largestCorpusDocument is the path and bytes of the largest document of the shared corpus
// (the benchmark is skipped without it: the vendored subset's largest is not the figure the
// README reports).
func largestCorpusDocument(b *testing.B) (string, []byte) {
	b.Helper()
	corpusDir := corpustest.Shared(b, "corpus")
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "*"))
	var best string
	var size int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() > size && isDocumentName(p) {
			best, size = p, fi.Size()
		}
	}
	if best == "" {
		b.Skipf("no corpus in %s", corpusDir)
	}
	data, err := os.ReadFile(best)
	if err != nil {
		b.Fatal(err)
	}
	return best, data
}

// BenchmarkLargestDocument deploys a function serving the corpus's largest document and
// reports how long until its /__health answers 200 (the document fetched, converted and
// served), and the heap it then holds after GC, in MB and as a multiple of the document.
func BenchmarkLargestDocument(b *testing.B) {
	path, doc := largestCorpusDocument(b)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	b.Cleanup(up.Close)
	s := startServer(b)
	before := heapAfterGC()
	var ready time.Duration
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("big%d", i)
		start := time.Now()
		deployed(b, s.db, name, up.URL)
		jfntest.Eventually(b, 30*time.Second, name+": /__health answers 200", func() bool {
			code, _, _ := call(b, "GET", s.URL()+"/"+name+"/__health", nil, "")
			return code == http.StatusOK
		})
		ready += time.Since(start)
	}
	heap := float64(heapAfterGC()-before) / float64(b.N)
	b.ReportMetric(ready.Seconds()/float64(b.N), "s-to-health")
	b.ReportMetric(heap/1e6, "heap-MB")
	b.ReportMetric(heap/float64(len(doc)), "heap-x-doc")
	b.Logf("%s: %.2f MB; deploy → /__health 200 in %v; heap after GC +%.1f MB (%.1f× the document)",
		filepath.Base(path), float64(len(doc))/1e6, ready/time.Duration(b.N), heap/1e6, heap/float64(len(doc)))
}

// BenchmarkThousandFunctions serves 1,000 functions with the shop example's document from
// one server, and reports the heap they hold after GC and how long a token created in the
// store takes to be accepted.
func BenchmarkThousandFunctions(b *testing.B) {
	const n = 1000
	up := httptest.NewServer(shop.Handler())
	b.Cleanup(up.Close)
	for i := 0; i < b.N; i++ {
		s := startServer(b)
		st, err := store.OpenSQLite(context.Background(), s.db)
		if err != nil {
			b.Fatal(err)
		}
		before := heapAfterGC()
		ctx := context.Background()
		start := time.Now()
		for f := range n {
			if _, err := service.Deploy(ctx, st, service.DeployParams{Name: fmt.Sprintf("shop%d", f), Upstream: up.URL}); err != nil {
				b.Fatal(err)
			}
		}
		jfntest.Eventually(b, 120*time.Second, "/readyz answers 200", func() bool {
			code, _, _ := call(b, "GET", "http://"+s.AdminAddr()+"/readyz", nil, "")
			return code == http.StatusOK
		})
		loaded := time.Since(start)
		heap := float64(heapAfterGC() - before)

		// A token change still reaches the server within a second.
		secret, _, err := service.CreateToken(ctx, st, "shop500", "late", 0)
		if err != nil {
			b.Fatal(err)
		}
		created := time.Now()
		jfntest.Eventually(b, 10*time.Second, "a new token is accepted", func() bool {
			code, _, _ := call(b, "GET", s.URL()+"/shop500/products", tokenHeader(secret), "")
			return code == http.StatusOK
		})
		accepted := time.Since(created)
		_ = st.Close()

		b.ReportMetric(heap/1e6, "heap-MB")
		b.ReportMetric(accepted.Seconds(), "s-token")
		b.ReportMetric(loaded.Seconds(), "s-all-ready")
		b.Logf("%d functions: heap after GC +%.1f MB (%.1f KB each); all ready in %v; a new token accepted after %v",
			n, heap/1e6, heap/n/1e3, loaded.Round(time.Millisecond), accepted.Round(time.Millisecond))
	}
}

// isDocumentName reports whether a corpus file is an OpenAPI document (not a manifest or
// a licence).
func isDocumentName(p string) bool {
	switch filepath.Ext(p) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

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
