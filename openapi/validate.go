package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

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
	if t.checks == nil {
		return []string{"tool was not loaded by Load"}
	}
	schema, err := t.checks.input.get(t.Name)
	if err != nil {
		return []string{"the input schema could not be compiled: " + err.Error()}
	}
	if args == nil {
		args = map[string]any{}
	}
	v, ok := schemaValue(args)
	if !ok { // values encoding/json does not decode to: go through their JSON text
		b, err := json.Marshal(args)
		if err != nil {
			return []string{fmt.Sprintf("arguments are not JSON: %v", err)}
		}
		if v, err = jsonschema.UnmarshalJSON(bytes.NewReader(b)); err != nil {
			return []string{fmt.Sprintf("arguments are not JSON: %v", err)}
		}
	}
	err = schema.Validate(v)
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
	case *kind.Const:
		*out = append(*out, orArgs(loc)+": must be "+enumList([]any{k.Want}))
		return
	case *kind.MinLength:
		*out = append(*out, fmt.Sprintf("%s: must be at least %d characters long, not %d", orArgs(loc), k.Want, k.Got))
		return
	case *kind.MaxLength:
		*out = append(*out, fmt.Sprintf("%s: must be at most %d characters long, not %d", orArgs(loc), k.Want, k.Got))
		return
	case *kind.MinItems:
		*out = append(*out, fmt.Sprintf("%s: must have at least %d items, not %d", orArgs(loc), k.Want, k.Got))
		return
	case *kind.MaxItems:
		*out = append(*out, fmt.Sprintf("%s: must have at most %d items, not %d", orArgs(loc), k.Want, k.Got))
		return
	case *kind.Pattern:
		*out = append(*out, fmt.Sprintf("%s: must match the pattern %s", orArgs(loc), k.Want))
		return
	case *kind.Minimum:
		*out = append(*out, fmt.Sprintf("%s: must be at least %s", orArgs(loc), ratString(k.Want)))
		return
	case *kind.Maximum:
		*out = append(*out, fmt.Sprintf("%s: must be at most %s", orArgs(loc), ratString(k.Want)))
		return
	case *kind.ExclusiveMinimum:
		*out = append(*out, fmt.Sprintf("%s: must be greater than %s", orArgs(loc), ratString(k.Want)))
		return
	case *kind.ExclusiveMaximum:
		*out = append(*out, fmt.Sprintf("%s: must be less than %s", orArgs(loc), ratString(k.Want)))
		return
	case *kind.FalseSchema:
		*out = append(*out, orArgs(loc)+": is not allowed")
		return
	}
	*out = append(*out, orArgs(loc)+": "+e.ErrorKind.LocalizedString(printer))
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
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

// schemaValue returns the value jsonschema.UnmarshalJSON would read from the JSON text of v,
// a value as encoding/json decodes it (maps, slices, float64, string, bool, nil), without
// writing and reading that text: a float64 becomes the json.Number encoding/json writes for
// it. It reports false for anything else (an int, a struct, a NaN), which the caller then
// takes through JSON.
func schemaValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil, bool:
		return v, true
	case string:
		return v, utf8.ValidString(v) // encoding/json would write U+FFFD for the rest
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return json.Number(jsonFloat(v)), true
	case json.Number:
		return v, isJSONNumber(string(v))
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			c, ok := schemaValue(e)
			if !ok {
				return nil, false
			}
			out[k] = c
		}
		return out, true
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := schemaValue(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	}
	return nil, false
}

// jsonFloat formats f exactly as encoding/json writes a float64 (ES6 number formatting).
func jsonFloat(f float64) string {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}
