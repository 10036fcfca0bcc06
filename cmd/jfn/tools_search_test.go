package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

const shopDoc = "../../examples/shop/openapi.json"

func TestToolsSearchText(t *testing.T) {
	r := toolsCLI(t, "", "tools", shopDoc, "--search", "place an order", "--limit", "2")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("jfn tools --search: exit %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("jfn tools --search --limit 2 printed %d lines, want 2:\n%s", len(lines), r.stdout)
	}
	if f := strings.Fields(lines[0]); len(f) < 5 || f[0] != "1" || f[1] != "createOrder" || f[2] != "POST" || f[3] != "/orders" ||
		!strings.HasSuffix(lines[0], "Place an order") {
		t.Errorf("first line = %q, want rank 1, createOrder, POST /orders, its summary", lines[0])
	}

	r = toolsCLI(t, "", "tools", shopDoc, "--search", "zzzz qqqq")
	if r.code != 0 || !strings.Contains(r.stdout, "No tool matches") {
		t.Errorf("jfn tools --search with no match: exit %d, stdout %q; want 0 and a note", r.code, r.stdout)
	}
}

func TestToolsSearchJSON(t *testing.T) {
	r := toolsCLI(t, "", "tools", shopDoc, "--search", "list the products", "--json")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("jfn tools --search --json: exit %d, stderr %q", r.code, r.stderr)
	}
	var raw struct {
		Results []map[string]json.RawMessage `json:"results"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("jfn tools --search --json printed %q: %v", r.stdout, err)
	}
	if len(raw.Results) == 0 {
		t.Fatalf("jfn tools --search --json: no results in %q", r.stdout)
	}
	want := []string{"method", "name", "path", "score", "summary", "title", "toolsets"}
	for _, res := range raw.Results {
		var keys []string
		for k := range res {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("result keys = %v, want %v", keys, want)
		}
	}
	var got searchJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Results[0].Name != "listProducts" || got.Results[0].Method != "GET" || got.Results[0].Path != "/products" {
		t.Errorf("first result = %+v, want listProducts GET /products", got.Results[0])
	}
	for i, res := range got.Results {
		if res.Score <= 0 || res.Score != float64(int64(res.Score*1000+0.5))/1000 {
			t.Errorf("result %d score = %v, want a positive number rounded to 3 decimals", i, res.Score)
		}
		if i > 0 && res.Score > got.Results[i-1].Score {
			t.Errorf("results out of order: %v before %v", got.Results[i-1].Score, res.Score)
		}
		if len(res.Toolsets) == 0 || len([]rune(res.Summary)) > 200 {
			t.Errorf("result %s: toolsets %v, summary %q; want toolsets and a summary of at most 200 characters", res.Name, res.Toolsets, res.Summary)
		}
	}
}

func TestToolsSearchUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"limit 0", []string{"--search", "x", "--limit", "0"}},
		{"limit 51", []string{"--search", "x", "--limit", "51"}},
		{"limit not a number", []string{"--search", "x", "--limit", "ten"}},
		{"empty query", []string{"--search", "  "}},
		{"limit without search", []string{"--limit", "5"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"tools", shopDoc}, tt.args...)
			r := toolsCLI(t, "", args...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "jfn tools") {
				t.Errorf("jfn %v: exit %d, stdout %q, stderr %q; want exit 2 and one error line", args, r.code, r.stdout, r.stderr)
			}
		})
	}
	for _, limit := range []string{"1", "50"} {
		r := toolsCLI(t, "", "tools", shopDoc, "--search", "order", "--limit", limit)
		if r.code != 0 {
			t.Errorf("jfn tools --search order --limit %s: exit %d, stderr %q; want 0", limit, r.code, r.stderr)
		}
	}
}
