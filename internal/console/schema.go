package console

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jfnhq/jfn/openapi"
)

// field is one input of the Try form: a top-level property of a tool's input schema.
type field struct {
	Name        string // the parameter's name, also the input's label
	Input       string // the form field's name
	ID          string // the input's element id
	Kind        string // string, number, integer, boolean, enum or json
	Type        string // the schema's type, as shown
	Description string
	Required    bool
	Sent        string // where a call sends it: "query filter[state]", "path", "body"
	Enum        []string
	Value       string // what the form held, when it is shown again
}

type propSchema struct {
	Type        any    `json:"type"`
	Description string `json:"description"`
	Enum        []any  `json:"enum"`
}

// fieldsOf turns t's input schema into form fields: required ones first, then by name.
func fieldsOf(t openapi.Tool) []field {
	raw := t.FullInputSchema
	if raw == nil {
		raw = t.InputSchema
	}
	var s struct {
		Properties map[string]propSchema `json:"properties"`
		Required   []string              `json:"required"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	var out []field
	for name, p := range s.Properties {
		f := field{Name: name, Input: "arg." + name, ID: "arg-" + t.Name + "-" + name,
			Description: p.Description, Required: slices.Contains(s.Required, name)}
		if in, sent := t.ArgumentPlace(name); in != "" {
			f.Sent = in
			if sent != "" && sent != name {
				f.Sent += " " + sent
			}
		}
		switch typ := p.Type.(type) {
		case string:
			f.Type = typ
		case []any:
			var parts []string
			for _, x := range typ {
				if s, ok := x.(string); ok && s != "null" {
					parts = append(parts, s)
				}
			}
			if len(parts) == 1 {
				f.Type = parts[0]
			} else {
				f.Type = strings.Join(parts, " or ")
			}
		}
		f.Kind = "json"
		switch f.Type {
		case "string", "number", "integer", "boolean":
			f.Kind = f.Type
		}
		if f.Kind == "string" && len(p.Enum) > 0 {
			f.Kind = "enum"
			for _, e := range p.Enum {
				if s, ok := e.(string); ok {
					f.Enum = append(f.Enum, s)
				}
			}
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b field) int {
		if a.Required != b.Required {
			if a.Required {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// parseArgs reads the Try form into tool arguments, as a client would send them in JSON. An
// empty input is left out; the tool's own validation then says what is missing.
func parseArgs(fields []field, form url.Values) (map[string]any, []string) {
	args := map[string]any{}
	var problems []string
	for _, f := range fields {
		v := strings.TrimSpace(form.Get(f.Input))
		if f.Kind == "string" || f.Kind == "enum" {
			v = form.Get(f.Input) // a string is sent as typed
		}
		if v == "" {
			continue
		}
		switch f.Kind {
		case "string", "enum":
			args[f.Name] = v
		default:
			var x any
			if err := json.Unmarshal([]byte(v), &x); err != nil {
				problems = append(problems, fmt.Sprintf("%s must be %s.", f.Name, kindWords(f)))
				continue
			}
			ok := true
			switch f.Kind {
			case "number":
				_, ok = x.(float64)
			case "integer":
				n, isNum := x.(float64)
				ok = isNum && n == float64(int64(n))
			case "boolean":
				_, ok = x.(bool)
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("%s must be %s.", f.Name, kindWords(f)))
				continue
			}
			args[f.Name] = x
		}
	}
	return args, problems
}

func kindWords(f field) string {
	switch f.Kind {
	case "number":
		return "a number"
	case "integer":
		return "a whole number"
	case "boolean":
		return "true or false"
	}
	return "JSON (" + f.Type + ")"
}
