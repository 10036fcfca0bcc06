package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/corpustest"
	"github.com/jfnhq/jfn/openapi"
)

// toolsCLI runs 'jfn ARGS…' in-process with stdin and no store.
func toolsCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr, func(string) string { return "" })
	return cliResult{stdout.String(), stderr.String(), code}
}

// decodeTools decodes 'jfn tools --json' output and checks that every object has exactly the
// keys of the documented shape.
func decodeTools(t *testing.T, out string) catalog.Listing {
	t.Helper()
	var raw struct {
		Mode     *string                      `json:"mode"`
		Bytes    *int                         `json:"bytes"`
		Toolsets []map[string]json.RawMessage `json:"toolsets"`
		Tools    []map[string]json.RawMessage `json:"tools"`
		Skipped  []map[string]json.RawMessage `json:"skipped"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("jfn tools --json printed %q: %v", out, err)
	}
	if dec.More() {
		t.Fatalf("jfn tools --json printed more than one JSON value: %q", out)
	}
	if raw.Tools == nil || raw.Skipped == nil || raw.Toolsets == nil {
		t.Fatalf("jfn tools --json: toolsets, tools and skipped must be arrays, never null or absent: %q", out)
	}
	if raw.Mode == nil || (*raw.Mode != "all" && *raw.Mode != "search") || raw.Bytes == nil || *raw.Bytes < 0 {
		t.Fatalf("jfn tools --json: mode must be all or search and bytes a size: %q", out)
	}
	for _, ts := range raw.Toolsets {
		if len(ts) != 2 || ts["name"] == nil || ts["tools"] == nil {
			t.Errorf("toolset entry %v: want exactly name and tools", ts)
		}
	}
	allowed := []string{"name", "title", "description", "inputSchema", "outputSchema", "annotations"}
	for _, tool := range raw.Tools {
		for k := range tool {
			if !slices.Contains(allowed, k) {
				t.Errorf("tool %s has key %q, want only %v", tool["name"], k, allowed)
			}
		}
		for _, k := range []string{"name", "description", "inputSchema", "annotations"} {
			if _, ok := tool[k]; !ok {
				t.Errorf("tool %s lacks key %q", tool["name"], k)
			}
		}
		if s, ok := tool["outputSchema"]; ok && string(s) == "null" {
			t.Errorf("tool %s: outputSchema is null; it must be left out when there is none", tool["name"])
		}
	}
	for _, s := range raw.Skipped {
		if len(s) != 2 || s["operation"] == nil || s["reason"] == nil {
			t.Errorf("skipped entry %v: want exactly operation and reason", s)
		}
	}
	var got catalog.Listing
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("jfn tools --json: %v", err)
	}
	return got
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestToolsExamples(t *testing.T) {
	t.Run("balance", func(t *testing.T) {
		r := toolsCLI(t, "", "tools", "../../examples/balance/openapi.json", "--json")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("jfn tools balance --json: exit %d, stderr %q", r.code, r.stderr)
		}
		got := decodeTools(t, r.stdout)
		if len(got.Tools) != 1 || len(got.Skipped) != 0 {
			t.Fatalf("jfn tools balance: %d tools, %d skipped; want 1 and 0", len(got.Tools), len(got.Skipped))
		}
		tool := got.Tools[0]
		if tool.Name != "getBalance" || tool.Title != "Get a customer's balance" {
			t.Errorf("tool = %q titled %q, want getBalance titled \"Get a customer's balance\"", tool.Name, tool.Title)
		}
		if !strings.Contains(tool.Description, "E.164") {
			t.Errorf("description = %q, want the operation's description", tool.Description)
		}
		var in struct {
			Type       string                     `json:"type"`
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		if err := json.Unmarshal(tool.InputSchema, &in); err != nil {
			t.Fatal(err)
		}
		if in.Type != "object" || in.Properties["phone"] == nil || !slices.Equal(in.Required, []string{"phone"}) {
			t.Errorf("inputSchema = %s, want an object with required phone", tool.InputSchema)
		}
		if len(tool.OutputSchema) == 0 || !strings.Contains(string(tool.OutputSchema), `"balance"`) {
			t.Errorf("outputSchema = %s, want the Balance schema", tool.OutputSchema)
		}
		if want := (catalog.Hints{}); tool.Annotations != want {
			t.Errorf("annotations of a POST = %+v, want all false", tool.Annotations)
		}
	})

	t.Run("shop", func(t *testing.T) {
		r := toolsCLI(t, "", "--json", "tools", "../../examples/shop/openapi.json")
		if r.code != 0 {
			t.Fatalf("jfn --json tools shop: exit %d, stderr %q", r.code, r.stderr)
		}
		got := decodeTools(t, r.stdout)
		var names []string
		for _, tool := range got.Tools {
			names = append(names, tool.Name)
		}
		slices.Sort(names)
		want := []string{"createOrder", "getOrderStatus", "getProduct", "listProducts", "paymentWebhook"}
		if !slices.Equal(names, want) {
			t.Errorf("tools = %v, want %v", names, want)
		}
		if len(got.Skipped) != 1 || got.Skipped[0].Operation != "GET /events" || !strings.Contains(got.Skipped[0].Reason, "x-jelou-mcp") {
			t.Errorf("skipped = %+v, want GET /events for x-jelou-mcp: false", got.Skipped)
		}
		for _, tool := range got.Tools {
			if tool.Name == "listProducts" {
				if want := (catalog.Hints{ReadOnlyHint: true, IdempotentHint: true}); tool.Annotations != want {
					t.Errorf("listProducts annotations = %+v, want %+v", tool.Annotations, want)
				}
			}
		}

		// The same document gives the same tools as the converter itself.
		spec, err := openapi.Load(mustReadFile(t, "../../examples/shop/openapi.json"))
		if err != nil {
			t.Fatal(err)
		}
		w, err := catalog.NewListing(spec, "all", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalise(t, w), normalise(t, got)) {
			t.Errorf("jfn tools --json differs from openapi.Load's tools")
		}
	})

	t.Run("text", func(t *testing.T) {
		r := toolsCLI(t, "", "tools", "../../examples/shop/openapi.json")
		if r.code != 0 {
			t.Fatalf("jfn tools shop: exit %d, stderr %q", r.code, r.stderr)
		}
		for _, want := range []string{
			"listProducts — List products",
			"Lists the products in the catalogue",
			"Input:  category string, limit integer",
			"Output: object (products)",
			"Hints:  read-only, idempotent",
			"⚠ Skipped",
			"GET /events  marked x-jelou-mcp: false",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("jfn tools shop printed\n%s\nwant it to contain %q", r.stdout, want)
			}
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if last, want := lines[len(lines)-1], "✓ 5 tools from 6 operations (1 skipped)"; last != want {
			t.Errorf("last line = %q, want %q", last, want)
		}
		if strings.Contains(r.stdout, "\x1b[") {
			t.Errorf("jfn tools printed colour codes to a non-terminal")
		}
	})

	// The closing count is the document's, whatever a connection would list: the lines
	// above it say what is listed (three search tools here).
	t.Run("closing count in search mode", func(t *testing.T) {
		r := toolsCLI(t, "", "tools", "../../examples/shop/openapi.json", "--mode", "search")
		if r.code != 0 {
			t.Fatalf("jfn tools shop --mode search: exit %d, stderr %q", r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if last, want := lines[len(lines)-1], "✓ 5 tools from 6 operations (1 skipped)"; last != want {
			t.Errorf("last line = %q, want %q", last, want)
		}
	})
}

// normalise round-trips v through JSON so that values compare regardless of whitespace in
// raw schemas.
func normalise(t *testing.T, v catalog.Listing) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestToolsCorpus(t *testing.T) {
	corpus := corpustest.Find(t)
	tests := []struct {
		file         string
		tools        int
		skipped      int
		wantLastLine string
	}{
		{"readme-oas-examples__3.0__petstore-expanded.json", 4, 0, "✓ 4 tools from 4 operations"},
		{"readme-oas-examples__2.0__petstore-minimal.yaml", 1, 0, "✓ 1 tool from 1 operation"},
		// Webhooks only: a document with no callable operation is still a document (exit 0).
		{"readme-oas-examples__3.1__webhooks.yaml", 0, 2, "⚠ 0 tools from 2 operations (2 skipped)"},
		// Every path item is an external $ref, which is never followed: a path item skipped is
		// not counted as an operation, since its operations are unknown.
		{"go-swagger__bugs__2919__edge-api/management.yml", 0, 105, "⚠ 0 tools from 0 operations (105 path items skipped)"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			corpus.Need(t, tt.file)
			path := corpus.Path(tt.file)
			r := toolsCLI(t, "", "tools", path, "--json")
			if r.code != 0 {
				t.Fatalf("jfn tools %s --json: exit %d, stderr %q", tt.file, r.code, r.stderr)
			}
			got := decodeTools(t, r.stdout)
			if len(got.Tools) != tt.tools || len(got.Skipped) != tt.skipped {
				t.Errorf("jfn tools %s: %d tools, %d skipped; want %d and %d", tt.file, len(got.Tools), len(got.Skipped), tt.tools, tt.skipped)
			}
			for _, tool := range got.Tools {
				var in struct {
					Type string `json:"type"`
				}
				if err := json.Unmarshal(tool.InputSchema, &in); err != nil || in.Type != "object" {
					t.Errorf("tool %s: inputSchema %s is not an object schema", tool.Name, tool.InputSchema)
				}
			}
			r = toolsCLI(t, "", "tools", path)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if r.code != 0 || lines[len(lines)-1] != tt.wantLastLine {
				t.Errorf("jfn tools %s: exit %d, last line %q; want 0 and %q", tt.file, r.code, lines[len(lines)-1], tt.wantLastLine)
			}
		})
	}
}

func TestToolsExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		args    []string
		stdin   string
		code    int
		wantErr string // in the one line on stderr
	}{
		{"empty document", []string{"tools", write("empty.json", "")}, "", 1, "not an OpenAPI"},
		{"plain text", []string{"tools", write("notes.txt", "hello, world\n")}, "", 1, "not an OpenAPI"},
		{"binary garbage", []string{"tools", write("garbage.bin", "\x00\xff\xfe{{{\x01")}, "", 1, "not an OpenAPI"},
		{"JSON array", []string{"tools", write("array.json", "[1,2,3]")}, "", 1, "not an OpenAPI"},
		{"JSON without version", []string{"tools", write("plain.json", `{"name":"x"}`)}, "", 1, "not an OpenAPI"},
		{"unsupported version", []string{"tools", write("v4.yaml", "openapi: 4.0.0\npaths: {}\n")}, "", 1, "unsupported"},
		{"truncated JSON", []string{"tools", write("cut.json", `{"openapi":"3.0.0","paths":{`)}, "", 1, "not an OpenAPI"},
		{"missing file", []string{"tools", filepath.Join(dir, "nope.json")}, "", 1, "no such file"},
		{"directory", []string{"tools", dir}, "", 1, "directory"},
		{"garbage on stdin", []string{"tools", "-"}, "garbage", 1, "standard input"},
		{"empty path", []string{"tools", ""}, "", 2, "empty"},
		{"blank path", []string{"tools", "  "}, "", 2, "empty"},
		{"no argument", []string{"tools"}, "", 2, "missing FILE|URL"},
		{"two arguments", []string{"tools", "a.json", "b.json"}, "", 2, "unexpected argument"},
		{"unknown flag", []string{"tools", "a.json", "--bogus"}, "", 2, "bogus"},
		{"other URL scheme", []string{"tools", "ftp://example.com/spec.json"}, "", 2, "unsupported URL scheme"},
		{"no operations", []string{"tools", write("nopaths.yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n")}, "", 0, ""},
		{"no operations on stdin", []string{"tools", "-", "--json"}, `{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{}}`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := toolsCLI(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("jfn %q: exit %d, want %d (stderr %q)", tt.args, r.code, tt.code, r.stderr)
			}
			if tt.code == 0 {
				if r.stderr != "" {
					t.Errorf("jfn %q: stderr %q, want nothing", tt.args, r.stderr)
				}
				return
			}
			if r.stdout != "" {
				t.Errorf("jfn %q: stdout %q, want nothing on failure", tt.args, r.stdout)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("jfn %q: stderr %q, want one line containing %q", tt.args, r.stderr, tt.wantErr)
			}
		})
	}
}

func TestToolsNoOperationsJSON(t *testing.T) {
	r := toolsCLI(t, "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n", "tools", "-", "--json")
	if r.code != 0 {
		t.Fatalf("jfn tools - --json: exit %d, stderr %q", r.code, r.stderr)
	}
	want := `{"mode":"all","bytes":0,"toolsets":[],"tools":[],"skipped":[]}`
	if got := strings.Join(strings.Fields(r.stdout), ""); got != want {
		t.Errorf("jfn tools - --json = %s, want %s", got, want)
	}
}

func TestToolsURL(t *testing.T) {
	shopDoc := mustReadFile(t, "../../examples/shop/openapi.json")
	var (
		mu   sync.Mutex
		seen []*http.Request
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(shopDoc)
	})
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write([]byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n      operationId: ping\n      responses: {'204': {description: ok}}\n"))
	})
	mux.HandleFunc("GET /huge.json", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte(" "), openapi.MaxDocumentSize+1))
	})
	mux.HandleFunc("GET /html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>Not an API</title>"))
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()

	t.Run("json", func(t *testing.T) {
		r := toolsCLI(t, "", "tools", srv.URL+"/openapi.json", "--json")
		if r.code != 0 {
			t.Fatalf("jfn tools URL --json: exit %d, stderr %q", r.code, r.stderr)
		}
		fromURL := decodeTools(t, r.stdout)
		fromFile := decodeTools(t, toolsCLI(t, "", "tools", "../../examples/shop/openapi.json", "--json").stdout)
		if !reflect.DeepEqual(normalise(t, fromURL), normalise(t, fromFile)) {
			t.Errorf("jfn tools URL and jfn tools FILE differ for the same document")
		}
	})
	t.Run("yaml", func(t *testing.T) {
		r := toolsCLI(t, "", "tools", srv.URL+"/openapi.yaml")
		if r.code != 0 || !strings.Contains(r.stdout, "✓ 1 tool from 1 operation") {
			t.Fatalf("jfn tools URL: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	failures := []struct{ path, wantErr string }{
		{"/missing.json", "HTTP 404"},
		{"/huge.json", "larger than"},
		{"/html", "not an OpenAPI"},
	}
	for _, f := range failures {
		t.Run(f.path, func(t *testing.T) {
			r := toolsCLI(t, "", "tools", srv.URL+f.path)
			if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, f.wantErr) {
				t.Errorf("jfn tools %s: exit %d, stderr %q; want 1 and one line containing %q", f.path, r.code, r.stderr, f.wantErr)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		url := dead.URL + "/openapi.json"
		dead.Close()
		r := toolsCLI(t, "", "tools", url)
		if r.code != 1 || !strings.Contains(r.stderr, "cannot fetch") {
			t.Errorf("jfn tools %s: exit %d, stderr %q; want 1 and a fetch error", url, r.code, r.stderr)
		}
	})

	mu.Lock()
	defer mu.Unlock()
	for _, r := range seen {
		if r.Method != http.MethodGet || r.Header.Get("X-Jelou-Token") != "" || r.Header.Get("Authorization") != "" {
			t.Errorf("request %s %s carried credentials or was not a GET", r.Method, r.URL)
		}
	}
	if len(seen) < 5 {
		t.Errorf("the server saw %d requests, want at least 5", len(seen))
	}
}

// TestToolsModes checks --mode and --toolsets on large documents: auto lists search mode's
// three tools, and a toolset small enough lists its own tools in all mode. Each document's
// figures were counted in the document (its operations with that tag).
func TestToolsModes(t *testing.T) {
	corpus := corpustest.Find(t)
	tests := []struct {
		file     string
		toolset  string // as typed
		tag      string // as the document spells it
		tools    int    // the operations with that tag
		toolsets int    // at least this many tags
	}{
		{"apis-guru__zoom.us.json", "meetings", "Meetings", 28, 10},
		{"go-swagger__canary__kubernetes__swagger.json", "batch_v1", "batch_v1", 15, 10},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			corpus.Need(t, tt.file)
			doc := corpus.Read(t, tt.file)
			r := toolsCLI(t, string(doc), "tools", "-", "--json", "--mode", "auto")
			got := decodeTools(t, r.stdout)
			names := make([]string, len(got.Tools))
			for i, tool := range got.Tools {
				names[i] = tool.Name
			}
			if r.code != 0 || got.Mode != "search" || !slices.Equal(names, []string{"search_tools", "describe_tool", "call_tool"}) || got.Bytes > 4096 {
				t.Errorf("jfn tools %s --mode auto: exit %d, mode %s, tools %v, %d bytes; want search mode's three tools, a few KB", tt.file, r.code, got.Mode, names, got.Bytes)
			}
			if len(got.Toolsets) < tt.toolsets || got.Toolsets[0].Name == "" {
				t.Errorf("toolsets = %v, want the document's tags", got.Toolsets)
			}
			r = toolsCLI(t, string(doc), "tools", "-", "--json", "--mode", "auto", "--toolsets", tt.toolset)
			got = decodeTools(t, r.stdout)
			if r.code != 0 || got.Mode != "all" || len(got.Tools) != tt.tools || got.Bytes <= 4096 {
				t.Errorf("jfn tools %s --toolsets %s: exit %d, mode %s, %d tools, %d bytes; want all mode with the %d %s tools", tt.file, tt.toolset, r.code, got.Mode, len(got.Tools), got.Bytes, tt.tools, tt.tag)
			}
			r = toolsCLI(t, string(doc), "tools", "-", "--toolsets", "nope")
			if r.code != 2 || !strings.Contains(r.stderr, `unknown toolset "nope"`) || !strings.Contains(r.stderr, tt.tag) {
				t.Errorf("jfn tools %s --toolsets nope: exit %d, stderr %q; want 2 and the valid toolsets", tt.file, r.code, r.stderr)
			}
			if r := toolsCLI(t, string(doc), "tools", "-", "--mode", "most"); r.code != 2 {
				t.Errorf("jfn tools %s --mode most: exit %d, want 2", tt.file, r.code)
			}
		})
	}
}
