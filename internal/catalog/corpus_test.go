package catalog

import (
	"testing"

	"github.com/jfnhq/jfn/internal/corpustest"
	"github.com/jfnhq/jfn/openapi"
)

// TestCorpusCatalogues checks, on every document of the corpus (the whole one beside the
// repository, else the vendored subset), what a connection in
// the default (auto) mode is listed: at most AutoMaxTools tools and AutoMaxBytes of
// model-visible definitions, and no schema over openapi.MaxListedSchema. It logs how many
// documents are listed in search mode.
func TestCorpusCatalogues(t *testing.T) {
	corpus := corpustest.Find(t)
	var docs, search, largestAll int
	for _, file := range corpus.Files() {
		data := corpus.Read(t, file)
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
