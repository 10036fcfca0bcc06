package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
)

// loadTool loads a document from testdata and returns one of its tools.
func loadTool(t *testing.T, file, name string) *Tool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return loadToolData(t, data, name)
}

func loadToolData(t *testing.T, data []byte, name string) *Tool {
	t.Helper()
	spec, err := Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tool, ok := spec.Tool(name)
	if !ok {
		t.Fatalf("no tool %q; skipped: %v", name, spec.Skipped())
	}
	return tool
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// received is what an upstream saw.
type received struct {
	method, requestURI, contentType string
	header                          http.Header
	body                            []byte
}

// roundTrip sends the request to a recording upstream and returns what it saw,
// so that the tests check the bytes on the wire, not only the request value.
func roundTrip(t *testing.T, tool *Tool, basePath string, args map[string]any) received {
	t.Helper()
	var got received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.requestURI, got.contentType = r.Method, r.RequestURI, r.Header.Get("Content-Type")
		got.header = r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	req, err := tool.NewRequest(context.Background(), mustURL(t, srv.URL+basePath), args)
	if err != nil {
		t.Fatalf("NewRequest(%v): %v", args, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	resp.Body.Close()
	return got
}

const filesDoc = `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{
 "/files/{name}":{"get":{"operationId":"getFile","parameters":[{"name":"name","in":"path","required":true,"schema":{"type":"string"}}],"responses":{}}},
 "/label/{id}":{"get":{"operationId":"label","parameters":[{"name":"id","in":"path","required":true,"style":"label","explode":true,"schema":{"type":"array","items":{"type":"integer"}}}],"responses":{}}},
 "/matrix/{id}":{"get":{"operationId":"matrix","parameters":[{"name":"id","in":"path","required":true,"style":"matrix","schema":{"type":"array","items":{"type":"integer"}}}],"responses":{}}}
}}`

func TestNewRequestPathStaysInsideBase(t *testing.T) {
	tool := loadToolData(t, []byte(filesDoc), "getFile")
	tests := []struct {
		value string
		want  string // request URI the upstream sees
	}{
		{"report.pdf", "/prefix/files/report.pdf"},
		{"../admin", "/prefix/files/..%2Fadmin"},
		{"../../etc/passwd", "/prefix/files/..%2F..%2Fetc%2Fpasswd"},
		{"a b?c#d%e", "/prefix/files/a%20b%3Fc%23d%25e"},
		{"%2e%2e", "/prefix/files/%252e%252e"},
		{"..\\admin", "/prefix/files/..%5Cadmin"},
	}
	for _, tt := range tests {
		got := roundTrip(t, tool, "/prefix", map[string]any{"name": tt.value})
		if got.requestURI != tt.want {
			t.Errorf("NewRequest(name=%q): upstream saw %q, want %q", tt.value, got.requestURI, tt.want)
		}
		if !strings.HasPrefix(got.requestURI, "/prefix/files/") {
			t.Errorf("NewRequest(name=%q) left the base path: %q", tt.value, got.requestURI)
		}
	}
	for _, bad := range []string{"..", ".", ""} {
		_, err := tool.NewRequest(context.Background(), mustURL(t, "http://127.0.0.1:9001/prefix"), map[string]any{"name": bad})
		if !errors.Is(err, ErrInvalidArguments) {
			t.Errorf("NewRequest(name=%q) error = %v, want ErrInvalidArguments", bad, err)
		}
	}
	if _, err := tool.NewRequest(context.Background(), mustURL(t, "http://127.0.0.1:9001/"), map[string]any{}); !errors.Is(err, ErrInvalidArguments) {
		t.Errorf("NewRequest without the path parameter: error = %v, want ErrInvalidArguments", err)
	}
}

func TestNewRequestPathStyles(t *testing.T) {
	base := mustURL(t, "http://127.0.0.1:9001")
	for name, want := range map[string]string{"label": "/label/.1.2", "matrix": "/matrix/;id=1,2"} {
		tool := loadToolData(t, []byte(filesDoc), name)
		req, err := tool.NewRequest(context.Background(), base, map[string]any{"id": []any{1, 2}})
		if err != nil {
			t.Fatalf("NewRequest(%s): %v", name, err)
		}
		if got := req.URL.EscapedPath(); got != want {
			t.Errorf("NewRequest(%s) path = %q, want %q", name, got, want)
		}
	}
}

func TestNewRequestQueryHeaderCookie(t *testing.T) {
	tool := loadTool(t, "testdata/golden/params.yaml", "search")
	got := roundTrip(t, tool, "/api/", map[string]any{
		"kind":          "a",
		"tags":          []any{"red", "blue green"},
		"ids":           []any{1, 2.0, 3},
		"filter":        map[string]any{"from": "2020", "to": "2021"},
		"where":         map[string]any{"x": 1},
		"old":           "v,1",
		"X-Request-Tag": "tag-1",
		"session":       "abc 123",
		"prefs":         []any{"dark", "compact"},
	})
	u, err := url.ParseRequestURI(got.requestURI)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/api/search/a" {
		t.Errorf("path = %q, want /api/search/a", u.Path)
	}
	wantQuery := "tags=red&tags=blue+green&ids=1%7C2%7C3&filter%5Bfrom%5D=2020&filter%5Bto%5D=2021&where=%7B%22x%22%3A1%7D&old=v%2C1"
	if u.RawQuery != wantQuery {
		t.Errorf("query = %q\nwant    %q", u.RawQuery, wantQuery)
	}
	if h := got.header.Get("X-Request-Tag"); h != "tag-1" {
		t.Errorf("header X-Request-Tag = %q, want tag-1", h)
	}
	if c := got.header.Get("Cookie"); c != "session=abc+123; prefs=dark,compact" {
		t.Errorf("Cookie = %q, want %q", c, "session=abc+123; prefs=dark,compact")
	}
	if got.method != "GET" || len(got.body) != 0 {
		t.Errorf("method %s with %d body bytes, want GET without a body", got.method, len(got.body))
	}
}

func TestNewRequestSwagger2CollectionFormat(t *testing.T) {
	tool := loadTool(t, "testdata/golden/swagger2.yaml", "getOrder")
	req, err := tool.NewRequest(context.Background(), mustURL(t, "http://h/v1"), map[string]any{
		"orderId": 7, "fields": []any{"a", "b,c"}, "expand": []any{"x", "y"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://h/v1/orders/7?fields=a,b%2Cc&expand=x&expand=y"; req.URL.String() != want {
		t.Errorf("URL = %s, want %s", req.URL, want)
	}
}

func TestNewRequestRenamedParamsAndJSONBody(t *testing.T) {
	tool := loadTool(t, "testdata/golden/collision.yaml", "updateCustomer")
	got := roundTrip(t, tool, "", map[string]any{
		"id__path":    "c/42",
		"id__query":   "k1",
		"name__query": "q",
		"X-Trace":     "t-1",
		"id":          42,
		"name":        "Ada",
		"email":       "ada@example.com",
		"extra":       true, // unknown to the schema: goes to the body
	})
	if want := "/customers/c%2F42?id=k1&name=q"; got.requestURI != want {
		t.Errorf("request URI = %q, want %q", got.requestURI, want)
	}
	if got.header.Get("X-Trace") != "t-1" {
		t.Errorf("X-Trace = %q, want t-1", got.header.Get("X-Trace"))
	}
	if got.contentType != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got.contentType)
	}
	var body map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatalf("body %q: %v", got.body, err)
	}
	want := map[string]any{"id": 42.0, "name": "Ada", "email": "ada@example.com", "extra": true}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %v, want %v", body, want)
	}
}

func TestNewRequestBodies(t *testing.T) {
	t.Run("array", func(t *testing.T) {
		tool := loadTool(t, "testdata/golden/bodies.yaml", "addTags")
		got := roundTrip(t, tool, "", map[string]any{"body": []any{"a", "b"}, "body__query": true})
		if got.requestURI != "/tags?body=true" || string(got.body) != `["a","b"]` || got.contentType != "application/json" {
			t.Errorf("got %s %s %q, want /tags?body=true application/json [\"a\",\"b\"]", got.requestURI, got.contentType, got.body)
		}
	})
	t.Run("text", func(t *testing.T) {
		tool := loadTool(t, "testdata/golden/bodies.yaml", "postNote")
		got := roundTrip(t, tool, "", map[string]any{"body": "hello\nworld"})
		if string(got.body) != "hello\nworld" || got.contentType != "text/plain" {
			t.Errorf("got %s %q, want text/plain hello\\nworld", got.contentType, got.body)
		}
	})
	t.Run("optional JSON body omitted", func(t *testing.T) {
		tool := loadTool(t, "testdata/golden/bodies.yaml", "patchVendor")
		got := roundTrip(t, tool, "", map[string]any{})
		if len(got.body) != 0 || got.contentType != "" {
			t.Errorf("got %s %q, want no body", got.contentType, got.body)
		}
		got = roundTrip(t, tool, "", map[string]any{"status": "on"})
		if string(got.body) != `{"status":"on"}` || got.contentType != "application/merge-patch+json" {
			t.Errorf("got %s %q, want application/merge-patch+json {\"status\":\"on\"}", got.contentType, got.body)
		}
	})
	t.Run("form", func(t *testing.T) {
		tool := loadTool(t, "testdata/golden/forms.yaml", "login")
		got := roundTrip(t, tool, "", map[string]any{"body": map[string]any{"user": "ada", "password": "p&ss=1", "scopes": []any{"read", "write"}}})
		if got.contentType != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", got.contentType)
		}
		if want := "password=p%26ss%3D1&scopes=read&scopes=write&user=ada"; string(got.body) != want {
			t.Errorf("body = %q, want %q", got.body, want)
		}
	})
	t.Run("multipart", func(t *testing.T) {
		tool := loadTool(t, "testdata/golden/forms.yaml", "upload")
		got := roundTrip(t, tool, "", map[string]any{
			"folder": "in box",
			"body": map[string]any{
				"file": "data:image/png;base64,iVBORw0K",
				"meta": map[string]any{"title": "logo"},
				"tags": []any{"a", "b"},
			},
		})
		if got.requestURI != "/upload/in%20box" {
			t.Errorf("request URI = %q", got.requestURI)
		}
		mt, params, err := mime.ParseMediaType(got.contentType)
		if err != nil || mt != "multipart/form-data" {
			t.Fatalf("Content-Type = %q (%v)", got.contentType, err)
		}
		r := multipart.NewReader(strings.NewReader(string(got.body)), params["boundary"])
		var parts []string
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(p)
			parts = append(parts, p.FormName()+"|"+p.FileName()+"|"+p.Header.Get("Content-Type")+"|"+string(data))
		}
		want := []string{
			"file|file|image/png|\x89PNG\r\n",
			"meta||application/json|{\"title\":\"logo\"}",
			"tags|||a",
			"tags|||b",
		}
		if !reflect.DeepEqual(parts, want) {
			t.Errorf("parts = %q\nwant    %q", parts, want)
		}
	})
}

func TestNewRequestHeaderInjection(t *testing.T) {
	tool := loadTool(t, "testdata/golden/collision.yaml", "updateCustomer")
	_, err := tool.NewRequest(context.Background(), mustURL(t, "http://h"), map[string]any{"id__path": "1", "X-Trace": "a\r\nX-Evil: 1"})
	if !errors.Is(err, ErrInvalidArguments) {
		t.Errorf("header with CRLF: error = %v, want ErrInvalidArguments", err)
	}
}

func TestArgumentPlace(t *testing.T) {
	doc := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/r/{id}":{"post":{"operationId":"op",
	"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}},
	{"name":"filter[state]","in":"query","schema":{"type":"string"}},{"name":"X-Trace","in":"header","schema":{"type":"string"}}],
	"requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"id":{"type":"string"},"a b":{"type":"string"}}}}}},
	"responses":{}}}}}`
	spec, err := Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tool := spec.Tools()[0]
	for arg, want := range map[string][2]string{
		"id__path": {"path", "id"}, "filter.state": {"query", "filter[state]"}, "X-Trace": {"header", "X-Trace"},
		"id": {"body", "id"}, "a_b": {"body", "a b"}, "nope": {"body", "nope"},
	} {
		if in, name := tool.ArgumentPlace(arg); in != want[0] || name != want[1] {
			t.Errorf("ArgumentPlace(%q) = %q, %q; want %q, %q", arg, in, name, want[0], want[1])
		}
	}
}
