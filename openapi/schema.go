package openapi

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// schemaMode selects how a schema is emitted.
type schemaMode int

const (
	// modeInput emits a schema that arguments are validated against:
	// constraints are kept and readOnly properties are left out.
	modeInput schemaMode = iota
	// modeOutput emits a descriptive schema for a response: types,
	// properties and descriptions only, because real responses often stray
	// from their declared constraints and clients throw on a mismatch.
	modeOutput
)

const (
	// inlineMaxSize is the size (in schema nodes) above which a referenced
	// schema goes to $defs instead of being copied at each use.
	inlineMaxSize = 100
	// maxInlineRefs bounds how many references deep inlining goes before
	// the rest goes to $defs, which bounds the depth of an emitted schema.
	maxInlineRefs = 12
	// maxExampleBytes drops an example larger than this: examples are for
	// the reader, and a huge one only costs context.
	maxExampleBytes = 8 << 10
)

// converter turns OpenAPI schemas (3.0 and 3.1 dialects, as found in the
// document tree) into JSON Schema 2020-12. One converter serves a whole
// document: referenced schemas are converted once per mode and shared.
type converter struct {
	root      any
	memo      map[refKey]*converted
	busy      map[refKey]bool
	recursive map[string]bool
	defs      map[refKey]*converted // bodies of references emitted as $defs
	defName   map[string]string     // canonical pointer → name under $defs
	defPtr    map[string]string     // name under $defs → canonical pointer
}

type refKey struct {
	ptr  string
	mode schemaMode
}

// converted is an emitted schema. The schema object may be shared between
// several uses and must not be modified; deps lists the pointers of the
// $defs entries it refers to (directly or through inlined parts).
type converted struct {
	schema *object
	deps   []string
	size   int
}

func newConverter(root any) *converter {
	return &converter{
		root:      root,
		memo:      map[refKey]*converted{},
		busy:      map[refKey]bool{},
		recursive: map[string]bool{},
		defs:      map[refKey]*converted{},
		defName:   map[string]string{},
		defPtr:    map[string]string{},
	}
}

// reset forgets conversions in progress; called after a panic was recovered.
func (c *converter) reset() { c.busy = map[refKey]bool{} }

func emptySchema() *converted { return &converted{schema: newObject(0), size: 1} }

// schema converts one schema value.
func (c *converter) schema(v any, mode schemaMode, refDepth int) *converted {
	switch v := v.(type) {
	case bool:
		if v {
			return emptySchema()
		}
		// false: nothing is valid. In a response that is no use to describe.
		o := newObject(1)
		if mode == modeInput {
			o.set("not", newObject(0))
		}
		return &converted{schema: o, size: 2}
	case *object:
		if ref, ok := v.val("$ref").(string); ok {
			r := c.ref(ref, mode, refDepth)
			return c.withAnnotations(r, v, mode)
		}
		return c.object(v, mode, refDepth)
	default:
		return emptySchema()
	}
}

// ref converts a reference: inlined when small and not recursive, otherwise
// emitted as {"$ref":"#/$defs/Name"} with the body registered in c.defs.
func (c *converter) ref(ref string, mode schemaMode, refDepth int) *converted {
	if !isLocalRef(ref) {
		return emptySchema() // external documents are never loaded
	}
	target, ptr, err := resolve(c.root, refObject(ref))
	if err != nil {
		return emptySchema()
	}
	key := refKey{ptr, mode}
	if c.busy[key] {
		c.recursive[ptr] = true
		return c.defRef(ptr)
	}
	r := c.memo[key]
	if r == nil {
		c.busy[key] = true
		r = c.schema(target, mode, refDepth+1)
		delete(c.busy, key)
		c.memo[key] = r
	}
	if c.recursive[ptr] || r.size > inlineMaxSize || refDepth >= maxInlineRefs {
		if c.defs[key] == nil {
			c.defs[key] = r
		}
		return c.defRef(ptr)
	}
	return r
}

func refObject(ref string) *object {
	o := newObject(1)
	o.set("$ref", ref)
	return o
}

func (c *converter) defRef(ptr string) *converted {
	o := newObject(1)
	o.set("$ref", "#/$defs/"+c.nameOf(ptr))
	return &converted{schema: o, deps: []string{ptr}, size: 2}
}

// nameOf returns the $defs name of a pointer: its last segment, made safe
// for a JSON pointer and a URI fragment, unique within the document.
func (c *converter) nameOf(ptr string) string {
	if n, ok := c.defName[ptr]; ok {
		return n
	}
	seg := ptr[strings.LastIndex(ptr, "/")+1:]
	seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
	var b strings.Builder
	for _, r := range seg {
		if r < 0x80 && (isAlnum(r) || r == '_' || r == '-' || r == '.') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	base := b.String()
	if base == "" || strings.Trim(base, "_") == "" {
		base = "schema"
	}
	if len(base) > 80 {
		base = base[:80]
	}
	name := base
	for i := 2; c.defPtr[name] != ""; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	c.defPtr[name] = ptr
	c.defName[ptr] = name
	return name
}

// defsFor returns the $defs object for a schema whose parts depend on deps,
// or nil when there are none.
func (c *converter) defsFor(deps []string, mode schemaMode) *object {
	if len(deps) == 0 {
		return nil
	}
	seen := map[string]bool{}
	queue := append([]string(nil), deps...)
	var order []string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		order = append(order, p)
		if body := c.defs[refKey{p, mode}]; body != nil {
			queue = append(queue, body.deps...)
		}
	}
	defs := newObject(len(order))
	for _, p := range order {
		body := c.defs[refKey{p, mode}]
		if body == nil {
			body = c.memo[refKey{p, mode}]
		}
		if body == nil || isSelfRef(body.schema, "#/$defs/"+c.nameOf(p)) {
			body = emptySchema()
		}
		defs.set(c.nameOf(p), body.schema)
	}
	sortObject(defs)
	return defs
}

func isSelfRef(o *object, ref string) bool {
	return o.len() == 1 && o.str("$ref") == ref
}

// sortObject orders keys alphabetically (for $defs, whose discovery order
// depends on traversal).
func sortObject(o *object) {
	type kv struct {
		k string
		v any
	}
	kvs := make([]kv, len(o.keys))
	for i, k := range o.keys {
		kvs[i] = kv{k, o.vals[i]}
	}
	slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	for i, e := range kvs {
		o.keys[i], o.vals[i] = e.k, e.v
	}
	if o.index != nil {
		for i, k := range o.keys {
			o.index[k] = i
		}
	}
}

// deref returns the schema a "#/$defs/..." reference stands for, so that
// annotations such as readOnly can be read through it.
func (c *converter) deref(s *object, mode schemaMode) *object {
	for i := 0; i < maxRefHops && s != nil; i++ {
		ref, ok := s.val("$ref").(string)
		if !ok || !strings.HasPrefix(ref, "#/$defs/") {
			return s
		}
		p := c.defPtr[strings.TrimPrefix(ref, "#/$defs/")]
		var next *object
		if body := c.defs[refKey{p, mode}]; body != nil {
			next = body.schema
		} else if body := c.memo[refKey{p, mode}]; body != nil {
			next = body.schema
		}
		s = next
	}
	return s
}

// annotationKeys are the keywords that may sit next to a $ref and apply to
// the use rather than to the referenced schema.
var annotationKeys = []string{"title", "description", "default", "deprecated", "readOnly", "writeOnly"}

// withAnnotations overlays the annotations written next to a $ref (allowed
// in 3.1, common in 3.0) on the converted reference, without touching the
// shared conversion.
func (c *converter) withAnnotations(r *converted, raw *object, mode schemaMode) *converted {
	var extra []string
	for _, k := range annotationKeys {
		if raw.has(k) {
			extra = append(extra, k)
		}
	}
	examples := collectExamples(raw)
	nullable := raw.boolean("nullable")
	if len(extra) == 0 && len(examples) == 0 && !nullable {
		return r
	}
	o := r.schema.clone()
	for _, k := range extra {
		setAnnotation(o, k, raw.val(k), mode)
	}
	if len(examples) > 0 {
		o.set("examples", examples)
	}
	out := &converted{schema: o, deps: r.deps, size: r.size + len(extra)}
	if nullable {
		out = addNull(out)
	}
	return out
}

func setAnnotation(o *object, k string, v any, mode schemaMode) {
	switch k {
	case "title", "description":
		if s, ok := v.(string); ok {
			o.set(k, s)
		}
	case "deprecated", "readOnly", "writeOnly":
		if b, ok := v.(bool); ok {
			o.set(k, b)
		}
	case "default":
		if !hasSchemaKeys(v) {
			o.set(k, v)
		}
	}
}

// addNull makes a converted schema accept null (OpenAPI 3.0 nullable).
func addNull(r *converted) *converted {
	s := r.schema
	if t, ok := s.get("type"); ok {
		types := typeList(t)
		for _, x := range types {
			if x == "null" {
				return r
			}
		}
		o := s.clone()
		o.set("type", typeValue(append(types, "null")))
		if enum := o.arr("enum"); enum != nil {
			hasNull := false
			for _, e := range enum {
				hasNull = hasNull || e == nil
			}
			if !hasNull {
				o.set("enum", append(append([]any(nil), enum...), nil))
			}
		}
		return &converted{schema: o, deps: r.deps, size: r.size}
	}
	if !s.has("$ref") && !s.has("allOf") && !s.has("anyOf") && !s.has("oneOf") && !s.has("enum") && !s.has("const") && !s.has("not") {
		return r // no type: null is already valid
	}
	w := newObject(3)
	inner := s
	for _, k := range []string{"title", "description"} {
		if v, ok := s.get(k); ok {
			if inner == s {
				inner = s.clone()
			}
			inner.del(k)
			w.set(k, v)
		}
	}
	null := newObject(1)
	null.set("type", "null")
	w.set("anyOf", []any{inner, null})
	return &converted{schema: w, deps: r.deps, size: r.size + 3}
}

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

var (
	numberKeys      = map[string]bool{"maximum": true, "minimum": true}
	exclusiveKeys   = map[string]bool{"exclusiveMaximum": true, "exclusiveMinimum": true}
	nonNegativeKeys = map[string]bool{
		"maxLength": true, "minLength": true, "maxItems": true, "minItems": true,
		"maxProperties": true, "minProperties": true, "maxContains": true, "minContains": true,
	}
)

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
