package openapi

import "slices"

// A tool's inputSchema (and an object outputSchema) must be one flat object:
// clients reject oneOf/anyOf/allOf at the top. flatten merges an object
// schema and its combinators into one list of properties.
//   - allOf: every part's properties, and the union of their required lists.
//   - oneOf/anyOf: every variant's properties (a name declared differently
//     by several variants gets an anyOf of the declarations); a property is
//     required only when every variant requires it.
// It fails (ok false) when a part is not an object, so that the caller can
// keep the schema whole under a single property instead.

type flatSchema struct {
	props       *object // name → emitted schema
	required    []string
	deps        []string
	additional  any // emitted additionalProperties, nil when absent
	description string
	isObject    bool // declared type object, or has properties
}

// maxFlattenParts bounds the work of one flatten: nested oneOf of oneOf
// could otherwise multiply. Past it the body is kept whole under "body".
const maxFlattenParts = 1000

func (c *converter) flatten(v any, mode schemaMode) (*flatSchema, bool) {
	budget := maxFlattenParts
	return c.flattenDepth(v, mode, map[string]bool{}, 0, &budget)
}

func (c *converter) flattenDepth(v any, mode schemaMode, seen map[string]bool, depth int, budget *int) (*flatSchema, bool) {
	if *budget--; *budget < 0 || depth > maxInlineRefs*2 {
		return nil, false
	}
	target, ptr, err := resolve(c.root, v)
	if err != nil {
		return nil, false
	}
	if ptr != "" {
		if seen[ptr] {
			return nil, false
		}
		seen[ptr] = true
		defer delete(seen, ptr)
	}
	o, ok := target.(*object)
	if !ok {
		return nil, false
	}
	f := &flatSchema{props: newObject(4)}
	if t, ok := o.get("type"); ok {
		types, _ := normaliseTypes(t)
		hasObject := false
		for _, x := range types {
			hasObject = hasObject || x == "object"
		}
		if len(types) > 0 && !hasObject {
			return nil, false
		}
		f.isObject = hasObject
	}
	if d, ok := o.val("description").(string); ok {
		f.description = d
	}
	input := mode == modeInput

	// The object's own properties: converted like any nested schema.
	own := c.object(onlyKeys(o, "properties", "required", "additionalProperties"), mode, 0)
	f.deps = append(f.deps, own.deps...)
	if props := own.schema.obj("properties"); props != nil {
		for i, k := range props.keys {
			f.props.set(k, props.vals[i])
		}
		f.isObject = true
	}
	if input {
		f.required = append(f.required, stringsOf(own.schema.arr("required"))...)
	}
	if ap, ok := own.schema.get("additionalProperties"); ok {
		f.additional = ap
	}

	for _, part := range o.arr("allOf") {
		pf, ok := c.flattenDepth(part, mode, seen, depth+1, budget)
		if !ok {
			return nil, false
		}
		f.merge(pf, false)
		f.required = append(f.required, pf.required...)
		if f.description == "" {
			f.description = pf.description
		}
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		variants := o.arr(k)
		if len(variants) == 0 {
			continue
		}
		var common map[string]int
		for i, variant := range variants {
			vf, ok := c.flattenDepth(variant, mode, seen, depth+1, budget)
			if !ok {
				return nil, false
			}
			f.merge(vf, true)
			if i == 0 {
				common = map[string]int{}
			}
			for _, r := range dedupe(vf.required) {
				common[r]++
			}
		}
		for _, r := range sortedKeys(common) {
			if common[r] == len(variants) {
				f.required = append(f.required, r)
			}
		}
	}
	f.required = dedupe(f.required)
	return f, true
}

// merge adds another part's properties. A property declared differently by
// two parts is kept as allOf of both (allOf parts) or anyOf (variants).
func (f *flatSchema) merge(g *flatSchema, variant bool) {
	f.deps = append(f.deps, g.deps...)
	f.isObject = f.isObject || g.isObject || g.props.len() > 0
	for i, k := range g.props.keys {
		nv := g.props.vals[i]
		old, ok := f.props.get(k)
		if !ok {
			f.props.set(k, nv)
			continue
		}
		if treeEqual(old, nv) {
			continue
		}
		if merged, ok := mergeSimilar(old, nv, variant); ok {
			f.props.set(k, merged)
			continue
		}
		kw := "allOf"
		if variant {
			kw = "anyOf"
		}
		if oo, ok := old.(*object); ok && oo.len() == 1 && oo.has(kw) {
			list := append(append([]any(nil), oo.arr(kw)...), nv)
			w := newObject(1)
			w.set(kw, list)
			f.props.set(k, w)
			continue
		}
		w := newObject(1)
		w.set(kw, []any{old, nv})
		f.props.set(k, w)
	}
	if f.additional == nil && g.additional != nil {
		f.additional = g.additional
	}
}

// mergeSimilar combines two declarations of one property without a
// combinator when one is simply a refinement of the other: allOf keeps the
// more detailed one, variants keep the less constrained one, and variants
// that differ only by their enum get the union of the enums (the common
// discriminator case).
func mergeSimilar(a, b any, variant bool) (any, bool) {
	ao, ok1 := a.(*object)
	bo, ok2 := b.(*object)
	if !ok1 || !ok2 {
		return nil, false
	}
	aInB, bInA := subsetOf(ao, bo), subsetOf(bo, ao)
	switch {
	case aInB && !variant, bInA && variant:
		return bo, true
	case bInA && !variant, aInB && variant:
		return ao, true
	}
	if variant && ao.has("enum") && bo.has("enum") {
		ae, be := ao.clone(), bo.clone()
		ae.del("enum")
		be.del("enum")
		if treeEqual(ae, be) {
			u := ao.clone()
			u.set("enum", cleanEnum(append(append([]any(nil), ao.arr("enum")...), bo.arr("enum")...)))
			return u, true
		}
	}
	return nil, false
}

// subsetOf reports whether every keyword of a is in b with the same value.
func subsetOf(a, b *object) bool {
	for i, k := range a.keys {
		v, ok := b.get(k)
		if !ok || !treeEqual(a.vals[i], v) {
			return false
		}
	}
	return true
}

// onlyKeys returns a copy of o holding only the given keys.
func onlyKeys(o *object, keys ...string) *object {
	out := newObject(len(keys))
	for _, k := range keys {
		if v, ok := o.get(k); ok {
			out.set(k, v)
		}
	}
	return out
}

func stringsOf(a []any) []string {
	out := make([]string, 0, len(a))
	for _, e := range a {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
