package catalog

import (
	"testing"

	"github.com/jfnhq/jfn/openapi"
)

func TestListingSummary(t *testing.T) {
	skipped := func(ops ...string) []openapi.Skipped {
		var out []openapi.Skipped
		for _, op := range ops {
			out = append(out, openapi.Skipped{Operation: op, Reason: "r"})
		}
		return out
	}
	tests := []struct {
		tools   int
		skipped []openapi.Skipped
		want    string
	}{
		{1, nil, "1 tool from 1 operation"},
		{4, nil, "4 tools from 4 operations"},
		{0, skipped("webhook newPet", "webhook oldPet"), "0 tools from 2 operations (2 skipped)"},
		{0, skipped("/pets", "/users"), "0 tools from 0 operations (2 path items skipped)"},
		{10, skipped("GET /x", "/y"), "10 tools from 11 operations (1 skipped, 1 path item skipped)"},
	}
	for _, tt := range tests {
		l := Listing{Skipped: tt.skipped, documentTools: tt.tools}
		if got := l.Summary(); got != tt.want {
			t.Errorf("Listing{%d tools, skipped %v}.Summary() = %q, want %q", tt.tools, tt.skipped, got, tt.want)
		}
	}
}
