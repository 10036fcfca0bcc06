package openapi

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
		{"bad paths", `{"openapi":"3.0.0","paths":{"/a":"nope","/b":{"get":"nope"},"/c":{"get":{}},"x-ext":{}}}`, 1},
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
