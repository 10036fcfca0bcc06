package openapi

import (
	"fmt"
	"strings"
	"testing"
)

// deepDoc is a POST whose body is chain components, each nested levels deep, each the next
// one's $ref: the emitted schema nests deeper than any one of them.
func deepDoc(chain, levels int) []byte {
	var comps []string
	for i := range chain {
		s := `{"type":"string"}`
		if i+1 < chain {
			s = fmt.Sprintf(`{"$ref":"#/components/schemas/C%d"}`, i+1)
		}
		for range levels {
			s = `{"type":"object","properties":{"n":` + s + `}}`
		}
		comps = append(comps, fmt.Sprintf(`"C%d":%s`, i, s))
	}
	return []byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/x":{"post":{"operationId":"deep",` +
		`"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/C0"}}}},"responses":{"200":{"description":"ok"}}}}},` +
		`"components":{"schemas":{` + strings.Join(comps, ",") + `}}}`)
}

// TestDeepSchemaValidates: a tool whose emitted schema nests deeper than a document may
// (here about 270 levels) still compiles on its first call and validates.
func TestDeepSchemaValidates(t *testing.T) {
	spec, err := Load(deepDoc(3, 45))
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Tools()) != 1 {
		t.Fatalf("tools = %d, skipped %v", len(spec.Tools()), spec.Skipped())
	}
	tool := spec.Tools()[0]
	if problems := tool.Validate(map[string]any{"n": map[string]any{}}); len(problems) != 0 {
		t.Errorf("Validate(valid arguments) = %v, want none", problems)
	}
	if problems := tool.Validate(map[string]any{"n": "not an object"}); len(problems) == 0 || strings.Contains(problems[0], "compiled") {
		t.Errorf("Validate(n: string) = %v, want a problem naming n", problems)
	}
}
