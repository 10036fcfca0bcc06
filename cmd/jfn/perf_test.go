package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
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
