package openapi

import (
	"encoding/json"
	"slices"
)

// Copying schema trees with some subschemas replaced, for compact.go: what is not
// replaced stays shared, so the trees of other tools are never changed.

// mapNested applies f to every schema below the top-level properties,
// including the bodies of $defs. It returns a new root; the schemas it
// changes are copies.
func mapNested(root *object, f func(*object) *object) *object {
	var walk func(v any) any
	walk = func(v any) any {
		o, ok := v.(*object)
		if !ok {
			return v
		}
		return f(mapChildren(o, walk))
	}
	out := root.clone()
	if props := root.obj("properties"); props != nil {
		np := newObject(props.len())
		for i, k := range props.keys {
			if o, ok := props.vals[i].(*object); ok {
				np.set(k, mapChildren(o, walk))
			} else {
				np.set(k, props.vals[i])
			}
		}
		out.set("properties", np)
	}
	for _, k := range []string{"additionalProperties", "patternProperties"} {
		if v, ok := root.get(k); ok {
			out.set(k, mapChildren(wrapIn(k, v), walk).val(k))
		}
	}
	if defs := root.obj("$defs"); defs != nil {
		nd := newObject(defs.len())
		for i, k := range defs.keys {
			nd.set(k, walk(defs.vals[i]))
		}
		out.set("$defs", nd)
	}
	return out
}

// mapTop applies f to every top-level property schema.
func mapTop(root *object, f func(*object) *object) *object {
	props := root.obj("properties")
	if props == nil {
		return root
	}
	np := newObject(props.len())
	for i, k := range props.keys {
		if o, ok := props.vals[i].(*object); ok {
			np.set(k, f(o))
		} else {
			np.set(k, props.vals[i])
		}
	}
	out := root.clone()
	out.set("properties", np)
	return out
}

func wrapIn(k string, v any) *object {
	o := newObject(1)
	o.set(k, v)
	return o
}

// mapChildren returns a copy of o whose subschemas are replaced by f's
// results, or o itself when f changes none of them: the result must not be
// modified in place. Values that are data (enum, const, examples, default)
// are not schemas and are left alone.
func mapChildren(o *object, f func(any) any) *object {
	var out *object // o's copy, made at the first child f changes
	for i, k := range o.keys {
		val := o.vals[i]
		next := val
		switch {
		case schemaValued[k]:
			next = f(val)
		case schemaMaps[k] || k == "$defs":
			if m, ok := val.(*object); ok {
				next = mapMembers(m, f)
			}
		case schemaLists[k]:
			if a, ok := val.([]any); ok {
				next = mapList(a, f)
			}
		}
		if out == nil && !sameValue(next, val) {
			out = o.clone()
		}
		if out != nil {
			out.vals[i] = next
		}
	}
	if out == nil {
		return o
	}
	return out
}

// mapMembers applies f to each member of m: m itself when f changes none.
func mapMembers(m *object, f func(any) any) *object {
	vals := mapList(m.vals, f)
	if sameValue(vals, m.vals) {
		return m
	}
	out := m.clone()
	out.vals = vals
	return out
}

// mapList applies f to each element of a: a itself when f changes none.
func mapList(a []any, f func(any) any) []any {
	var out []any
	for j, v := range a {
		next := f(v)
		if out == nil && !sameValue(next, v) {
			out = slices.Clone(a)
		}
		if out != nil {
			out[j] = next
		}
	}
	if out == nil {
		return a
	}
	return out
}

// sameValue reports whether b is a itself: the same object or list, or an equal scalar.
// Anything else counts as changed.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case *object:
		bo, ok := b.(*object)
		return ok && a == bo
	case []any:
		bl, ok := b.([]any)
		return ok && len(a) == len(bl) && (len(a) == 0 || &a[0] == &bl[0])
	case nil, bool, string, json.Number, float64, int, int64:
		switch b.(type) {
		case nil, bool, string, json.Number, float64, int, int64:
			return a == b
		}
	}
	return false
}
