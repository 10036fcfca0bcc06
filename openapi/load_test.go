package openapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadRejects(t *testing.T) {
	deepJSON := `{"openapi":"3.0.0","x":` + strings.Repeat("[", 400) + strings.Repeat("]", 400) + `}`
	deepYAML := "openapi: 3.0.0\nx: " + strings.Repeat("[", 400) + strings.Repeat("]", 400) + "\n"
	bomb := "openapi: 3.0.0\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	// The same bomb with its anchors defined inside a complex mapping key nested past the
	// depth limit, where the expansion count used to stop and remember a count cut short
	// (the converter skips such keys), and one shallow alias to the last of them.
	hidden := "openapi: 3.0.0\ninfo: {title: t, version: '1'}\nx-b0: &b0 [x, x, x, x, x, x, x, x, x, x]\n? " + strings.Repeat("[", 253)
	for i := 1; i <= 9; i++ {
		hidden += fmt.Sprintf("&b%d [%s], ", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*b%d, ", i-1), 10), ", "))
	}
	hidden += strings.Repeat("]", 253) + " : z\nx-use: *b9\n"
	tests := []struct {
		name, doc string
	}{
		{"empty", ""},
		{"not an object", `[1, 2]`},
		{"no version", `{"info": {"title": "x"}, "paths": {}}`},
		{"other version", `{"openapi": "4.0.0", "paths": {}}`},
		{"swagger 1.2", `{"swagger": "1.2"}`},
		{"broken JSON and YAML", `{"openapi": "3.0.0",`},
		{"too deep (JSON)", deepJSON},
		{"too deep (YAML)", deepYAML},
		{"alias bomb", bomb},
		{"alias bomb with anchors past the depth limit", hidden},
		{"recursive alias", "openapi: 3.0.0\nx: &x {a: *x}\n"},
		{"too large", `{"openapi":"3.0.0","x":"` + strings.Repeat("a", MaxDocumentSize) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			spec, err := Load([]byte(tt.doc))
			if !errors.Is(err, ErrNotOpenAPI) {
				t.Errorf("Load = %v, %v; want an error wrapping ErrNotOpenAPI", spec, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Load took %v", d)
			}
		})
	}
}

func TestLoadAccepts(t *testing.T) {
	tests := []struct {
		name, doc string
		tools     int
	}{
		{"no paths", `{"openapi":"3.1.0","info":{"title":"t","version":"1"}}`, 0},
		{"unquoted version and integer codes", "openapi: 3.0\ninfo: {title: t, version: 1}\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n          content:\n            application/json:\n              schema: {type: object, properties: {a: {type: string}}}\n", 1},
		{"duplicate keys", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get: {operationId: first}\n    get: {operationId: second}\n", 1},
		{"byte order mark", "\xef\xbb\xbf{\"openapi\":\"3.0.0\",\"paths\":{\"/a\":{\"get\":{}}}}", 1},
		{"JSON with YAML syntax", "{openapi: 3.0.0, paths: {/a: {get: {}}}}", 1},
		{"bad paths", `{"openapi":"3.0.0","paths":{"/a":"nope","/b":{"get":"nope"},"/c":{"get":{}},"x-ext":{"get":{}}}}`, 1},
		{"path without a slash", `{"openapi":"3.0.0","paths":{"users/{id}":{"get":{}}}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := Load([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := len(spec.Tools()); got != tt.tools {
				t.Errorf("Load gave %d tools, want %d (skipped: %v)", got, tt.tools, spec.Skipped())
			}
			checkTools(t, spec.Tools())
		})
	}
	spec, _ := Load([]byte("openapi: 3.0.0\npaths:\n  /a:\n    get: {operationId: first}\n    get: {operationId: second}\n"))
	if tools := spec.Tools(); len(tools) != 1 || tools[0].Name != "second" {
		t.Errorf("duplicate key: tools %v, want the last one (second)", tools)
	}
}

// TestLoadNeverFollowsExternalRefs checks that an untrusted document cannot
// make the gateway read a file or call a URL.
func TestLoadNeverFollowsExternalRefs(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"type":"object","properties":{"LEAKED":{"type":"string"}}}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.json")
	if err := os.WriteFile(secret, []byte(`{"type":"object","properties":{"LEAKED":{"type":"string"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{
	  "/a":{"post":{"operationId":"a","requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{
	    "http":{"$ref":"` + srv.URL + `/schema.json"},
	    "file":{"$ref":"file://` + secret + `"},
	    "rel":{"$ref":"` + secret + `#/properties"}}}}}},"responses":{}}},
	  "/b":{"$ref":"` + srv.URL + `/paths.json"},
	  "/c":{"get":{"operationId":"c","parameters":[{"$ref":"` + secret + `"}],"responses":{}}}}}`
	for _, load := range []func() ([]byte, error){
		func() ([]byte, error) {
			spec, err := Load([]byte(doc))
			if err != nil {
				return nil, err
			}
			var all []byte
			for _, tool := range spec.Tools() {
				all = append(all, tool.InputSchema...)
			}
			if len(spec.Tools()) != 1 || len(spec.Skipped()) != 2 {
				t.Errorf("tools %d, skipped %v; want tool a, and /b and GET /c skipped", len(spec.Tools()), spec.Skipped())
			}
			return all, nil
		},
		func() ([]byte, error) { return Publish([]byte(doc), "http://x", false) },
	} {
		out, err := load()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, []byte("LEAKED")) {
			t.Errorf("external content leaked into the output")
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the document's URLs were fetched %d times, want never", n)
	}
}

// TestLoadAdversarialSchemas checks documents built so that a naive
// conversion multiplies: they must load quickly and give valid tools.
func TestLoadAdversarialSchemas(t *testing.T) {
	var dag, oneOf, allOf strings.Builder
	const levels = 40
	for i := 0; i < levels; i++ {
		next := fmt.Sprintf(`{"$ref":"#/components/schemas/S%d"}`, i+1)
		fmt.Fprintf(&dag, `"S%d":{"type":"object","properties":{"a":%s,"b":%s,"c":{"type":"array","items":%s}}},`, i, next, next, next)
		fmt.Fprintf(&oneOf, `"S%d":{"oneOf":[%s,%s,%s,{"type":"object","properties":{"p%d":{"type":"string"}}}]},`, i, next, next, next, i)
		fmt.Fprintf(&allOf, `"S%d":{"allOf":[%s,%s,{"type":"object","required":["q%d"],"properties":{"q%d":{"type":"string"}}}]},`, i, next, next, i, i)
	}
	end := fmt.Sprintf(`"S%d":{"type":"string"}`, levels)
	yamlAliases := "openapi: 3.0.0\ninfo: {title: t, version: '1'}\nx-a: &a {type: object, properties: {v: {type: string}}}\n"
	prev := "a"
	for i := 0; i < 11; i++ {
		n := fmt.Sprintf("n%d", i)
		yamlAliases += fmt.Sprintf("x-%s: &%s {type: object, properties: {l: *%s, r: *%s}}\n", n, n, prev, prev)
		prev = n
	}
	yamlAliases += "paths:\n"
	for i := 0; i < 50; i++ {
		yamlAliases += fmt.Sprintf("  /p%d:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: *%s\n", i, prev)
	}
	for name, doc := range map[string]string{
		"DAG of references": dag.String() + end,
		"nested oneOf":      oneOf.String() + end,
		"nested allOf":      allOf.String() + end,
	} {
		full := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/x":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/S0"}}}},"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/S0"}}}}}}}},"components":{"schemas":{` + doc + `}}}`
		t.Run(name, func(t *testing.T) { loadQuickly(t, []byte(full)) })
	}
	t.Run("YAML aliases", func(t *testing.T) { loadQuickly(t, []byte(yamlAliases)) })
}

func loadQuickly(t *testing.T, doc []byte) {
	t.Helper()
	start := time.Now()
	spec, err := loadWithin(doc, 20*time.Second)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	d := time.Since(start)
	if d > 5*time.Second {
		t.Errorf("Load took %v", d)
	}
	for _, tool := range spec.Tools() {
		// Not checkTools: compiling each huge schema on its own is exactly
		// the quadratic work Load avoids.
		if !strings.HasPrefix(string(tool.InputSchema), `{"type":"object"`) {
			t.Errorf("%s: input schema %.100s", tool.Name, tool.InputSchema)
		}
		_ = tool.Validate(map[string]any{})
	}
	t.Logf("%d tools, %d skipped, loaded in %v", len(spec.Tools()), len(spec.Skipped()), d)
}

func TestLoadSwagger2BadTopLevel(t *testing.T) {
	doc := `{"swagger":"2.0","info":"not an object","host":42,"tags":"x","paths":{"/a":{"get":{"operationId":"a","responses":{"200":{"description":"ok"}}}}}}`
	spec, err := Load([]byte(doc))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(spec.Tools()) != 1 {
		t.Errorf("tools = %d, want 1 (skipped: %v)", len(spec.Tools()), spec.Skipped())
	}
}

func TestToolsets(t *testing.T) {
	doc := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{
	"/a":{"get":{"operationId":"a","tags":["Pull Requests","issues","issues",7,""],"responses":{}}},
	"/b":{"get":{"operationId":"b","responses":{}}},
	"/c":{"get":{"operationId":"c","tags":["!!!"],"responses":{}}}}}`
	spec, err := Load([]byte(doc))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := map[string][2][]string{
		"a": {{"Pull Requests", "issues"}, {"Pull_Requests", "issues"}},
		"b": {nil, {"untagged"}},
		"c": {{"!!!"}, {"untagged"}},
	}
	for _, tool := range spec.Tools() {
		w := want[tool.Name]
		if !slices.Equal(tool.Tags, w[0]) || !slices.Equal(tool.Toolsets, w[1]) {
			t.Errorf("tool %s: Tags %q, Toolsets %q; want %q and %q", tool.Name, tool.Tags, tool.Toolsets, w[0], w[1])
		}
	}
}
