package openapi

import (
	"encoding/json"
	"math"
	"strconv"
)

// quickProver proves, without the generic validator, that schema trees are valid against
// the 2020-12 meta-schema, for the keywords whose meta-schema rule is a plain type rule:
// almost every keyword the converter writes. It answers true only when it is sure; a schema
// it cannot vouch for (an $id, an $anchor, a number written as a float where an integer is
// due, a value it does not know) goes on to the meta-schema check as before. Being sure
// means: every keyword the meta-schema constrains holds a value of the type it requires, in
// every subschema, and every value anywhere is one the meta-schema check could read (a
// finite number, a string, a boolean, null, an array or an object of those).
// FuzzQuickProof checks that what it proves the meta-schema accepts.
//
// Trees share subtrees (YAML aliases, shared definitions): each object is proven once.
type quickProver struct {
	schemas map[*object]bool // proven as schemas
	values  map[*object]bool // proven readable as values
}

func newQuickProver() *quickProver {
	return &quickProver{schemas: map[*object]bool{}, values: map[*object]bool{}}
}

// quickMaxDepth bounds the nesting the prover follows; deeper trees go to the meta-schema.
const quickMaxDepth = 512

// quickSchemaKeywords are the 2020-12 keywords whose value is a schema.
var quickSchemaKeywords = map[string]bool{
	"items": true, "contains": true, "additionalProperties": true, "propertyNames": true,
	"if": true, "then": true, "else": true, "not": true, "unevaluatedItems": true,
	"unevaluatedProperties": true, "contentSchema": true,
}

// schemaMapKeywords hold an object of schemas; schemaArrayKeywords a non-empty array of them.
var (
	schemaMapKeywords = map[string]bool{
		"$defs": true, "definitions": true, "properties": true, "patternProperties": true,
		"dependentSchemas": true,
	}
	schemaArrayKeywords = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true, "prefixItems": true}
	stringKeywords      = map[string]bool{
		"$schema": true, "$ref": true, "$comment": true, "$dynamicRef": true, "$recursiveRef": true,
		"title": true, "description": true, "pattern": true, "format": true,
		"contentEncoding": true, "contentMediaType": true,
	}
	numberKeywords = map[string]bool{
		"maximum": true, "exclusiveMaximum": true, "minimum": true, "exclusiveMinimum": true,
	}
	countKeywords = map[string]bool{ // non-negative integers
		"maxLength": true, "minLength": true, "maxItems": true, "minItems": true,
		"maxContains": true, "minContains": true, "maxProperties": true, "minProperties": true,
	}
	boolKeywords = map[string]bool{"uniqueItems": true, "deprecated": true, "readOnly": true, "writeOnly": true}
	// Keywords the meta-schema constrains in ways this prover does not check.
	unsureKeywords = map[string]bool{
		"$id": true, "$anchor": true, "$dynamicAnchor": true, "$vocabulary": true,
		"$recursiveAnchor": true, "dependencies": true,
	}
	simpleTypes = map[string]bool{
		"array": true, "boolean": true, "integer": true, "null": true, "number": true, "object": true, "string": true,
	}
)

// schema reports whether v is surely a valid schema.
func (q *quickProver) schema(v any, depth int) bool {
	switch v := v.(type) {
	case bool:
		return true
	case *object:
		if v == nil || depth > quickMaxDepth {
			return false
		}
		if q.schemas[v] {
			return true
		}
		for i, k := range v.keys {
			if !q.keyword(k, v.vals[i], depth) {
				return false
			}
		}
		q.schemas[v] = true
		return true
	}
	return false
}

// keyword reports whether the value of keyword k is surely valid.
func (q *quickProver) keyword(k string, v any, depth int) bool {
	switch {
	case quickSchemaKeywords[k]:
		return q.schema(v, depth+1)
	case schemaMapKeywords[k]:
		m, ok := v.(*object)
		if !ok || m == nil {
			return false
		}
		for _, s := range m.vals {
			if !q.schema(s, depth+2) {
				return false
			}
		}
		return true
	case schemaArrayKeywords[k]:
		a, ok := v.([]any)
		if !ok || len(a) == 0 {
			return false
		}
		for _, s := range a {
			if !q.schema(s, depth+1) {
				return false
			}
		}
		return true
	case stringKeywords[k]:
		_, ok := v.(string)
		return ok
	case numberKeywords[k]:
		_, ok := quickNumber(v)
		return ok
	case k == "multipleOf":
		f, ok := quickNumber(v)
		return ok && f > 0
	case countKeywords[k]:
		return quickCount(v)
	case boolKeywords[k]:
		_, ok := v.(bool)
		return ok
	case k == "type":
		return quickType(v)
	case k == "required":
		return quickStrings(v)
	case k == "dependentRequired":
		m, ok := v.(*object)
		if !ok || m == nil {
			return false
		}
		for _, s := range m.vals {
			if !quickStrings(s) {
				return false
			}
		}
		return true
	case k == "enum", k == "examples":
		a, ok := v.([]any)
		return ok && q.value(a, depth+1)
	case unsureKeywords[k]:
		return false
	default: // const, default, and keywords the meta-schema leaves free: any JSON value
		return q.value(v, depth+1)
	}
}

// value reports whether v is surely a JSON value the meta-schema check can read.
func (q *quickProver) value(v any, depth int) bool {
	if depth > quickMaxDepth {
		return false
	}
	switch v := v.(type) {
	case nil, bool, string:
		return true
	case json.Number, float64, int, int64:
		_, ok := quickNumber(v)
		return ok
	case []any:
		for _, e := range v {
			if !q.value(e, depth+1) {
				return false
			}
		}
		return true
	case *object:
		if v == nil {
			return true
		}
		if q.values[v] || q.schemas[v] {
			return true
		}
		for _, k := range v.keys {
			if schemaKeywords[k] {
				return false // an $id or $ref in a value: the compiler may read it (see hasSchemaKeys)
			}
		}
		for _, e := range v.vals {
			if !q.value(e, depth+1) {
				return false
			}
		}
		q.values[v] = true
		return true
	}
	return false
}

// quickNumber reads a number the meta-schema check can read.
func quickNumber(v any) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		if !isJSONNumber(string(v)) {
			return 0, false
		}
		f, err := strconv.ParseFloat(string(v), 64)
		return f, err == nil
	case float64:
		return v, !math.IsNaN(v) && !math.IsInf(v, 0)
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// quickCount reports whether v is surely a non-negative integer: written without a fraction
// or an exponent (others are left to the meta-schema, which reads 2.0 as an integer too).
func quickCount(v any) bool {
	switch v := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		return err == nil && n >= 0
	case int:
		return v >= 0
	case int64:
		return v >= 0
	}
	return false
}

// quickType: one simple type, or a non-empty array of distinct ones.
func quickType(v any) bool {
	switch v := v.(type) {
	case string:
		return simpleTypes[v]
	case []any:
		if len(v) == 0 {
			return false
		}
		seen := map[string]bool{}
		for _, e := range v {
			s, ok := e.(string)
			if !ok || !simpleTypes[s] || seen[s] {
				return false
			}
			seen[s] = true
		}
		return true
	}
	return false
}

// quickStrings: an array of distinct strings (as the meta-schema check reads them: each
// invalid UTF-8 byte becomes U+FFFD, so two strings may meet).
func quickStrings(v any) bool {
	a, ok := v.([]any)
	if !ok {
		return false
	}
	seen := make(map[string]bool, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return false
		}
		s = ValidUTF8(s)
		if seen[s] {
			return false
		}
		seen[s] = true
	}
	return true
}
