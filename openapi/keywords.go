package openapi

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Keyword by keyword conversion of one schema object from OpenAPI (3.0 and
// 3.1 dialects, as real documents mix them) to JSON Schema 2020-12.

var (
	numberKeys      = map[string]bool{"maximum": true, "minimum": true}
	exclusiveKeys   = map[string]bool{"exclusiveMaximum": true, "exclusiveMinimum": true}
	nonNegativeKeys = map[string]bool{
		"maxLength": true, "minLength": true, "maxItems": true, "minItems": true,
		"maxProperties": true, "minProperties": true, "maxContains": true, "minContains": true,
	}
)

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

// object converts a schema object that is not a reference.
func (c *converter) object(o *object, mode schemaMode, refDepth int) *converted {
	out := newObject(o.len())
	res := &converted{schema: out, size: 1}
	addDeps := func(r *converted) {
		res.deps = append(res.deps, r.deps...)
		res.size += r.size
	}
	sub := func(v any) *object {
		r := c.schema(v, mode, refDepth)
		addDeps(r)
		return r.schema
	}
	subList := func(v any) []any {
		a, ok := v.([]any)
		if !ok {
			return nil
		}
		out := make([]any, 0, len(a))
		for _, e := range a {
			out = append(out, sub(e))
		}
		return out
	}
	input := mode == modeInput

	var (
		nullable     bool
		file         bool
		examples     = collectExamples(o)
		exclusiveMax bool
		exclusiveMin bool
		required     []string
		dropped      = map[string]bool{} // properties left out (readOnly in input)
		boolRequired []string
		haveExamples bool
	)
	for i, k := range o.keys {
		v := o.vals[i]
		switch {
		case k == "type":
			types, isFile := normaliseTypes(v)
			file = isFile
			if len(types) > 0 {
				out.set("type", typeValue(types))
			}
		case k == "nullable":
			nullable, _ = v.(bool)
		case k == "title" || k == "description":
			if s, ok := v.(string); ok {
				out.set(k, s)
			}
		case k == "deprecated" || k == "readOnly" || k == "writeOnly":
			if b, ok := v.(bool); ok && b {
				out.set(k, b)
			}
		case k == "default":
			if !hasSchemaKeys(v) {
				out.set(k, v)
			}
		case k == "example" || k == "examples":
			if !haveExamples && len(examples) > 0 {
				out.set("examples", examples)
				haveExamples = true
			}
		case k == "enum":
			if !input {
				continue
			}
			if enum := cleanEnum(v); len(enum) > 0 {
				out.set("enum", enum)
			}
		case k == "const":
			if input && !hasSchemaKeys(v) {
				out.set("const", v)
			}
		case k == "format":
			if s, ok := v.(string); ok && input && s != "" {
				out.set("format", s)
			}
		case k == "pattern":
			if s, ok := v.(string); ok && input {
				if p := portablePattern(s); p != "" {
					out.set("pattern", p)
				}
			}
		case numberKeys[k]:
			if n, ok := toNumber(v); ok && input {
				out.set(k, n)
			}
		case exclusiveKeys[k]:
			if !input {
				continue
			}
			if b, ok := v.(bool); ok {
				// OpenAPI 3.0: a flag on maximum/minimum.
				if k == "exclusiveMaximum" {
					exclusiveMax = b
				} else {
					exclusiveMin = b
				}
			} else if n, ok := toNumber(v); ok {
				out.set(k, n)
			}
		case k == "multipleOf":
			if n, ok := toNumber(v); ok && input {
				if f, _ := n.Float64(); f > 0 {
					out.set(k, n)
				}
			}
		case nonNegativeKeys[k]:
			if n, ok := toNumber(v); ok && input {
				if f, _ := n.Float64(); f >= 0 && f == math.Trunc(f) && f < 1e15 {
					out.set(k, json.Number(strconv.FormatInt(int64(f), 10)))
				}
			}
		case k == "uniqueItems":
			if b, ok := v.(bool); ok && b && input {
				out.set(k, b)
			}
		case k == "required":
			if a, ok := v.([]any); ok && input {
				for _, e := range a {
					if s, ok := e.(string); ok {
						required = append(required, s)
					}
				}
			}
		case k == "properties":
			po, ok := v.(*object)
			if !ok {
				continue
			}
			props := newObject(po.len())
			for j, name := range po.keys {
				pv := po.vals[j]
				if raw, ok := pv.(*object); ok && raw.boolean("required") {
					boolRequired = append(boolRequired, name)
				}
				r := c.schema(pv, mode, refDepth)
				eff := c.deref(r.schema, mode)
				if input && eff.boolean("readOnly") || !input && eff.boolean("writeOnly") {
					dropped[name] = true
					continue
				}
				addDeps(r)
				props.set(name, r.schema)
			}
			out.set("properties", props)
		case k == "patternProperties":
			po, ok := v.(*object)
			if !ok {
				continue
			}
			props := newObject(po.len())
			for j, p := range po.keys {
				if pp := portablePattern(p); pp != "" {
					props.set(pp, sub(po.vals[j]))
				}
			}
			if props.len() > 0 {
				out.set(k, props)
			}
		case k == "additionalProperties" || k == "unevaluatedProperties":
			switch v := v.(type) {
			case bool:
				if !v && input {
					out.set(k, false)
				}
			case *object:
				if input || k == "additionalProperties" {
					out.set(k, sub(v))
				}
			}
		case k == "propertyNames" || k == "contains" || k == "not" || k == "if" || k == "then" || k == "else" || k == "unevaluatedItems" || k == "contentSchema":
			if !input {
				continue
			}
			switch v.(type) {
			case *object, bool:
				out.set(k, sub(v))
			}
		case k == "dependentRequired":
			if dr, ok := v.(*object); ok && input {
				clean := newObject(dr.len())
				for j, name := range dr.keys {
					if names := stringList(dr.vals[j]); names != nil {
						clean.set(name, names)
					}
				}
				if clean.len() > 0 {
					out.set(k, clean)
				}
			}
		case k == "dependentSchemas":
			if ds, ok := v.(*object); ok && input {
				clean := newObject(ds.len())
				for j, name := range ds.keys {
					clean.set(name, sub(ds.vals[j]))
				}
				out.set(k, clean)
			}
		case k == "items":
			switch v := v.(type) {
			case *object:
				out.set("items", sub(v))
			case bool:
				if !v && input {
					out.set("items", false)
				}
			case []any:
				// Tuple form (draft 4 and Swagger documents): prefixItems in 2020-12.
				if l := subList(v); len(l) > 0 {
					out.set("prefixItems", l)
				}
			}
		case k == tupleItemsKey:
			if l := subList(v); len(l) > 0 && !o.has("prefixItems") {
				out.set("prefixItems", l)
			}
		case k == "prefixItems":
			if l := subList(v); len(l) > 0 {
				out.set("prefixItems", l)
			}
		case k == "allOf" || k == "anyOf" || k == "oneOf":
			l := subList(v)
			if len(l) == 0 {
				continue
			}
			if k == "allOf" {
				l = withoutEmpty(l)
				if len(l) == 0 {
					continue
				}
			}
			if !input && k == "oneOf" {
				// A value may match several descriptive variants: anyOf.
				k = "anyOf"
			}
			if out.has(k) {
				// oneOf and anyOf both present (output mode): keep both.
				w := newObject(1)
				w.set(k, l)
				all, _ := out.val("allOf").([]any)
				out.set("allOf", append(append([]any(nil), all...), w))
				continue
			}
			out.set(k, l)
		case k == "contentMediaType" || k == "contentEncoding":
			if s, ok := v.(string); ok {
				out.set(k, s)
			}
		}
		// Everything else is dropped: x-… extensions, xml, discriminator,
		// externalDocs, $id, $schema, $defs (references were resolved) and
		// keywords no JSON Schema validator knows, which strict ones reject.
	}

	if file {
		if !out.has("format") && input {
			out.set("format", "binary")
		}
	}
	if exclusiveMax {
		if m, ok := out.get("maximum"); ok {
			out.del("maximum")
			out.set("exclusiveMaximum", m)
		}
	}
	if exclusiveMin {
		if m, ok := out.get("minimum"); ok {
			out.del("minimum")
			out.set("exclusiveMinimum", m)
		}
	}
	if input {
		names := dedupe(append(required, boolRequired...))
		kept := names[:0]
		for _, n := range names {
			if !dropped[n] {
				kept = append(kept, n)
			}
		}
		if len(kept) > 0 {
			a := make([]any, len(kept))
			for i, n := range kept {
				a[i] = n
			}
			out.set("required", a)
		}
	}
	if nullable {
		return addNull(res)
	}
	return res
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
