package openapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// hugeDoc builds an operation whose input and output schemas are far over
// MaxListedSchema: deep nesting with long descriptions, big enums, examples
// and defaults, many optional properties, and a recursive definition.
func hugeDoc(optional int) []byte {
	long := strings.Repeat("A long description that says a lot about very little. ", 8)
	enum := make([]string, 40)
	for i := range enum {
		enum[i] = fmt.Sprintf("VALUE_NUMBER_%02d", i)
	}
	enumJSON, _ := json.Marshal(enum)
	// config.l1.l2…l8.leaf, every level described at length.
	deep := `{"type":"string","description":"The leaf.","examples":["x"]}`
	for i := 8; i >= 1; i-- {
		deep = fmt.Sprintf(`{"type":"object","description":%q,"required":["leaf"],"properties":{"l%d":%s,"leaf":{"type":"string","enum":%s,"default":"VALUE_NUMBER_00"}}}`,
			fmt.Sprintf("Level %d. %s", i, long), i+1, deep, enumJSON)
	}
	deep = strings.Replace(deep, `"l9":`, `"leaf9":`, 1)
	var props []string
	props = append(props,
		`"name":{"type":"string","description":"The name."}`,
		`"config":`+deep,
		`"tree":{"$ref":"#/components/schemas/Node"}`,
	)
	for i := range optional {
		props = append(props, fmt.Sprintf(`"opt%03d":{"type":"string","description":%q,"enum":%s,"examples":["VALUE_NUMBER_01"],"default":"VALUE_NUMBER_02"}`, i, long, enumJSON))
	}
	body := `{"type":"object","required":["name","config","tree"],"properties":{` + strings.Join(props, ",") + `}}`
	return []byte(`{"openapi":"3.1.0","info":{"title":"huge","version":"1"},"paths":{"/things":{"post":{
	 "operationId":"createThing",
	 "parameters":[{"name":"filter[kind]","in":"query","required":true,"description":` + fmt.Sprintf("%q", long) + `,"schema":{"type":"string"}}],
	 "requestBody":{"required":true,"content":{"application/json":{"schema":` + body + `}}},
	 "responses":{"200":{"description":"ok","content":{"application/json":{"schema":` + body + `}}}}}}},
	 "components":{"schemas":{"Node":{"type":"object","description":` + fmt.Sprintf("%q", long) + `,"properties":{
	   "label":{"type":"string","description":` + fmt.Sprintf("%q", long) + `},
	   "children":{"type":"array","items":{"$ref":"#/components/schemas/Node"}}}}}}}`)
}

func TestCompactHugeSchema(t *testing.T) {
	tool := loadToolData(t, hugeDoc(200), "createThing")
	if tool.FullInputSchema == nil {
		t.Fatalf("FullInputSchema = nil, want the whole schema (InputSchema has %d bytes)", len(tool.InputSchema))
	}
	if n := listedSize(tool.InputSchema); n > MaxListedSchema {
		t.Errorf("listed InputSchema has %d bytes, want at most %d", n, MaxListedSchema)
	}
	if n := listedSize(tool.OutputSchema); n > MaxListedSchema {
		t.Errorf("listed OutputSchema has %d bytes, want at most %d", n, MaxListedSchema)
	}
	if len(tool.FullInputSchema) <= 4*MaxListedSchema {
		t.Errorf("FullInputSchema has %d bytes: the test document is not huge enough", len(tool.FullInputSchema))
	}
	checkSchema(t, "listed input", tool.InputSchema)
	checkSchema(t, "listed output", tool.OutputSchema)
	checkSchema(t, "full input", tool.FullInputSchema)
	checkPropertyKeys(t, *tool)

	var listed struct {
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	if err := json.Unmarshal(tool.InputSchema, &listed); err != nil {
		t.Fatal(err)
	}
	want := []string{"filter.kind", "name", "config", "tree"}
	if !slices.Equal(listed.Required, want) {
		t.Errorf("listed required = %q, want %q", listed.Required, want)
	}
	for _, r := range want {
		if listed.Properties[r] == nil {
			t.Errorf("required property %q was dropped from the listed schema", r)
		}
	}
	if d, _ := listed.Properties["filter.kind"]["description"].(string); !strings.HasSuffix(d, `(sent as "filter[kind]")`) {
		t.Errorf("filter.kind description = %q, want it to end with its sent-as note", d)
	}
	if strings.Contains(string(tool.InputSchema), `"l8"`) {
		t.Errorf("listed InputSchema still has the deepest levels")
	}

	// Validation uses the whole schema: a wrong leaf deep inside config,
	// which the listed schema no longer shows, is still rejected.
	args := validHugeArgs()
	if problems := tool.Validate(args); problems != nil {
		t.Fatalf("Validate(valid arguments) = %q", problems)
	}
	args["config"].(map[string]any)["l2"] = map[string]any{"leaf": "NOT_A_VALUE"}
	problems := tool.Validate(args)
	wantProblem := "config.l2.leaf: must be one of"
	if len(problems) != 1 || !strings.HasPrefix(problems[0], wantProblem) {
		t.Errorf("Validate(wrong nested leaf) = %q, want one problem starting %q", problems, wantProblem)
	}

	// The same document gives the same listed schema.
	if again := loadToolData(t, hugeDoc(200), "createThing"); string(again.InputSchema) != string(tool.InputSchema) {
		t.Error("compacting the same schema twice gave different results")
	}
}

func validHugeArgs() map[string]any {
	return map[string]any{
		"filter.kind": "a",
		"name":        "n",
		"config":      map[string]any{"leaf": "VALUE_NUMBER_03"},
		"tree":        map[string]any{"label": "root", "children": []any{map[string]any{"label": "kid"}}},
	}
}

// TestCompactOrder checks that the steps are taken in order and only while
// needed: a schema that fits once its nested descriptions are cut keeps its
// examples, defaults and nesting.
func TestCompactOrder(t *testing.T) {
	long := strings.Repeat("x", 400)
	leaf := func(i int) string {
		return fmt.Sprintf(`"p%d":{"type":"object","properties":{"inner":{"type":"string","description":%q,"examples":["e"],"default":"d"}}}`, i, long)
	}
	var props []string
	for i := range 45 {
		props = append(props, leaf(i))
	}
	doc := `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/x":{"post":{"operationId":"x",
	 "requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{` + strings.Join(props, ",") + `}}}}},"responses":{}}}}}`
	tool := loadToolData(t, []byte(doc), "x")
	if tool.FullInputSchema == nil {
		t.Fatalf("schema of %d bytes was not trimmed", len(tool.InputSchema))
	}
	s := string(tool.InputSchema)
	if listedSize(tool.InputSchema) > MaxListedSchema {
		t.Errorf("listed schema has %d bytes", listedSize(tool.InputSchema))
	}
	if !strings.Contains(s, `"examples":["e"]`) || !strings.Contains(s, `"default":"d"`) || !strings.Contains(s, `"inner"`) {
		t.Errorf("step 1 was enough, but later steps ran: %s", s[:min(len(s), 400)])
	}
	if !strings.Contains(s, strings.Repeat("x", 99)+"…") {
		t.Errorf("nested descriptions were not cut to 100 characters: %s", s[:min(len(s), 400)])
	}
}

// TestCompactKeepsDefsConsistent: every $ref of a trimmed schema resolves,
// and definitions nothing refers to any more are gone.
func TestCompactKeepsDefsConsistent(t *testing.T) {
	tool := loadToolData(t, hugeDoc(200), "createThing")
	var full, listed map[string]any
	_ = json.Unmarshal(tool.FullInputSchema, &full)
	_ = json.Unmarshal(tool.InputSchema, &listed)
	if _, ok := full["$defs"].(map[string]any)["Node"]; !ok {
		t.Fatalf("full schema has no $defs/Node: the test needs a recursive definition")
	}
	refs := map[string]bool{}
	collectRefs(listed, refs)
	defs, _ := listed["$defs"].(map[string]any)
	for r := range refs {
		if _, ok := defs[strings.TrimPrefix(r, "#/$defs/")]; !ok {
			t.Errorf("listed schema refers to %s, which it does not define", r)
		}
	}
	for name := range defs {
		if !refs["#/$defs/"+name] {
			t.Errorf("listed schema keeps $defs/%s, which nothing refers to", name)
		}
	}
}

func collectRefs(v any, refs map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "$ref" {
				refs[s] = true
			}
			collectRefs(e, refs)
		}
	case []any:
		for _, e := range v {
			collectRefs(e, refs)
		}
	}
}

// TestCompactLastResort: so many optional properties that even their
// {type, description} forms are too large; optional ones are left out, the
// required ones all stay.
func TestCompactLastResort(t *testing.T) {
	tool := loadToolData(t, hugeDoc(1500), "createThing")
	if n := listedSize(tool.InputSchema); n > MaxListedSchema {
		t.Errorf("listed InputSchema has %d bytes, want at most %d", n, MaxListedSchema)
	}
	checkSchema(t, "listed input", tool.InputSchema)
	var listed struct {
		Properties map[string]any `json:"properties"`
	}
	_ = json.Unmarshal(tool.InputSchema, &listed)
	for _, r := range []string{"filter.kind", "name", "config", "tree"} {
		if listed.Properties[r] == nil {
			t.Errorf("required property %q was dropped", r)
		}
	}
	if listed.Properties["opt000"] == nil || listed.Properties["opt1499"] != nil {
		t.Errorf("optional properties should be left out last first; opt000 listed: %v, opt1499 listed: %v",
			listed.Properties["opt000"] != nil, listed.Properties["opt1499"] != nil)
	}
	if problems := tool.Validate(map[string]any{"filter.kind": "a", "name": "n", "config": map[string]any{"leaf": "VALUE_NUMBER_03"}, "tree": map[string]any{}, "opt1499": "NOPE"}); len(problems) != 1 || !strings.HasPrefix(problems[0], "opt1499: must be one of") {
		t.Errorf("Validate(bad unlisted optional) = %q, want one problem about opt1499", problems)
	}
}

func TestVisibleSize(t *testing.T) {
	tool := Tool{Name: "n", Description: "a<b", InputSchema: json.RawMessage(`{"type":"object", "properties":{}}`), Annotations: Annotations{ReadOnly: true}}
	want := `{"name":"n","description":"a\u003cb","inputSchema":{"type":"object","properties":{}},"annotations":{"readOnlyHint":true,"destructiveHint":false,"idempotentHint":false}}`
	if got := tool.VisibleSize(); got != len(want) {
		t.Errorf("VisibleSize() = %d, want %d (%s)", got, len(want), want)
	}
	tool.Title = "T"
	if got := tool.VisibleSize(); got != len(want)+len(`"title":"T",`) {
		t.Errorf("VisibleSize() with a title = %d, want %d", got, len(want)+len(`"title":"T",`))
	}
}
