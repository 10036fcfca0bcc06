package mcp

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/openapi"
)

func TestBuildToolsSkipsBadTools(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:1")
	b, err := New(&Options{Function: "f", Upstream: base, Sessions: NewMemorySessions(), Logger: zerolog.New(zerolog.NewTestWriter(t))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	obj := json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`)
	defs := []openapi.Tool{
		{Name: "good", Description: "d", InputSchema: obj, OutputSchema: obj},
		{Name: "good", Description: "duplicate", InputSchema: obj},
		{Name: "notJSON", Description: "d", InputSchema: json.RawMessage(`{"type":`)},
		{Name: "noCompile", Description: "d", InputSchema: json.RawMessage(`{"type":5}`)},
		{Name: "externalRef", Description: "d", InputSchema: json.RawMessage(`{"$ref":"file:///etc/passwd"}`)},
		{Name: "badHeader", Description: "d", InputSchema: json.RawMessage(`{"type":"object","properties":{"o":{"type":"object","x-mcp-header":"X"}}}`)},
		{Name: "badOutput", Description: "d", InputSchema: obj, OutputSchema: json.RawMessage(`[1]`)},
	}
	ts := b.buildTools(defs)
	var names []string
	for _, st := range ts.list {
		names = append(names, st.Tool.Name)
	}
	if len(ts.skipped) != 6 {
		t.Errorf("buildTools skipped %d, want 6 (5 tools and 1 output schema): %v", len(ts.skipped), ts.skipped)
	}
	want := []string{"good", "badOutput"}
	if len(names) != len(want) || names[0] != want[0] || names[1] != want[1] {
		t.Fatalf("buildTools kept %v, want %v", names, want)
	}
	if ts.byName["good"].output == nil || len(ts.list[0].Tool.RawOutputSchema) == 0 {
		t.Error("good lost its output schema")
	}
	if ts.byName["badOutput"].output != nil || ts.list[1].Tool.RawOutputSchema != nil {
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
