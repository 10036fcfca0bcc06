package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jfnhq/jfn/openapi"
)

// What people read of a catalogue: `jfn tools` and `jfn functions info` print it, and the
// web console shows it.

// Listing is what tools/list lists for a connection, with the document's toolsets and
// skipped operations: the output of `jfn tools --json`. Its keys are MCP's (camelCase), so
// that the tools read exactly as in a tools/list result.
type Listing struct {
	Mode     string            `json:"mode"`
	Bytes    int               `json:"bytes"`
	Toolsets []Toolset         `json:"toolsets"`
	Tools    []ListedTool      `json:"tools"`
	Skipped  []openapi.Skipped `json:"skipped"`

	documentTools int // all the document's tools, listed or not: Summary counts them
}

// ListedTool is one tool as MCP's tools/list shows it.
type ListedTool struct {
	Name         string          `json:"name"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Annotations  Hints           `json:"annotations"`
}

// Hints states all three hints, as the bridge does: left out, MCP's defaults would
// call every POST destructive.
type Hints struct {
	ReadOnlyHint    bool `json:"readOnlyHint"`
	DestructiveHint bool `json:"destructiveHint"`
	IdempotentHint  bool `json:"idempotentHint"`
}

// NewListing is what tools/list lists for a connection with mode and toolsets, with spec's
// toolsets and skipped operations.
func NewListing(spec *openapi.Spec, mode string, toolsets []string) (Listing, error) {
	all := spec.Tools()
	v, err := Select(all, mode, toolsets)
	if err != nil {
		return Listing{}, err
	}
	out := Listing{
		Mode: v.Mode, Bytes: v.ListedBytes(), Toolsets: Toolsets(all),
		Tools: []ListedTool{}, Skipped: spec.Skipped(), documentTools: len(all),
	}
	if out.Toolsets == nil {
		out.Toolsets = []Toolset{}
	}
	if out.Skipped == nil {
		out.Skipped = []openapi.Skipped{}
	}
	for _, t := range v.Listed(all) {
		out.Tools = append(out.Tools, ListedTool{
			Name:         t.Name,
			Title:        t.Title,
			Description:  t.Description,
			InputSchema:  t.InputSchema,
			OutputSchema: t.OutputSchema,
			Annotations:  HintsOf(t.Annotations),
		})
	}
	return out, nil
}

// DocumentTools is the number of the document's tools, listed or not.
func (l Listing) DocumentTools() int { return l.documentTools }

// Summary is the closing count of the document for people: "12 tools from 14 operations (2
// skipped)", and "J path items skipped" among the notes when whole path items could not be
// read. It counts all the document's tools, whatever the mode and toolsets list. A skipped
// entry is an operation ("GET /x", "webhook …"), or such a path item ("/x"), whose
// operations are unknown and so not counted.
func (l Listing) Summary() string {
	var ops, paths int
	for _, s := range l.Skipped {
		if strings.HasPrefix(s.Operation, "/") {
			paths++
		} else {
			ops++
		}
	}
	n := l.documentTools
	summary := countOf(n, "tool") + " from " + countOf(n+ops, "operation")
	var notes []string
	if ops > 0 {
		notes = append(notes, fmt.Sprintf("%d skipped", ops))
	}
	if paths > 0 {
		notes = append(notes, countOf(paths, "path item")+" skipped")
	}
	if len(notes) > 0 {
		summary += " (" + strings.Join(notes, ", ") + ")"
	}
	return summary
}

// countOf returns "1 tool", "2 tools".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Words renders the hints that are set: "read-only", "destructive", "idempotent".
func (h Hints) Words() []string {
	var w []string
	if h.ReadOnlyHint {
		w = append(w, "read-only")
	}
	if h.DestructiveHint {
		w = append(w, "destructive")
	}
	if h.IdempotentHint {
		w = append(w, "idempotent")
	}
	return w
}

// HintsOf states a tool's annotations as hints.
func HintsOf(a openapi.Annotations) Hints {
	return Hints{ReadOnlyHint: a.ReadOnly, DestructiveHint: a.Destructive, IdempotentHint: a.Idempotent}
}

// Describe says what /mcp lists by default with the configured mode and toolsets over tools:
// the mode (marked when auto chose it), how many tools, the size a model reads, and the
// toolsets.
func Describe(mode string, toolsets []string, tools []openapi.Tool) string {
	v := Default(tools, mode, toolsets)
	line := v.Mode
	if m, err := ParseMode(mode); err != nil || m == ModeAuto {
		line += " (auto)"
	}
	line += fmt.Sprintf(", %d of %d tools selected, %s a model reads", len(v.Selected), len(tools), SizeWords(v.ListedBytes()))
	if len(v.Toolsets) > 0 {
		line += ", toolsets " + strings.Join(v.Toolsets, ", ")
	} else {
		line += ", every toolset"
	}
	return line
}

// DescriptionLine returns the first non-empty line of a tool's description other than its
// title (descriptions start with the summary, which the preview already shows), cut to max
// runes with an ellipsis; "" when there is none.
func DescriptionLine(desc, title string, max int) string {
	for _, l := range strings.Split(desc, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == strings.TrimSpace(title) {
			continue
		}
		if r := []rune(l); len(r) > max {
			return string(r[:max-1]) + "…"
		}
		return l
	}
	return ""
}

// schemaProperty is what the preview shows of one property.
type schemaProperty struct {
	name, typ string
}

// schemaProperties returns the top-level properties of a schema in document order, and its
// required names.
func schemaProperties(schema json.RawMessage) ([]schemaProperty, map[string]bool) {
	var s struct {
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if json.Unmarshal(schema, &s) != nil {
		return nil, nil
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	var props []schemaProperty
	dec := json.NewDecoder(bytes.NewReader(s.Properties))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, required
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		name, _ := tok.(string)
		var p struct {
			Type  any             `json:"type"`
			Items json.RawMessage `json:"items"`
			Ref   string          `json:"$ref"`
		}
		if dec.Decode(&p) != nil {
			break
		}
		props = append(props, schemaProperty{name: name, typ: schemaType(p.Type, p.Items, p.Ref)})
	}
	return props, required
}

// schemaType renders a JSON Schema type: "string", "string|null", "array of integer", "any".
func schemaType(t any, items json.RawMessage, ref string) string {
	var name string
	switch t := t.(type) {
	case string:
		name = t
	case []any:
		var parts []string
		for _, p := range t {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
		name = strings.Join(parts, "|")
	}
	if name == "" && ref != "" {
		name = "object"
	}
	if name == "array" && len(items) > 0 {
		var it struct {
			Type any    `json:"type"`
			Ref  string `json:"$ref"`
		}
		if json.Unmarshal(items, &it) == nil {
			if inner := schemaType(it.Type, nil, it.Ref); inner != "any" {
				return "array of " + inner
			}
		}
	}
	if name == "" {
		return "any"
	}
	return name
}

// InputSummary lists the input properties ("phone* string, limit integer"; * marks required),
// at most max of them.
func InputSummary(schema json.RawMessage, max int) string {
	props, required := schemaProperties(schema)
	if len(props) == 0 {
		return "none"
	}
	parts := make([]string, 0, min(len(props), max)+1)
	for i, p := range props {
		if i == max {
			parts = append(parts, fmt.Sprintf("+%d more", len(props)-max))
			break
		}
		star := ""
		if required[p.name] {
			star = "*"
		}
		parts = append(parts, p.name+star+" "+p.typ)
	}
	return strings.Join(parts, ", ")
}

// OutputSummary names the output's top-level properties, at most max of them.
func OutputSummary(schema json.RawMessage, max int) string {
	props, _ := schemaProperties(schema)
	if len(props) == 0 {
		return "object"
	}
	names := make([]string, 0, min(len(props), max)+1)
	for i, p := range props {
		if i == max {
			names = append(names, fmt.Sprintf("+%d more", len(props)-max))
			break
		}
		names = append(names, p.name)
	}
	return "object (" + strings.Join(names, ", ") + ")"
}

// SizeWords renders a model-visible size: "812 bytes", "14.2 KB".
func SizeWords(n int) string {
	if n < 1000 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f KB", float64(n)/1000)
}
