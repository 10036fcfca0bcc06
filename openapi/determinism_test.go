package openapi

import (
	"encoding/json"
	"os"
	"reflect"
	"sync"
	"testing"

	"github.com/jfnhq/jfn/internal/corpustest"
)

// TestDeterministic loads documents twice: same document, same tools, same
// order, same bytes. Recursion and Swagger 2.0 conversion are where
// map iteration could leak in.
func TestDeterministic(t *testing.T) {
	corpus := corpustest.Find(t)
	files := []string{
		"go-swagger__bugs__1614__gitea.json",      // Swagger 2.0, circular
		"apis-guru__apideck.com__accounting.json", // circular, allOf, anyOf
		"readme-oas-examples__3.0__schema-circular.yaml",
	}
	corpus.Need(t, files...)
	for _, file := range files {
		data := corpus.Read(t, file)
		var runs [2][]byte
		for i := range runs {
			spec, err := Load(data)
			if err != nil {
				t.Fatalf("Load(%s): %v", file, err)
			}
			runs[i], _ = json.Marshal(struct {
				T []Tool
				S []Skipped
			}{spec.Tools(), spec.Skipped()})
		}
		if !reflect.DeepEqual(runs[0], runs[1]) {
			t.Errorf("Load(%s) gave different tools on a second load", file)
		}
	}
}

// TestConcurrentUse calls a Spec's methods from many goroutines (run with
// -race).
func TestConcurrentUse(t *testing.T) {
	tool := loadTool(t, "testdata/golden/collision.yaml", "updateCustomer")
	data, _ := os.ReadFile("testdata/public.yaml")
	spec, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	base := mustURL(t, "http://127.0.0.1:1/p")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				_ = tool.Validate(map[string]any{"id__path": "x", "id": j})
				if _, err := tool.NewRequest(t.Context(), base, map[string]any{"id__path": "x", "id": j, "name": "n"}); err != nil {
					t.Error(err)
				}
				_ = spec.IsPublic("DELETE", "/users/1")
				_ = spec.Tools()
			}
		}()
	}
	wg.Wait()
}
