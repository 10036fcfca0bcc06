package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// Validate checks arguments against the tool's input schema. It returns one
// plain-words problem per bad field ("phone: required property is missing",
// "age: must be integer, not string"), nil when the arguments are valid. The
// schema was compiled once by Load.
func (t *Tool) Validate(args map[string]any) []string {
	if t.schema == nil {
		return []string{"tool was not loaded by Load"}
	}
	if args == nil {
		args = map[string]any{}
	}
	b, err := json.Marshal(args)
	if err != nil {
		return []string{fmt.Sprintf("arguments are not JSON: %v", err)}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return []string{fmt.Sprintf("arguments are not JSON: %v", err)}
	}
	err = t.schema.Validate(v)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []string{err.Error()}
	}
	var out []string
	collectProblems(verr, &out)
	if len(out) == 0 {
		out = append(out, verr.Error())
	}
	return dedupe(out)
}

// collectProblems walks the leaves of a validation error. Under anyOf/oneOf
// every branch failed; the leaves still name the fields involved.
func collectProblems(e *jsonschema.ValidationError, out *[]string) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collectProblems(c, out)
		}
		return
	}
	loc := fieldPath(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, joinField(loc, m)+": required property is missing")
		}
		return
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, joinField(loc, p)+": unknown property")
		}
		return
	case *kind.Type:
		*out = append(*out, orArgs(loc)+": must be "+strings.Join(k.Want, " or ")+", not "+k.Got)
		return
	case *kind.Enum:
		*out = append(*out, orArgs(loc)+": must be one of "+enumList(k.Want))
		return
	}
	*out = append(*out, orArgs(loc)+": "+e.ErrorKind.LocalizedString(printer))
}

func enumList(want []any) string {
	parts := make([]string, 0, len(want))
	for _, w := range want {
		b, _ := json.Marshal(w)
		parts = append(parts, string(b))
	}
	if len(parts) > 20 {
		parts = append(parts[:20], "…")
	}
	return strings.Join(parts, ", ")
}

// fieldPath renders an instance location as a.b[0].c.
func fieldPath(loc []string) string {
	var b strings.Builder
	for _, seg := range loc {
		if isDigits(seg) && b.Len() > 0 {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func orArgs(loc string) string {
	if loc == "" {
		return "arguments"
	}
	return loc
}
