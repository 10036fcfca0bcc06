package catalog

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/jfnhq/jfn/openapi"
)

// DocFromTool returns what the index reads of t: its texts, and its parameters from the
// top-level properties of its input schema, in schema order, with their descriptions.
func DocFromTool(t openapi.Tool) Doc {
	schema := t.InputSchema
	if t.FullInputSchema != nil {
		schema = t.FullInputSchema // the listed one may have lost its descriptions to trimming
	}
	return Doc{
		Name:        t.Name,
		Title:       t.Title,
		Description: t.Description,
		Tags:        t.Tags,
		Method:      t.Method,
		Path:        t.Path,
		Params:      schemaParams(schema),
	}
}

// schemaParams reads the top-level properties of an object schema; nil when it has none or
// is not valid JSON.
func schemaParams(schema json.RawMessage) []Param {
	var s struct {
		Properties json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(schema, &s) != nil || len(s.Properties) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(s.Properties))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var params []Param
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		name, _ := tok.(string)
		var p struct {
			Description string `json:"description"`
		}
		if dec.Decode(&p) != nil {
			// A property that is not an object (a boolean schema) has no description.
			params = append(params, Param{Name: name})
			continue
		}
		params = append(params, Param{Name: name, Description: p.Description})
	}
	return params
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
