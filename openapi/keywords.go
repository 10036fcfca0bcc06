package openapi

import (
	"encoding/json"
	"math"
	"strconv"
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

// object converts a schema object that is not a reference, keyword by
// keyword in document order (the order the emitted keywords keep).
func (c *converter) object(o *object, mode schemaMode, refDepth int) *converted {
	s := &objectConversion{
		c:        c,
		src:      o,
		mode:     mode,
		refDepth: refDepth,
		input:    mode == modeInput,
		out:      newObject(o.len()),
		examples: collectExamples(o),
		dropped:  map[string]bool{},
	}
	s.res = &converted{schema: s.out, size: 1}
	for i, k := range o.keys {
		s.keyword(k, o.vals[i])
	}
	s.fileFormat()
	s.exclusiveBounds()
	s.requiredNames()
	if s.nullable {
		return addNull(s.res)
	}
	return s.res
}

// objectConversion is the state of one (*converter).object call: the schema
// being emitted, and what its keywords noted for the steps that follow the
// keyword loop (nullable, the 3.0 exclusive flags, required names).
type objectConversion struct {
	c        *converter
	src      *object
	mode     schemaMode
	refDepth int
	input    bool
	out      *object
	res      *converted

	nullable     bool
	file         bool // the type was Swagger's "file"
	examples     []any
	haveExamples bool
	exclusiveMax bool
	exclusiveMin bool
	required     []string
	boolRequired []string        // names of properties with a draft 4 `required: true`
	dropped      map[string]bool // properties left out (readOnly in input, writeOnly in output)
}

// addDeps counts a converted subschema into the result.
func (s *objectConversion) addDeps(r *converted) {
	s.res.deps = append(s.res.deps, r.deps...)
	s.res.size += r.size
}

// sub converts a subschema and counts it into the result.
func (s *objectConversion) sub(v any) *object {
	r := s.c.schema(v, s.mode, s.refDepth)
	s.addDeps(r)
	return r.schema
}

// subList converts an array of subschemas; nil if v is not an array.
func (s *objectConversion) subList(v any) []any {
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]any, 0, len(a))
	for _, e := range a {
		out = append(out, s.sub(e))
	}
	return out
}

// keyword converts keyword k with value v. Each family reports whether it
// knows k.
func (s *objectConversion) keyword(k string, v any) {
	if s.typeKeyword(k, v) || s.annotation(k, v) || s.valueConstraint(k, v) ||
		s.numericConstraint(k, v) || s.objectKeyword(k, v) || s.arrayKeyword(k, v) ||
		s.composition(k, v) || s.content(k, v) {
		return
	}
	// Everything else is dropped: x-… extensions, xml, discriminator,
	// externalDocs, $id, $schema, $defs (references were resolved) and
	// keywords no JSON Schema validator knows, which strict ones reject.
}

// typeKeyword converts type (with the names real documents use) and notes
// OpenAPI 3.0's nullable.
func (s *objectConversion) typeKeyword(k string, v any) bool {
	switch k {
	case "type":
		types, isFile := normaliseTypes(v)
		s.file = isFile
		if len(types) > 0 {
			s.out.set("type", typeValue(types))
		}
	case "nullable":
		s.nullable, _ = v.(bool)
	default:
		return false
	}
	return true
}

// annotation converts the keywords kept in both modes for the reader:
// title, description, the deprecated/readOnly/writeOnly flags, default and
// the examples.
func (s *objectConversion) annotation(k string, v any) bool {
	switch k {
	case "title", "description":
		if str, ok := v.(string); ok {
			s.out.set(k, str)
		}
	case "deprecated", "readOnly", "writeOnly":
		if b, ok := v.(bool); ok && b {
			s.out.set(k, b)
		}
	case "default":
		if !hasSchemaKeys(v) {
			s.out.set(k, v)
		}
	case "example", "examples":
		// Both are gathered into one examples array, set where the first appears.
		if !s.haveExamples && len(s.examples) > 0 {
			s.out.set("examples", s.examples)
			s.haveExamples = true
		}
	default:
		return false
	}
	return true
}

// valueConstraint converts the input-only constraints on a value that are
// not numeric: enum, const, format, pattern and uniqueItems.
func (s *objectConversion) valueConstraint(k string, v any) bool {
	switch k {
	case "enum":
		if !s.input {
			return true
		}
		if enum := cleanEnum(v); len(enum) > 0 {
			s.out.set("enum", enum)
		}
	case "const":
		if s.input && !hasSchemaKeys(v) {
			s.out.set("const", v)
		}
	case "format":
		if str, ok := v.(string); ok && s.input && str != "" {
			s.out.set("format", str)
		}
	case "pattern":
		if str, ok := v.(string); ok && s.input {
			if p := portablePattern(str); p != "" {
				s.out.set("pattern", p)
			}
		}
	case "uniqueItems":
		if b, ok := v.(bool); ok && b && s.input {
			s.out.set(k, b)
		}
	default:
		return false
	}
	return true
}

// numericConstraint converts the input-only numeric constraints: bounds,
// exclusive bounds (3.1 numbers, or 3.0 flags noted for exclusiveBounds),
// multipleOf, and the non-negative integer limits on lengths and counts.
func (s *objectConversion) numericConstraint(k string, v any) bool {
	switch {
	case numberKeys[k]:
		if n, ok := toNumber(v); ok && s.input {
			s.out.set(k, n)
		}
	case exclusiveKeys[k]:
		if !s.input {
			return true
		}
		if b, ok := v.(bool); ok {
			// OpenAPI 3.0: a flag on maximum/minimum.
			if k == "exclusiveMaximum" {
				s.exclusiveMax = b
			} else {
				s.exclusiveMin = b
			}
		} else if n, ok := toNumber(v); ok {
			s.out.set(k, n)
		}
	case k == "multipleOf":
		if n, ok := toNumber(v); ok && s.input {
			if f, _ := n.Float64(); f > 0 {
				s.out.set(k, n)
			}
		}
	case nonNegativeKeys[k]:
		if n, ok := toNumber(v); ok && s.input {
			if f, _ := n.Float64(); f >= 0 && f == math.Trunc(f) && f < 1e15 {
				s.out.set(k, json.Number(strconv.FormatInt(int64(f), 10)))
			}
		}
	default:
		return false
	}
	return true
}

// objectKeyword converts the keywords on an object's members: required,
// properties, patternProperties, additionalProperties,
// unevaluatedProperties, propertyNames and the dependent keywords.
func (s *objectConversion) objectKeyword(k string, v any) bool {
	switch k {
	case "required":
		if a, ok := v.([]any); ok && s.input {
			for _, e := range a {
				if str, ok := e.(string); ok {
					s.required = append(s.required, str)
				}
			}
		}
	case "properties":
		if po, ok := v.(*object); ok {
			s.properties(po)
		}
	case "patternProperties":
		po, ok := v.(*object)
		if !ok {
			return true
		}
		props := newObject(po.len())
		for j, p := range po.keys {
			if pp := portablePattern(p); pp != "" {
				props.set(pp, s.sub(po.vals[j]))
			}
		}
		if props.len() > 0 {
			s.out.set(k, props)
		}
	case "additionalProperties", "unevaluatedProperties":
		switch v := v.(type) {
		case bool:
			if !v && s.input {
				s.out.set(k, false)
			}
		case *object:
			if s.input || k == "additionalProperties" {
				s.out.set(k, s.sub(v))
			}
		}
	case "propertyNames":
		s.inputSubschema(k, v)
	case "dependentRequired":
		if dr, ok := v.(*object); ok && s.input {
			clean := newObject(dr.len())
			for j, name := range dr.keys {
				if names := stringList(dr.vals[j]); names != nil {
					clean.set(name, names)
				}
			}
			if clean.len() > 0 {
				s.out.set(k, clean)
			}
		}
	case "dependentSchemas":
		if ds, ok := v.(*object); ok && s.input {
			clean := newObject(ds.len())
			for j, name := range ds.keys {
				clean.set(name, s.sub(ds.vals[j]))
			}
			s.out.set(k, clean)
		}
	default:
		return false
	}
	return true
}

// properties converts the properties keyword. A property the mode leaves
// out (readOnly in input, writeOnly in output) is noted in dropped, so that
// requiredNames does not require it; a draft 4 `required: true` on a
// property is noted in boolRequired.
func (s *objectConversion) properties(po *object) {
	props := newObject(po.len())
	for j, name := range po.keys {
		pv := po.vals[j]
		if raw, ok := pv.(*object); ok && raw.boolean("required") {
			s.boolRequired = append(s.boolRequired, name)
		}
		r := s.c.schema(pv, s.mode, s.refDepth)
		eff := s.c.deref(r.schema, s.mode)
		if s.input && eff.boolean("readOnly") || !s.input && eff.boolean("writeOnly") {
			s.dropped[name] = true
			continue
		}
		s.addDeps(r)
		props.set(name, r.schema)
	}
	s.out.set("properties", props)
}

// arrayKeyword converts the keywords on an array's items: items (a schema,
// false, or the draft 4 tuple form), Swagger's tuple items, prefixItems,
// contains and unevaluatedItems.
func (s *objectConversion) arrayKeyword(k string, v any) bool {
	switch k {
	case "items":
		switch v := v.(type) {
		case *object:
			s.out.set("items", s.sub(v))
		case bool:
			if !v && s.input {
				s.out.set("items", false)
			}
		case []any:
			// Tuple form (draft 4 and Swagger documents): prefixItems in 2020-12.
			if l := s.subList(v); len(l) > 0 {
				s.out.set("prefixItems", l)
			}
		}
	case tupleItemsKey:
		if l := s.subList(v); len(l) > 0 && !s.src.has("prefixItems") {
			s.out.set("prefixItems", l)
		}
	case "prefixItems":
		if l := s.subList(v); len(l) > 0 {
			s.out.set("prefixItems", l)
		}
	case "contains", "unevaluatedItems":
		s.inputSubschema(k, v)
	default:
		return false
	}
	return true
}

// composition converts allOf, anyOf and oneOf (oneOf becomes anyOf in
// output mode), and the input-only not and if/then/else.
func (s *objectConversion) composition(k string, v any) bool {
	switch k {
	case "allOf", "anyOf", "oneOf":
		l := s.subList(v)
		if len(l) == 0 {
			return true
		}
		if k == "allOf" {
			l = withoutEmpty(l)
			if len(l) == 0 {
				return true
			}
		}
		if !s.input && k == "oneOf" {
			// A value may match several descriptive variants: anyOf.
			k = "anyOf"
		}
		if s.out.has(k) {
			// oneOf and anyOf both present (output mode): keep both.
			w := newObject(1)
			w.set(k, l)
			all, _ := s.out.val("allOf").([]any)
			s.out.set("allOf", append(append([]any(nil), all...), w))
			return true
		}
		s.out.set(k, l)
	case "not", "if", "then", "else":
		s.inputSubschema(k, v)
	default:
		return false
	}
	return true
}

// content converts the content vocabulary: contentMediaType and
// contentEncoding in both modes, contentSchema in input.
func (s *objectConversion) content(k string, v any) bool {
	switch k {
	case "contentMediaType", "contentEncoding":
		if str, ok := v.(string); ok {
			s.out.set(k, str)
		}
	case "contentSchema":
		s.inputSubschema(k, v)
	default:
		return false
	}
	return true
}

// inputSubschema converts a keyword whose value is one subschema (a schema
// or a boolean) and that only matters to validation, so only in input.
func (s *objectConversion) inputSubschema(k string, v any) {
	if !s.input {
		return
	}
	switch v.(type) {
	case *object, bool:
		s.out.set(k, s.sub(v))
	}
}

// fileFormat gives Swagger's file type its JSON Schema spelling in input:
// a string with format binary, unless a format was given.
func (s *objectConversion) fileFormat() {
	if s.file {
		if !s.out.has("format") && s.input {
			s.out.set("format", "binary")
		}
	}
}

// exclusiveBounds turns maximum/minimum flagged by OpenAPI 3.0's boolean
// exclusiveMaximum/exclusiveMinimum into 3.1's numeric keywords.
func (s *objectConversion) exclusiveBounds() {
	if s.exclusiveMax {
		if m, ok := s.out.get("maximum"); ok {
			s.out.del("maximum")
			s.out.set("exclusiveMaximum", m)
		}
	}
	if s.exclusiveMin {
		if m, ok := s.out.get("minimum"); ok {
			s.out.del("minimum")
			s.out.set("exclusiveMinimum", m)
		}
	}
}

// requiredNames sets required in input: the names of the required list and
// of the draft 4 flags, distinct, without the properties left out.
func (s *objectConversion) requiredNames() {
	if !s.input {
		return
	}
	names := dedupe(append(s.required, s.boolRequired...))
	kept := names[:0]
	for _, n := range names {
		if !s.dropped[n] {
			kept = append(kept, n)
		}
	}
	if len(kept) > 0 {
		a := make([]any, len(kept))
		for i, n := range kept {
			a[i] = n
		}
		s.out.set("required", a)
	}
}
