package openapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenTool is a tool as `jfn tools --json` prints it, plus what the
// request binding needs, so that the golden file shows everything.
type goldenTool struct {
	Name         string          `json:"name"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description"`
	Method       string          `json:"method"`
	Path         string          `json:"path"`
	Annotations  map[string]bool `json:"annotations"`
	WrapResult   bool            `json:"wrapResult,omitempty"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
}

type goldenDoc struct {
	Title     string       `json:"title"`
	Tools     []goldenTool `json:"tools"`
	Skipped   []Skipped    `json:"skipped"`
	Schedules []Schedule   `json:"schedules,omitempty"`
}

// TestGolden converts every document in testdata/golden and compares the
// result with its .golden.json file. Run with -update to rewrite them, and
// read the diff: a golden file is only as right as its last review.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := Load(data)
			if err != nil {
				t.Fatalf("Load(%s): %v", in, err)
			}
			checkTools(t, spec.Tools())
			got := render(t, spec)
			file := strings.TrimSuffix(in, ".yaml") + ".golden.json"
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Load(%s) differs from %s; run with -update and review the diff.\ngot:\n%s", in, file, got)
			}
		})
	}
}

func render(t *testing.T, spec *Spec) []byte {
	t.Helper()
	doc := goldenDoc{Title: spec.Title(), Tools: []goldenTool{}, Skipped: spec.Skipped(), Schedules: spec.Schedules()}
	if doc.Skipped == nil {
		doc.Skipped = []Skipped{}
	}
	for _, tool := range spec.Tools() {
		doc.Tools = append(doc.Tools, goldenTool{
			Name: tool.Name, Title: tool.Title, Description: tool.Description,
			Method: tool.Method, Path: tool.Path,
			Annotations: map[string]bool{
				"readOnlyHint":    tool.Annotations.ReadOnly,
				"destructiveHint": tool.Annotations.Destructive,
				"idempotentHint":  tool.Annotations.Idempotent,
			},
			WrapResult:   tool.WrapResult,
			InputSchema:  tool.InputSchema,
			OutputSchema: tool.OutputSchema,
		})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
