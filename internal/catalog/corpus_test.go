package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jfnhq/jfn/openapi"
)

// TestCorpusCatalogues checks, on every document of the shared corpus, what a connection in
// the default (auto) mode is listed: at most AutoMaxTools tools and AutoMaxBytes of
// model-visible definitions, and no schema over openapi.MaxListedSchema. It logs how many
// documents are listed in search mode.
func TestCorpusCatalogues(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "corpus")
	manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("the corpus manifest: %v", err)
	}
	var docs, search, largestAll int
	for i, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n") {
		file, _, _ := strings.Cut(line, "\t")
		if i == 0 || file == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		spec, err := openapi.Load(data)
		if err != nil {
			continue // documents that do not load are the converter's corpus test's business
		}
		docs++
		tools := spec.Tools()
		v, err := Select(tools, ModeAuto, nil)
		if err != nil {
			t.Fatalf("%s: Select: %v", file, err)
		}
		listed := v.Listed(tools)
		if len(listed) > AutoMaxTools || v.ListedBytes() > AutoMaxBytes {
			t.Errorf("%s: auto mode lists %d tools, %d bytes; want at most %d and %d", file, len(listed), v.ListedBytes(), AutoMaxTools, AutoMaxBytes)
		}
		for _, tool := range listed {
			if len(tool.InputSchema) > openapi.MaxListedSchema || len(tool.OutputSchema) > openapi.MaxListedSchema {
				t.Errorf("%s: %s lists a schema over %d bytes", file, tool.Name, openapi.MaxListedSchema)
			}
		}
		if v.Mode == ModeSearch {
			search++
		} else {
			largestAll = max(largestAll, v.ListedBytes())
		}
	}
	t.Logf("%d documents: %d listed in search mode, %d in all mode (largest all-mode catalogue %d bytes)", docs, search, docs-search, largestAll)
	if docs == 0 {
		t.Fatal("no corpus document loaded")
	}
}
