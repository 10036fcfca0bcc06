package catalog

import (
	"encoding/json"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/jfnhq/jfn/openapi"
)

// DocFromTool returns what the index reads of t: its texts; its parameters from the
// top-level properties of its (full, untrimmed) input schema, by name, with their
// descriptions; the properties nested one or two levels inside them (a request body's
// "spec.replicas"); and the enum values of its input ("end", "recover").
func DocFromTool(t openapi.Tool) Doc {
	schema := t.InputSchema
	if t.FullInputSchema != nil {
		schema = t.FullInputSchema // the listed one may have lost its descriptions to trimming
	}
	d := Doc{
		Name:        t.Name,
		Title:       t.Title,
		Description: t.Description,
		Tags:        t.Tags,
		Method:      t.Method,
		Path:        t.Path,
	}
	// One decoding serves the parameters and what lies under them.
	var in any
	if json.Unmarshal(schema, &in) == nil {
		w := schemaWalker{fields: &d.Fields, values: &d.Values}
		if props, ok := object(in)["properties"].(map[string]any); ok {
			for _, name := range sortedKeys(props) {
				desc, _ := object(props[name])["description"].(string)
				d.Params = append(d.Params, Param{Name: name, Description: desc})
				w.walk(props[name], 0, maxInputDepth)
			}
		}
	}
	return d
}

const (
	// maxInputDepth is how deep under a top-level parameter the input's properties are read:
	// "spec" is a parameter, "spec.replicas" and "spec.template.metadata" are read.
	maxInputDepth = 2
	// maxSchemaNames bounds the property names read from one schema, maxSchemaValues its enum
	// values, so that a huge schema does not make a huge document.
	maxSchemaNames  = 200
	maxSchemaValues = 100
	// maxSchemaText bounds one value or nested description.
	maxSchemaText = 200
)

// schemaWalker collects property names (with their descriptions) and enum values from a JSON
// schema, through arrays and oneOf/anyOf/allOf, down to a depth.
type schemaWalker struct {
	fields *[]Param
	values *[]string
	nodes  int
}

// maxSchemaNodes bounds the schema nodes visited.
const maxSchemaNodes = 2000

func (w *schemaWalker) walk(schema any, depth, maxDepth int) {
	s := object(schema)
	if s == nil || w.nodes >= maxSchemaNodes {
		return
	}
	w.nodes++
	if w.values != nil {
		if enum, ok := s["enum"].([]any); ok {
			for _, v := range enum {
				if str, ok := v.(string); ok && len(*w.values) < maxSchemaValues {
					*w.values = append(*w.values, cut(str, maxSchemaText))
				}
			}
		}
		if str, ok := s["const"].(string); ok && len(*w.values) < maxSchemaValues {
			*w.values = append(*w.values, cut(str, maxSchemaText))
		}
	}
	w.walk(s["items"], depth, maxDepth)
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		if alts, ok := s[k].([]any); ok {
			for _, a := range alts {
				w.walk(a, depth, maxDepth)
			}
		}
	}
	props, ok := s["properties"].(map[string]any)
	if !ok || depth >= maxDepth {
		return
	}
	for _, name := range sortedKeys(props) {
		if w.fields != nil && len(*w.fields) < maxSchemaNames {
			desc, _ := object(props[name])["description"].(string)
			*w.fields = append(*w.fields, Param{Name: name, Description: cut(firstSentence(oneLine(desc)), maxSchemaText)})
		}
		w.walk(props[name], depth+1, maxDepth)
	}
}

func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxSummary is the length of a summary in characters.
const maxSummary = 200

// Summary is d's one-line summary for search results: its title, else the first sentence of
// its description, else "METHOD path"; white space collapsed and at most 200 characters (cut
// with "…").
func Summary(d Doc) string {
	s := oneLine(d.Title)
	if s == "" {
		s = firstSentence(oneLine(d.Description))
	}
	if s == "" {
		s = strings.TrimSpace(strings.ToUpper(d.Method) + " " + d.Path)
	}
	if utf8.RuneCountInString(s) > maxSummary {
		r := []rune(s)
		s = strings.TrimRight(string(r[:maxSummary-1]), " ") + "…"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// firstSentence returns s up to and including the first full stop, question or exclamation
// mark that a space follows, or all of s.
func firstSentence(s string) string {
	for i := 0; i < len(s)-1; i++ {
		switch s[i] {
		case '.', '!', '?':
			if s[i+1] == ' ' {
				return s[:i+1]
			}
		}
	}
	return s
}

// Docs returns DocFromTool of every tool, in order. Reading a tool decodes its input schema,
// which on a large document is most of the work, so the tools are shared among GOMAXPROCS
// workers.
func Docs(tools []openapi.Tool) []Doc {
	docs := make([]Doc, len(tools))
	workers := min(runtime.GOMAXPROCS(0), len(tools)/64+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(tools); i += workers {
				docs[i] = DocFromTool(tools[i])
			}
		})
	}
	wg.Wait()
	return docs
}
