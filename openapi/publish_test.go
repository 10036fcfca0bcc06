package openapi

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func publishMap(t *testing.T, raw []byte, server string, public bool) map[string]any {
	t.Helper()
	out, err := Publish(raw, server, public)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("Publish output is not JSON: %v\n%s", err, out)
	}
	return m
}

func jsonPath(m any, path ...string) any {
	for _, p := range path {
		o, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = o[p]
	}
	return m
}

func TestPublish(t *testing.T) {
	raw, err := os.ReadFile("testdata/public.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := publishMap(t, raw, "https://fn.example.com/probe", false)

	if got, want := m["servers"], []any{map[string]any{"url": "https://fn.example.com/probe"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("servers = %v, want %v", got, want)
	}
	wantScheme := map[string]any{"type": "apiKey", "in": "header", "name": "X-Jelou-Token"}
	scheme, _ := jsonPath(m, "components", "securitySchemes", "jelouToken").(map[string]any)
	for k, v := range wantScheme {
		if scheme[k] != v {
			t.Errorf("jelouToken.%s = %v, want %v", k, scheme[k], v)
		}
	}
	if jsonPath(m, "components", "securitySchemes", "bearer") == nil {
		t.Errorf("existing security scheme bearer was lost")
	}
	// Top level: the document's own requirement, plus the token.
	if got, want := m["security"], []any{map[string]any{"bearer": []any{}, "jelouToken": []any{}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("security = %v, want %v", got, want)
	}
	if got := jsonPath(m, "paths", "/webhooks/stripe", "post", "security"); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("public operation security = %v, want []", got)
	}
	if got, want := jsonPath(m, "paths", "/optional", "get", "security"), []any{map[string]any{"jelouToken": []any{}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("operation with its own requirement: security = %v, want %v", got, want)
	}
	if got := jsonPath(m, "paths", "/users/{id}", "get", "security"); got != nil {
		t.Errorf("inheriting operation got security %v, want none", got)
	}
	if m["x-vendor"] != "kept" {
		t.Errorf("x-vendor = %v, want kept (unknown fields are preserved)", m["x-vendor"])
	}
	if jsonPath(m, "info", "title") != "Public and private" {
		t.Errorf("info.title = %v", jsonPath(m, "info", "title"))
	}
}

func TestPublishPublicFunction(t *testing.T) {
	doc := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{}}}}}`
	m := publishMap(t, []byte(doc), "http://127.0.0.1:8080/f", true)
	if _, ok := m["security"]; ok {
		t.Errorf("public function: security = %v, want none", m["security"])
	}
	if jsonPath(m, "components", "securitySchemes", "jelouToken") == nil {
		t.Errorf("public function: jelouToken scheme missing")
	}
	if jsonPath(m, "paths", "/a", "get", "security") != nil {
		t.Errorf("public function: operation security added")
	}
}

func TestPublishTopLevelPublicStaysPublic(t *testing.T) {
	doc := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"security":[],"paths":{"/a":{"get":{"responses":{}}}}}`
	m := publishMap(t, []byte(doc), "http://x", false)
	if got := jsonPath(m, "paths", "/a", "get", "security"); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("operation public through top-level security: [] got %v, want []", got)
	}
	if got, want := m["security"], []any{map[string]any{"jelouToken": []any{}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("security = %v, want %v", got, want)
	}
}

// TestPublishKeepsOrder checks that the document is served as written: same
// key order, same values, nothing re-serialised through a typed model.
func TestPublishKeepsOrder(t *testing.T) {
	doc := `{"openapi":"3.1.0","info":{"version":"1","title":"t","x-z":1,"x-a":2},"paths":{"/b":{},"/a":{}},"x-big":12345678901234567890}`
	out, err := Publish([]byte(doc), "http://x", true)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	s := string(out)
	for _, want := range []string{`"info":{"version":"1","title":"t","x-z":1,"x-a":2}`, `"paths":{"/b":{},"/a":{}}`, `"x-big":12345678901234567890`} {
		if !strings.Contains(s, want) {
			t.Errorf("Publish output lacks %s:\n%s", want, s)
		}
	}
}

func TestPublishSwagger2(t *testing.T) {
	doc := `swagger: "2.0"
info: {title: t, version: "1"}
host: api.example.com
basePath: /v1
security: []
paths:
  /a:
    get:
      responses: {"200": {description: ok}}
`
	m := publishMap(t, []byte(doc), "http://x/f", false)
	if v, _ := m["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi = %v, want 3.x", m["openapi"])
	}
	if got := jsonPath(m, "paths", "/a", "get", "security"); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("2.0 top-level security: [] not kept public: %v", got)
	}
}

func TestPublishRejectsNonOpenAPI(t *testing.T) {
	for _, doc := range []string{`{"hello":"world"}`, `[1,2]`, "not: [valid", ""} {
		if _, err := Publish([]byte(doc), "http://x", false); !errors.Is(err, ErrNotOpenAPI) {
			t.Errorf("Publish(%q) error = %v, want ErrNotOpenAPI", doc, err)
		}
	}
}
