package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/jfnhq/jfn/internal/corpustest"
)

// corpusTimeLimit bounds the time Load may take on one document. Generous:
// the largest documents load in well under a second on a developer machine.
const corpusTimeLimit = 20 * time.Second

// minConverted is the share of a document's operations that must become
// tools.
const minConverted = 0.95

type corpusDoc struct {
	file       string
	version    string
	operations int
	features   []string
}

func readManifest(t testing.TB, c *corpustest.Corpus) []corpusDoc {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.Dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("corpus manifest: %v", err)
	}
	var docs []corpusDoc
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 0 || line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 9 {
			t.Fatalf("manifest line %d: %d fields", i+1, len(f))
		}
		ops, err := strconv.Atoi(f[6])
		if err != nil {
			t.Fatalf("manifest line %d: operations %q: %v", i+1, f[6], err)
		}
		docs = append(docs, corpusDoc{file: f[0], version: f[3], operations: ops, features: strings.Split(f[8], ",")})
	}
	if len(docs) == 0 {
		t.Fatal("corpus manifest lists no document")
	}
	return docs
}

// TestCorpus loads every document of the corpus (the whole one beside the repository, else
// the vendored subset) and checks the invariants every tool must hold, whatever the document
// looks like.
func TestCorpus(t *testing.T) {
	corpus := corpustest.Find(t)
	docs := readManifest(t, corpus)
	var totalOps, totalTools, totalSkipped, totalRenamed, totalRefused int
	var trimmedIn, trimmedOut, largestListed int
	var largestFull struct {
		name string
		size int
	}
	type timing struct {
		file string
		d    time.Duration
	}
	var timings []timing
	for _, doc := range docs {
		t.Run(doc.file, func(t *testing.T) {
			data := corpus.Read(t, doc.file)
			start := time.Now()
			spec, err := loadWithin(data, corpusTimeLimit)
			elapsed := time.Since(start)
			timings = append(timings, timing{doc.file, elapsed})
			if err != nil {
				t.Fatalf("Load(%s) = %v, want a spec", doc.file, err)
			}
			tools, skipped := spec.Tools(), spec.Skipped()
			totalOps += doc.operations
			totalTools += len(tools)
			totalSkipped += len(skipped)
			t.Logf("%s: %d operations, %d tools, %d skipped, %v", doc.file, doc.operations, len(tools), len(skipped), elapsed.Round(time.Millisecond))
			for _, s := range skipped {
				t.Logf("  skipped %s: %s", s.Operation, s.Reason)
			}
			checkTools(t, tools)
			renamed, refused := 0, 0
			for _, tool := range tools {
				r, f := renamedProperties(&tool)
				renamed, refused = renamed+r, refused+f
			}
			totalRenamed, totalRefused = totalRenamed+renamed, totalRefused+refused
			if renamed > 0 {
				t.Logf("  %d input properties renamed (%d written as no client accepts, the others clashed)", renamed, refused)
			}
			for _, tool := range tools {
				in, out := listedSize(tool.InputSchema), listedSize(tool.OutputSchema)
				if in > MaxListedSchema || out > MaxListedSchema {
					t.Errorf("%s: listed schemas of %d and %d bytes, want at most %d", tool.Name, in, out, MaxListedSchema)
				}
				largestListed = max(largestListed, in, out)
				if tool.FullInputSchema != nil {
					trimmedIn++
					if len(tool.FullInputSchema) > largestFull.size {
						largestFull.name, largestFull.size = doc.file+" "+tool.Name, len(tool.FullInputSchema)
					}
					checkSchema(t, tool.Name+" full input", tool.FullInputSchema)
				}
				if tool.outputTrimmed {
					trimmedOut++
				}
			}
			if len(specBuilderDrops(spec)) > 0 {
				t.Errorf("output schemas dropped: %v", specBuilderDrops(spec))
			}

			// External references are never followed (by design: they would
			// let a document read files or reach URLs). Operations that
			// cannot be understood without one are reported, and do not
			// count against the document; only multi-file documents of the
			// corpus have them.
			external, externalItems := 0, 0
			for _, s := range skipped {
				if !strings.Contains(s.Reason, "external") {
					continue
				}
				if !slices.Contains(doc.features, "ext-ref") && !slices.Contains(doc.features, "ext-pathitem-ref") {
					t.Errorf("skipped %s for an external reference, but the manifest lists none: %s", s.Operation, s.Reason)
				}
				if strings.Contains(s.Operation, " ") {
					external++ // an operation
				} else {
					externalItems++ // a whole path item
				}
			}
			if slices.Contains(doc.features, "ext-pathitem-ref") && externalItems == 0 {
				t.Errorf("document has path items in other files, but none was reported as skipped")
			}
			local := localOperations(t, data)
			if !slices.Contains(doc.features, "ext-pathitem-ref") && local != doc.operations {
				t.Errorf("counted %d operations, the manifest says %d", local, doc.operations)
			}
			want := local - external
			if external > 0 {
				t.Logf("  %d operations need another file (external $ref, never followed); %d of the other %d became tools", external, len(tools), want)
			}
			if want > 0 && float64(len(tools)) < minConverted*float64(want) {
				t.Errorf("%d tools of %d operations (%.1f%%), want at least %.0f%%",
					len(tools), want, 100*float64(len(tools))/float64(want), 100*minConverted)
			}
		})
	}
	slices.SortFunc(timings, func(a, b timing) int { return int(b.d - a.d) })
	for _, tm := range timings[:min(5, len(timings))] {
		t.Logf("slowest: %s %v", tm.file, tm.d.Round(time.Millisecond))
	}
	t.Logf("total: %d documents, %d operations, %d tools, %d skipped (%.1f%% converted)",
		len(docs), totalOps, totalTools, totalSkipped, 100*float64(totalTools)/float64(max(totalOps, 1)))
	t.Logf("total: %d input and %d output schemas trimmed for listing; largest listed %d bytes (limit %d); largest whole input schema %d bytes (%s)",
		trimmedIn, trimmedOut, largestListed, MaxListedSchema, largestFull.size, largestFull.name)
	t.Logf("total: %d input properties renamed, %d of them written as no client accepts (every listed name matches %s)",
		totalRenamed, totalRefused, validPropertyName)
}

// loadWithin runs Load and fails when it takes longer than limit.
func loadWithin(data []byte, limit time.Duration) (*Spec, error) {
	type result struct {
		spec *Spec
		err  error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Load(data)
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.spec, r.err
	case <-time.After(limit):
		return nil, fmt.Errorf("Load took longer than %v", limit)
	}
}

// checkTools asserts the invariants of every tool of one document.
func checkTools(t *testing.T, tools []Tool) {
	t.Helper()
	names := map[string]bool{}
	for _, tool := range tools {
		if !validToolName.MatchString(tool.Name) {
			t.Errorf("tool name %q does not match ^[A-Za-z0-9_-]{1,64}$", tool.Name)
		}
		if names[tool.Name] {
			t.Errorf("tool name %q is not unique", tool.Name)
		}
		names[tool.Name] = true
		if strings.TrimSpace(tool.Description) == "" {
			t.Errorf("%s: empty description", tool.Name)
		}
		if n := len([]rune(tool.Description)); n > maxDescription {
			t.Errorf("%s: description has %d characters, want at most %d", tool.Name, n, maxDescription)
		}
		checkSchema(t, tool.Name+" input", tool.InputSchema)
		checkPropertyKeys(t, tool)
		if tool.OutputSchema != nil {
			checkSchema(t, tool.Name+" output", tool.OutputSchema)
		}
	}
}

// checkPropertyKeys asserts that every top-level input property name is one
// every client accepts (the Anthropic Messages API refuses the others).
func checkPropertyKeys(t *testing.T, tool Tool) {
	t.Helper()
	var root struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(tool.InputSchema, &root); err != nil {
		t.Errorf("%s input: %v", tool.Name, err)
		return
	}
	for name := range root.Properties {
		if !validPropertyName.MatchString(name) {
			t.Errorf("%s: input property %q does not match %s", tool.Name, name, validPropertyName)
		}
	}
}

// renamedProperties counts the tool's arguments listed under another name
// than the one they are sent as: all of them, and those whose name as
// written is not one clients accept.
func renamedProperties(tool *Tool) (renamed, refused int) {
	count := func(arg, name string) {
		if arg != name {
			renamed++
		}
		if !validPropertyName.MatchString(name) {
			refused++
		}
	}
	for _, p := range tool.bind.params {
		count(p.arg, p.name)
	}
	if tool.bind.body != nil {
		for _, n := range tool.bind.body.names {
			count(n[0], n[1])
		}
	}
	return renamed, refused
}

// checkSchema asserts what MCP clients require of a tool schema, and that
// it compiles as JSON Schema 2020-12 with a fresh compiler.
func checkSchema(t *testing.T, what string, raw json.RawMessage) {
	t.Helper()
	if !json.Valid(raw) {
		t.Errorf("%s: not valid JSON", what)
		return
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Errorf("%s: not an object: %v", what, err)
		return
	}
	if root["type"] != "object" {
		t.Errorf("%s: root type = %v, want \"object\"", what, root["type"])
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		if _, ok := root[k]; ok {
			t.Errorf("%s: %s at the root", what, k)
		}
	}
	if p := badProperties(root, ""); p != "" {
		t.Errorf("%s: properties value at %s is not an object", what, p)
	}
	if p := schemaKeysInExamples(root, ""); p != "" {
		t.Errorf("%s: example at %s carries a schema keyword", what, p)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err == nil {
		err = c.AddResource("mem:///check.json", doc)
	}
	if err == nil {
		_, err = c.Compile("mem:///check.json")
	}
	if err != nil {
		t.Errorf("%s: does not compile as JSON Schema 2020-12: %v", what, err)
	}
}

// badProperties returns the location of a `properties` value that is not an
// object, "" when there is none. It walks schema keywords only, so that a
// property named "properties" is not mistaken for the keyword.
func badProperties(v any, at string) string {
	s, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range []string{"properties", "patternProperties", "$defs", "dependentSchemas"} {
		m, ok := s[k].(map[string]any)
		if !ok {
			continue
		}
		for name, p := range m {
			if _, ok := p.(map[string]any); !ok && k == "properties" {
				return at + "/properties/" + name
			}
			if r := badProperties(p, at+"/"+k+"/"+name); r != "" {
				return r
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedProperties", "unevaluatedItems", "contentSchema"} {
		if r := badProperties(s[k], at+"/"+k); r != "" {
			return r
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf", "prefixItems"} {
		a, _ := s[k].([]any)
		for i, e := range a {
			if r := badProperties(e, at+"/"+k+"/"+strconv.Itoa(i)); r != "" {
				return r
			}
		}
	}
	return ""
}

func schemaKeysInExamples(v any, at string) string {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "examples" || k == "default" || k == "const" || k == "enum" {
				tree, _ := toTree(e)
				if hasSchemaKeys(tree) {
					return at + "/" + k
				}
				continue
			}
			if p := schemaKeysInExamples(e, at+"/"+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range v {
			if p := schemaKeysInExamples(e, at+"/"+strconv.Itoa(i)); p != "" {
				return p
			}
		}
	}
	return ""
}

func specBuilderDrops(s *Spec) []string { return s.outputDropped }

// localOperations counts the operations of the path items that are in the
// document itself (not behind an external $ref).
func localOperations(t *testing.T, data []byte) int {
	t.Helper()
	root, _, _, err := parseDocument(data)
	if err != nil {
		t.Fatalf("parseDocument: %v", err)
	}
	n := 0
	paths, _ := resolveObject(root, root.val("paths"))
	for i, p := range paths.keysOrEmpty() {
		if strings.HasPrefix(p, "x-") || p == "" {
			continue
		}
		item, err := resolveObject(root, paths.vals[i])
		if err != nil {
			continue
		}
		for _, m := range methodOrder {
			if item.obj(strings.ToLower(m)) != nil {
				n++
			}
		}
	}
	return n
}
