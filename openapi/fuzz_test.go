package openapi

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// FuzzLoad feeds arbitrary documents to Load and Publish: they must never
// panic or hang, and what Load returns must keep the tool invariants.
//
// For a short smoke run pass -fuzzminimizetime=1x: minimising each new
// input (60 s by default) otherwise takes the whole run.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.yaml")
	files = append(files, "testdata/public.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{"openapi":"3.0.0","paths":{"/a/{b}":{"get":{"operationId":"x","parameters":[{"$ref":"#/p"}]}}},"p":{"$ref":"#/p"}}`,
		`{"swagger":"2.0","paths":{"/a":{"post":{"parameters":[{"in":"body","name":"b","schema":{"items":[{"$ref":"#/definitions/A"}]}}]}}},"definitions":{"A":{"$ref":"#/definitions/A"}}}`,
		"openapi: 3.1.0\npaths:\n  /x:\n    get:\n      responses:\n        200:\n          content:\n            application/json:\n              schema: &a {type: object, properties: {s: *a}}\n",
		`{"openapi":"3.0.0","paths":{"/{a}":{"put":{"requestBody":{"content":{"application/json":{"schema":{"oneOf":[{"$ref":"#"}]}}}}}}}}`,
		trimmedSeed(),
	} {
		f.Add([]byte(s))
	}
	panicsForTest = true
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan bool)
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				// The fuzzing engine keeps the input that crashed a worker.
				panic("Load or Publish took longer than 10s")
			}
		}()
		spec, err := Load(data)
		if err == nil {
			names := map[string]bool{}
			for _, tool := range spec.Tools() {
				if !validToolName.MatchString(tool.Name) || names[tool.Name] {
					t.Fatalf("bad or duplicate tool name %q", tool.Name)
				}
				names[tool.Name] = true
				if strings.TrimSpace(tool.Description) == "" {
					t.Fatalf("%s: empty description", tool.Name)
				}
				if !strings.HasPrefix(string(tool.InputSchema), `{"type":"object"`) {
					t.Fatalf("%s: input schema %s", tool.Name, tool.InputSchema)
				}
				if n := max(listedSize(tool.InputSchema), listedSize(tool.OutputSchema)); n > MaxListedSchema {
					t.Fatalf("%s: a listed schema has %d bytes", tool.Name, n)
				}
				var root struct {
					Properties map[string]json.RawMessage `json:"properties"`
				}
				if err := json.Unmarshal(tool.InputSchema, &root); err != nil {
					t.Fatalf("%s: input schema: %v", tool.Name, err)
				}
				for name := range root.Properties {
					if !validPropertyName.MatchString(name) {
						t.Fatalf("%s: input property %q", tool.Name, name)
					}
				}
				_ = tool.Validate(map[string]any{"a": 1})
			}
			_ = spec.IsPublic("GET", "/a/b")
		}
		_, _ = Publish(data, "http://x", false)
	})
}

// FuzzToolName checks that any operationId, method and path give a valid
// tool name, the same one every time, and that uniqueNames keeps names
// valid and distinct.
func FuzzToolName(f *testing.F) {
	f.Add("listUsers", "GET", "/users")
	f.Add("", "DELETE", "/users/{id}")
	f.Add("users.list (v2)!", "post", "/")
	f.Add(strings.Repeat("a", 80), "GET", "/x")
	f.Add("取得", "GET", "/取得/{id}")
	f.Add("_-_", "PATCH", "")
	f.Fuzz(func(t *testing.T, opID, method, path string) {
		name := toolName(opID, method, path)
		if !validToolName.MatchString(name) {
			t.Fatalf("toolName(%q, %q, %q) = %q: not a valid tool name", opID, method, path, name)
		}
		if again := toolName(opID, method, path); again != name {
			t.Fatalf("toolName is not deterministic: %q then %q", name, again)
		}
		if validToolName.MatchString(opID) && name != opID {
			t.Fatalf("toolName(%q, …) = %q, want the operationId itself", opID, name)
		}
		names := uniqueNames([]string{name, name, capName(name + "_2"), name, toolName(path, method, opID)})
		seen := map[string]bool{}
		for _, n := range names {
			if !validToolName.MatchString(n) || seen[n] {
				t.Fatalf("uniqueNames gave %q (all: %q)", n, names)
			}
			seen[n] = true
		}
	})
}

// FuzzIsPublicLookAlike checks the look-alike rule against upstream routers: a path that
// IsPublic exempts must not resolve to a protected operation once it is case-folded,
// stripped of ";…", of trailing dots and whitespace, or of a ".ext" suffix, the way
// Express, Spring, Tomcat and IIS may route it.
func FuzzIsPublicLookAlike(f *testing.F) {
	for _, seed := range [][2]string{
		{"admin", "/users/ADMIN"},
		{"admin", "/users/admin;x"},
		{"admin", "/users/admin.json"},
		{"admin", "/users/admin%20"},
		{"Admin", "/users/admin."},
		{"report.json", "/users/report"},
		{"a;b", "/users/A"},
		{"me", "/users/42"},
		{"x", "/x/Docs"},
		{"Docs", "/docs/1"},
		{"admin", "/users/adm%C4%B1n"},
		{"admin", "/users/%EF%BD%81dmin"},
		{"stats", "/users/%C5%BFtats"},
	} {
		f.Add(seed[0], seed[1])
	}
	safe := regexp.MustCompile(`^[A-Za-z0-9._;~-]{1,40}$`)
	f.Fuzz(func(t *testing.T, lit, path string) {
		if !safe.MatchString(lit) || lit == "." || lit == ".." || len(path) > 200 {
			return
		}
		litJSON, _ := json.Marshal(lit)
		l := string(litJSON[1 : len(litJSON)-1])
		doc := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"security":[{"k":[]}],"paths":{` +
			`"/users/{id}":{"get":{"security":[],"responses":{}}},` +
			`"/users/` + l + `":{"get":{"responses":{}}},` +
			`"/` + l + `/{id}":{"get":{"responses":{}}},` +
			`"/{section}/docs":{"get":{"security":[],"responses":{}}},` +
			`"/Docs/{id}":{"get":{"security":[],"responses":{}}}` +
			`},"components":{"securitySchemes":{"k":{"type":"apiKey","in":"header","name":"K"}}}}`
		spec, err := Load([]byte(doc))
		if err != nil {
			t.Fatalf("Load: %v\n%s", err, doc)
		}
		if !spec.IsPublic("GET", path) {
			return
		}
		_, segs := spec.resolve(path)
		cutLast := func(s string) string {
			if i := strings.LastIndexByte(s, '.'); i > 0 {
				return s[:i]
			}
			return s
		}
		cutFirst := func(s string) string {
			if i := strings.IndexByte(s, '.'); i > 0 {
				return s[:i]
			}
			return s
		}
		cutSemi := func(s string) string {
			if i := strings.IndexByte(s, ';'); i >= 0 {
				return s[:i]
			}
			return s
		}
		trim := func(s string) string {
			return strings.TrimRightFunc(s, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
		}
		norms := map[string]func(string) string{
			"case folding":     strings.ToLower,
			"unicode folding":  func(s string) string { return strings.ToLower(strings.ToUpper(s)) },
			"NFKC":             func(s string) string { return strings.ToLower(norm.NFKC.String(s)) },
			"';' stripping":    cutSemi,
			"trailing dots":    trim,
			"suffix stripping": cutLast,
			"all suffixes":     cutFirst,
			"all of them":      func(s string) string { return strings.ToLower(cutFirst(trim(cutSemi(s)))) },
		}
		for what, norm := range norms {
			parts := make([]string, len(segs))
			for i, s := range segs {
				parts[i] = url.PathEscape(norm(s))
			}
			q := "/" + strings.Join(parts, "/")
			routes, _ := spec.resolve(q)
			for _, r := range routes {
				if public, declared := r.public["GET"]; declared && !public {
					t.Fatalf("IsPublic(GET, %q) = true, but under %s it is %q, which routes to the protected %s (literal %q)", path, what, q, r.template, lit)
				}
			}
		}
	})
}

// FuzzPropertyName checks that any parameter or property name gives a name
// every client accepts, the same one every time, that a valid name is kept,
// and that propertyNames keeps a tool's names valid and distinct.
func FuzzPropertyName(f *testing.F) {
	for _, s := range []string{
		"filter[status]", "ids[]", "filter[a][b]", "a[b", "StartTime<", "StartTime>=",
		"Start Time", "$filter", "名前", "ñ", "", "..", "[]", "_._", "a__b", strings.Repeat("x[", 40),
	} {
		f.Add(s, "a.b")
	}
	f.Fuzz(func(t *testing.T, name, other string) {
		got := propertyName(name)
		if !validPropertyName.MatchString(got) {
			t.Fatalf("propertyName(%q) = %q: does not match %s", name, got, validPropertyName)
		}
		if again := propertyName(name); again != got {
			t.Fatalf("propertyName(%q) is not deterministic: %q then %q", name, got, again)
		}
		if validPropertyName.MatchString(name) && got != name {
			t.Fatalf("propertyName(%q) = %q, want the name as written", name, got)
		}
		entries := []propertyEntry{{name, "query"}, {other, "query"}, {name, "header"}, {got, "body"}, {other, "body"}, {got + "__query", "cookie"}}
		names := propertyNames(entries)
		seen := map[string]bool{}
		for i, n := range names {
			if !validPropertyName.MatchString(n) || seen[n] {
				t.Fatalf("propertyNames gave %q for %q (all: %q)", n, entries[i].name, names)
			}
			seen[n] = true
		}
		if again := propertyNames(entries); !slices.Equal(again, names) {
			t.Fatalf("propertyNames is not deterministic: %q then %q", names, again)
		}
	})
}

// trimmedSeed is a small document whose schemas, through YAML aliases and a recursive
// $ref, are large enough to be trimmed for listing, so that FuzzLoad reaches the trimming
// (TestTrimmedSeedIsTrimmed keeps it so).
func trimmedSeed() string {
	long := strings.Repeat("d", 120)
	return "openapi: 3.0.0\npaths:\n  /a:\n    post:\n      requestBody: {content: {application/json: {schema: &top {type: object, required: [a], properties: {" +
		"a: &d1 {type: object, properties: {x: &d0 {type: string, description: " + long + ", example: e, default: f}, y: *d0, z: *d0, w: *d0, v: *d0, u: *d0}}, " +
		"b: &d2 {type: object, description: " + long + ", properties: {a: *d1, b: *d1, c: *d1, d: *d1, e: *d1}}, " +
		"c: &d3 {type: object, properties: {a: *d2, b: *d2, c: *d2, d: *d2}}, d: *d3, e: *d3, f: {$ref: '#/components/schemas/R'}}}}}}\n" +
		"      responses: {'200': {description: ok, content: {application/json: {schema: *top}}}}\n" +
		"  /b:\n    put:\n      requestBody: {content: {application/json: {schema: {allOf: [*top, {$ref: '#/components/schemas/R'}]}}}}\n" +
		"components:\n  schemas:\n    R: {type: object, properties: {r: {$ref: '#/components/schemas/R'}, big: *d3}}\n"
}

func TestTrimmedSeedIsTrimmed(t *testing.T) {
	spec, err := Load([]byte(trimmedSeed()))
	if err != nil {
		t.Fatal(err)
	}
	trimmed := 0
	for _, tool := range spec.Tools() {
		if tool.FullInputSchema != nil || tool.outputTrimmed {
			trimmed++
		}
		if n := max(listedSize(tool.InputSchema), listedSize(tool.OutputSchema)); n > MaxListedSchema {
			t.Errorf("%s: a listed schema has %d bytes, over %d", tool.Name, n, MaxListedSchema)
		}
	}
	if trimmed == 0 {
		t.Fatalf("no tool of the seed is trimmed (tools %d, skipped %v)", len(spec.Tools()), spec.Skipped())
	}
}
