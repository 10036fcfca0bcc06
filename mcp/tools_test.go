package mcp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/openapi"
)

func TestBuildToolsSkipsBadTools(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:1")
	b, err := New(&Options{Function: "f", Upstream: base, Timeout: time.Second, Sessions: NewMemorySessions(), Logger: zerolog.New(zerolog.NewTestWriter(t))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	obj := json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`)
	defs := []openapi.Tool{
		{Name: "good", Description: "d", InputSchema: obj, OutputSchema: obj},
		{Name: "good", Description: "duplicate", InputSchema: obj},
		{Name: "notJSON", Description: "d", InputSchema: json.RawMessage(`{"type":`)},
		{Name: "badHeader", Description: "d", InputSchema: json.RawMessage(`{"type":"object","properties":{"o":{"type":"object","x-mcp-header":"X"}}}`)},
		{Name: "badOutput", Description: "d", InputSchema: obj, OutputSchema: json.RawMessage(`[1]`)},
	}
	ts := b.buildTools(defs)
	var names []string
	for _, st := range ts.list {
		names = append(names, st.Tool.Name)
	}
	// A schema that does not compile never gets here: openapi.Load leaves its tool out.
	if len(ts.skipped) != 4 {
		t.Errorf("buildTools skipped %d, want 4 (3 tools and 1 output schema): %v", len(ts.skipped), ts.skipped)
	}
	want := []string{"good", "badOutput"}
	if len(names) != len(want) || names[0] != want[0] || names[1] != want[1] {
		t.Fatalf("buildTools kept %v, want %v", names, want)
	}
	if !ts.byName["good"].output || len(ts.list[0].Tool.RawOutputSchema) == 0 {
		t.Error("good lost its output schema")
	}
	if ts.byName["badOutput"].output || ts.list[1].Tool.RawOutputSchema != nil {
		t.Error("badOutput kept its unusable output schema")
	}

	// The same tools give the same fingerprint; a changed description does not.
	if again := b.buildTools(defs); again.fingerprint != ts.fingerprint {
		t.Error("buildTools(same tools) changed the fingerprint")
	}
	defs[0].Description = "changed"
	if changed := b.buildTools(defs); changed.fingerprint == ts.fingerprint {
		t.Error("buildTools(changed description) kept the fingerprint")
	}
	if empty := b.buildTools(nil); len(empty.list) != 0 {
		t.Errorf("buildTools(nil) = %d tools", len(empty.list))
	}
}

// TestVisibleSizeMatchesTheListing: openapi.Tool.VisibleSize counts exactly
// the bytes tools/list carries for a tool's name, title, description,
// inputSchema and annotations, and a large schema is listed trimmed.
func TestVisibleSizeMatchesTheListing(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:1")
	b, err := New(&Options{Function: "f", Upstream: base, Timeout: time.Second, Sessions: NewMemorySessions(), Logger: zerolog.New(zerolog.NewTestWriter(t))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var props []string
	for i := range 60 {
		props = append(props, fmt.Sprintf(`"p%d":{"type":"object","properties":{"q":{"type":"string","description":%q}}}`, i, strings.Repeat("long & <b>", 40)))
	}
	doc := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{
	 "/a":{"get":{"operationId":"titled","summary":"Find <things> & more","parameters":[{"name":"filter[x]","in":"query","schema":{"type":"string"}}],"responses":{}}},
	 "/b":{"delete":{"operationId":"untitled","responses":{}}},
	 "/c":{"post":{"operationId":"huge","requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{` + strings.Join(props, ",") + `}}}}},"responses":{}}}}}`
	spec, err := openapi.Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	defs := spec.Tools()
	ts := b.buildTools(defs)
	if len(ts.list) != len(defs) {
		t.Fatalf("buildTools listed %d of %d tools: %v", len(ts.list), len(defs), ts.skipped)
	}
	for i, st := range ts.list {
		def := defs[i]
		raw, err := json.Marshal(st.Tool)
		if err != nil {
			t.Fatal(err)
		}
		var all map[string]json.RawMessage
		if err := json.Unmarshal(raw, &all); err != nil {
			t.Fatal(err)
		}
		visible := map[string]json.RawMessage{}
		for _, k := range []string{"name", "title", "description", "inputSchema", "annotations"} {
			if v, ok := all[k]; ok {
				visible[k] = v
			}
		}
		want, _ := json.Marshal(visible)
		if got := def.VisibleSize(); got != len(want) {
			t.Errorf("%s: VisibleSize() = %d, want %d, the size of %s", def.Name, got, len(want), want)
		}
		if n := len(all["inputSchema"]); n > openapi.MaxListedSchema {
			t.Errorf("%s: tools/list carries an inputSchema of %d bytes, want at most %d", def.Name, n, openapi.MaxListedSchema)
		}
	}
	if huge, _ := spec.Tool("huge"); huge.FullInputSchema == nil {
		t.Errorf("huge: FullInputSchema = nil, want the whole schema (listed: %d bytes)", len(huge.InputSchema))
	}
}
