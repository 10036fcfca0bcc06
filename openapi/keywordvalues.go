package openapi

import (
	"encoding/json"
	"math"
	"strings"
)

// Reading the values of schema keywords as real documents write them: type
// names, numbers (also as strings), enums, examples, lists of names.

func typeList(t any) []string {
	switch t := t.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func typeValue(types []string) any {
	if len(types) == 1 {
		return types[0]
	}
	a := make([]any, len(types))
	for i, t := range types {
		a[i] = t
	}
	return a
}

// jsonTypes maps the type names found in real documents to JSON Schema's.
var jsonTypes = map[string]string{
	"string": "string", "number": "number", "integer": "integer", "boolean": "boolean",
	"object": "object", "array": "array", "null": "null",
	"int": "integer", "long": "integer", "int32": "integer", "int64": "integer",
	"float": "number", "double": "number", "decimal": "number",
	"bool": "boolean", "str": "string", "date": "string", "datetime": "string",
	"date-time": "string", "file": "string", "map": "object", "list": "array",
}

// normaliseTypes returns the valid, distinct JSON types named by t, and
// whether one of them was Swagger's "file".
func normaliseTypes(t any) ([]string, bool) {
	var out []string
	file := false
	seen := map[string]bool{}
	for _, name := range typeList(t) {
		j, ok := jsonTypes[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			continue
		}
		if strings.EqualFold(name, "file") {
			file = true
		}
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	return out, file
}

func withoutEmpty(l []any) []any {
	out := l[:0]
	for _, e := range l {
		if o, ok := e.(*object); ok && o.len() == 0 {
			continue
		}
		out = append(out, e)
	}
	return out
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func stringList(v any) []any {
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]any, 0, len(a))
	seen := map[string]bool{}
	for _, e := range a {
		if s, ok := e.(string); ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// toNumber reads a JSON number, also from a numeric string (a common slip).
func toNumber(v any) (json.Number, bool) {
	switch v := v.(type) {
	case json.Number:
		return v, isJSONNumber(string(v))
	case string:
		s := strings.TrimSpace(v)
		if isJSONNumber(s) {
			return json.Number(s), true
		}
	case float64:
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			return json.Number(formatFloat(v)), true
		}
	}
	return "", false
}

// cleanEnum returns the distinct enum values, without values that carry
// schema keywords.
func cleanEnum(v any) []any {
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]any, 0, len(a))
	for _, e := range a {
		if hasSchemaKeys(e) {
			continue
		}
		dup := false
		for _, x := range out {
			if treeEqual(x, e) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out
}

// collectExamples gathers `example` (OpenAPI) and `examples` (JSON Schema
// array, or an OpenAPI map of Example Objects written in the wrong place)
// into one JSON Schema examples array.
func collectExamples(o *object) []any {
	var out []any
	add := func(v any) {
		if hasSchemaKeys(v) {
			return // an example value never carries $id, $ref, ...
		}
		if _, ok := v.(*object); ok || isArray(v) {
			if b, err := marshalTree(v); err != nil || len(b) > maxExampleBytes {
				return
			}
		}
		for _, x := range out {
			if treeEqual(x, v) {
				return
			}
		}
		out = append(out, v)
	}
	if v, ok := o.get("example"); ok {
		add(v)
	}
	switch ex := o.val("examples").(type) {
	case []any:
		for _, e := range ex {
			add(e)
		}
	case *object:
		for _, e := range ex.vals {
			if eo, ok := e.(*object); ok && eo.has("value") {
				add(eo.val("value"))
			} else if _, isRef := refOf(e); !isRef {
				add(e)
			}
		}
	}
	return out
}

func isArray(v any) bool {
	_, ok := v.([]any)
	return ok
}

// schemaKeywords are keys that make a JSON value look like a schema resource
// to validators that scan for identifiers.
var schemaKeywords = map[string]bool{
	"$id": true, "$schema": true, "$ref": true, "$anchor": true, "$dynamicAnchor": true,
	"$dynamicRef": true, "$recursiveRef": true, "$recursiveAnchor": true, "$defs": true,
	"$vocabulary": true, "$comment": true,
}

// hasSchemaKeys reports whether a JSON value contains, at any depth, an
// object key that is a JSON Schema core keyword ($id, $ref, ...).
func hasSchemaKeys(v any) bool {
	switch v := v.(type) {
	case *object:
		for i, k := range v.keys {
			if schemaKeywords[k] || hasSchemaKeys(v.vals[i]) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasSchemaKeys(e) {
				return true
			}
		}
	}
	return false
}
