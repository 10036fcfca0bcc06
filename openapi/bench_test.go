package openapi

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jfnhq/jfn/internal/corpustest"
)

// BenchmarkLoadLargest loads the three largest documents of the whole corpus (skipped without
// it: the vendored subset's largest are not the figures this measures).
func BenchmarkLoadLargest(b *testing.B) {
	corpusDir := corpustest.Shared(b, "corpus")
	data, err := os.ReadFile(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		b.Fatalf("corpus manifest: %v", err)
	}
	type doc struct {
		file string
		size int
	}
	var docs []doc
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) < 6 {
			continue
		}
		size, _ := strconv.Atoi(f[5])
		docs = append(docs, doc{f[0], size})
	}
	slices.SortFunc(docs, func(a, b doc) int { return b.size - a.size })
	for _, d := range docs[:3] {
		raw, err := os.ReadFile(filepath.Join(corpusDir, d.file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(d.file, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Load(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
