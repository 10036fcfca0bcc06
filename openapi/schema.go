package openapi

import (
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
	objMemo   map[objKey]*converted
	defs      map[refKey]*converted // bodies of references emitted as $defs
	defName   map[string]string     // canonical pointer → name under $defs
	defPtr    map[string]string     // name under $defs → canonical pointer
}

// objKey identifies an inline schema object: the same object can appear in
// many places (path-level parameters, YAML aliases) and is converted once.
type objKey struct {
	o    *object
	mode schemaMode
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
		objMemo:   map[objKey]*converted{},
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
			if sib := schemaSiblings(v); sib != nil {
				// JSON Schema 2020-12 (and so OpenAPI 3.1) applies keywords
				// next to $ref as well: both must hold.
				if s := c.object(sib, mode, refDepth); s.schema.len() > 0 {
					w := newObject(1)
					w.set("allOf", []any{r.schema, s.schema})
					r = &converted{schema: w, deps: append(append([]string(nil), r.deps...), s.deps...), size: r.size + s.size + 1}
				}
			}
			return c.withAnnotations(r, v, mode)
		}
		key := objKey{v, mode}
		if r := c.objMemo[key]; r != nil {
			return r
		}
		r := c.object(v, mode, refDepth)
		c.objMemo[key] = r
		return r
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

// schemaSiblings returns the keywords next to a $ref other than the
// annotations withAnnotations handles, nil when there are none.
func schemaSiblings(raw *object) *object {
	var sib *object
	for i, k := range raw.keys {
		switch {
		case k == "$ref", k == "example", k == "examples", k == "nullable", strings.HasPrefix(k, "x-"),
			slices.Contains(annotationKeys, k):
			continue
		}
		if sib == nil {
			sib = newObject(2)
		}
		sib.set(k, raw.vals[i])
	}
	return sib
}

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
