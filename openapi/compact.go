package openapi

import (
	"bytes"
	"slices"
	"strings"
)

// Compact definitions. A client lists every tool's schemas to the model, and
// a few real operations have schemas of hundreds of KB (AWS MediaLive, a
// Square endpoint) that would fill its context on their own. So a schema
// whose compact JSON is over MaxListedSchema is listed trimmed, in a fixed
// order, each step taken only while the schema is still too large:
//
//  1. Descriptions below the top-level properties (and in $defs) are cut to
//     100 characters, then removed; top-level descriptions are cut to 100
//     characters too, keeping a (sent as "…") note.
//  2. examples and default are removed everywhere.
//  3. Schemas nested deeper than a limit become {type, description}, with
//     the deepest limit at which the schema fits (as lowering it one level
//     at a time would find).
//  4. Optional top-level properties become {type, description}, the largest
//     first.
//  5. Optional top-level properties are left out, the last first.
//  6. As a last resort, required top-level properties become {type,
//     description}, the largest first. They are never left out.
//
// $defs that nothing refers to any more are dropped, so no $ref dangles. The
// listed schema stays an object schema that compiles; arguments are still
// validated against the full schema.

// MaxListedSchema is the largest inputSchema or outputSchema a tool is
// listed with, in bytes of compact JSON as a client receives it.
const MaxListedSchema = 16 << 10

// nestedDescription is the length nested descriptions are cut to first.
const nestedDescription = 100

// listedSize is the size of a compact JSON schema once a client receives it
// inside a tools/list result: encoding/json (which mcp-go uses) writes <, >
// and & as \u003c… and U+2028 and U+2029 as \u2028 and \u2029.
func listedSize(b []byte) int {
	n := len(b)
	n += 5 * (bytes.Count(b, []byte("<")) + bytes.Count(b, []byte(">")) + bytes.Count(b, []byte("&")))
	n += 3 * (bytes.Count(b, []byte("\u2028")) + bytes.Count(b, []byte("\u2029")))
	return n
}

// compactSchema returns a trimmed copy of an object schema (the tree of an
// input or output schema, with its $defs) whose listed size is at most
// limit, and its JSON. The properties its required lists stay. ok is false
// when even the last step leaves it larger.
func compactSchema(root *object, limit int) (*object, []byte, bool) {
	// Every step copies what it changes: the tree shares subtrees with
	// other tools' schemas.
	s := root

	// 1. Descriptions.
	s = mapNested(s, func(o *object) *object { return cutDescription(o, nestedDescription) })
	if b, ok := fitsIn(s, limit); ok {
		return s, b, true
	}
	s = mapNested(s, func(o *object) *object { return without(o, "description") })
	s = mapTop(s, func(o *object) *object { return cutDescription(o, nestedDescription) })
	if b, ok := fitsIn(s, limit); ok {
		return s, b, true
	}

	// 2. Examples and defaults.
	strip := func(o *object) *object { return without(o, "examples", "default") }
	s = mapTop(mapNested(s, strip), strip)
	if b, ok := fitsIn(s, limit); ok {
		return s, b, true
	}

	// 3. Nesting.
	if best, b := deepestFitting(s, limit); best != nil {
		return best, b, true
	}
	s = depthLimited(s, 2)

	// 4-6. Whole top-level properties.
	return compactProperties(s, limit)
}

// fitsIn returns the JSON of o, and whether its listed size is at most
// limit.
func fitsIn(o *object, limit int) ([]byte, bool) {
	b, err := marshalTree(o)
	return b, err == nil && listedSize(b) <= limit
}

// treeSize is the listed size of v's JSON.
func treeSize(v any) int {
	var n int
	_ = withTreeJSON(v, func(b []byte) { n = listedSize(b) })
	return n
}

// deepestFitting is step 3: the schema cut at the deepest nesting limit at
// which it fits, and its JSON; nil when none does. The size shrinks with
// the limit, so a binary search finds the limit that lowering it one level
// at a time would, with fewer tries. The top-level properties are at depth
// 1, left to step 4.
func deepestFitting(s *object, limit int) (*object, []byte) {
	lo, hi := 2, schemaDepth(s)-1 // the answer is in [lo, hi], or none
	var best *object
	var bestJSON []byte
	for lo <= hi {
		mid := lo + (hi-lo)/2
		cut := depthLimited(s, mid)
		if b, ok := fitsIn(cut, limit); ok {
			best, bestJSON, lo = cut, b, mid+1
		} else {
			hi = mid - 1
		}
	}
	return best, bestJSON
}

// compactProperties is steps 4 to 6, on whole top-level properties. Sizes
// are tracked per property, and the real size checked whenever the
// estimate fits.
func compactProperties(s *object, limit int) (*object, []byte, bool) {
	props := s.obj("properties")
	if props == nil {
		b, ok := fitsIn(s, limit)
		return s, b, ok
	}
	s = s.clone()
	props = props.clone()
	s.set("properties", props)
	if ap := s.obj("additionalProperties"); ap != nil {
		s.set("additionalProperties", collapsed(ap, s.obj("$defs")))
	}
	t := &propertyTrim{s: s, props: props, required: map[string]bool{}, limit: limit}
	for _, r := range stringsOf(s.arr("required")) {
		t.required[r] = true
	}
	t.total = treeSize(withUsedDefs(s))

	// 4. Optional properties become {type, description}, the largest first.
	if cur, b, ok := t.collapse(false); ok {
		return cur, b, true
	}
	// 5. Optional properties left out, the last first.
	if cur, b, ok := t.leaveOutOptional(); ok {
		return cur, b, true
	}
	// 6. Required properties, which always stay, become {type, description}.
	if cur, b, ok := t.collapse(true); ok {
		return cur, b, true
	}
	s = withUsedDefs(s)
	b, ok := fitsIn(s, limit)
	return s, b, ok
}

// propertyTrim is steps 4 to 6 under way: the schema (a copy whose
// properties object, props, is its own to change), the names of its
// required properties, and the estimated listed size, total.
type propertyTrim struct {
	s, props *object
	required map[string]bool
	total    int
	limit    int
}

// sizeOf is the listed size of property i, with its name.
func (t *propertyTrim) sizeOf(i int) int {
	return treeSize(t.props.keys[i]) + treeSize(t.props.vals[i]) + 2 // ':' and ','
}

// check returns the schema without the $defs nothing refers to any more,
// and its JSON, when it fits; it checks the real size only when the
// estimate fits, and corrects the estimate when the real size does not.
func (t *propertyTrim) check() (*object, []byte, bool) {
	if t.total > t.limit {
		return nil, nil, false
	}
	cur := withUsedDefs(t.s)
	b, ok := fitsIn(cur, t.limit)
	if !ok {
		t.total = listedSize(b) // $defs shrank less than hoped
	}
	return cur, b, ok
}

// collapse turns the optional properties (the required ones when
// wantRequired) into {type, description}, the largest first, until the
// schema fits.
func (t *propertyTrim) collapse(wantRequired bool) (*object, []byte, bool) {
	type cand struct{ i, size int }
	var cands []cand
	for i, k := range t.props.keys {
		if _, ok := t.props.vals[i].(*object); ok && t.required[k] == wantRequired {
			cands = append(cands, cand{i, t.sizeOf(i)})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return b.size - a.size })
	for _, c := range cands {
		t.props.vals[c.i] = collapsed(t.props.vals[c.i].(*object), t.s.obj("$defs"))
		t.total -= c.size - t.sizeOf(c.i)
		if cur, b, ok := t.check(); ok {
			return cur, b, true
		}
	}
	return nil, nil, false
}

// leaveOutOptional leaves out the optional properties, the last first,
// until the schema fits.
func (t *propertyTrim) leaveOutOptional() (*object, []byte, bool) {
	for i := len(t.props.keys) - 1; i >= 0; i-- {
		if !t.required[t.props.keys[i]] {
			t.total -= t.sizeOf(i)
			t.props.del(t.props.keys[i])
			if cur, b, ok := t.check(); ok {
				return cur, b, true
			}
		}
	}
	return nil, nil, false
}

// cutDescription shortens o's description to n characters. A note saying
// what the property is sent as stays whole at its end.
func cutDescription(o *object, n int) *object {
	d, ok := o.val("description").(string)
	if !ok {
		return o
	}
	head, note := d, ""
	if i := strings.LastIndex(d, "(sent as "); i >= 0 && strings.HasSuffix(d, ")") {
		head, note = d[:i], d[i:]
	}
	cut := truncate(strings.TrimSpace(head), n)
	if note != "" {
		cut = withNote(cut, note)
	}
	if cut == d {
		return o
	}
	o = o.clone()
	o.set("description", cut)
	return o
}

// without returns o without the given keywords.
func without(o *object, keys ...string) *object {
	has := false
	for _, k := range keys {
		has = has || o.has(k)
	}
	if !has {
		return o
	}
	o = o.clone()
	for _, k := range keys {
		o.del(k)
	}
	return o
}

// collapsed is what a trimmed schema becomes: its type and description
// only, taken from the definition it refers to when it has none.
func collapsed(o *object, defs *object) *object {
	out := newObject(2)
	src := o
	if ref, ok := o.val("$ref").(string); ok && defs != nil {
		if d, ok := defs.val(strings.TrimPrefix(ref, "#/$defs/")).(*object); ok {
			src = d
		}
	}
	if t, ok := o.get("type"); ok {
		out.set("type", t)
	} else if t, ok := src.get("type"); ok {
		out.set("type", t)
	}
	if d, ok := o.val("description").(string); ok {
		out.set("description", d)
	} else if d, ok := src.val("description").(string); ok {
		out.set("description", d)
	}
	return out
}

// schemaDepth is the deepest nesting of the schema: 0 for the root, 1 for a
// top-level property, and so on, counting $defs bodies at the depth of the
// shallowest reference to them.
func schemaDepth(root *object) int {
	deepest := 0
	defs := root.obj("$defs")
	at := map[string]int{} // definition → shallowest depth reached
	var walk func(v any, d int)
	walk = func(v any, d int) {
		o, ok := v.(*object)
		if !ok {
			return
		}
		deepest = max(deepest, d)
		if name, ok := defRefName(o); ok && defs != nil {
			if prev, seen := at[name]; !seen || d < prev {
				at[name] = d
				walk(defs.val(name), d)
			}
		}
		mapChildren(o, func(c any) any {
			walk(c, d+1)
			return c
		})
	}
	walk(without(root, "$defs"), 0)
	return deepest
}

// depthLimited returns a copy of root in which every schema deeper than
// limit is collapsed. A $defs body counts at the depth of the shallowest
// reference to it; bodies nothing refers to any more are left out.
func depthLimited(root *object, limit int) *object {
	defs := root.obj("$defs")
	at := map[string]int{}
	var queue []string
	var walk func(v any, d int) any
	walk = func(v any, d int) any {
		o, ok := v.(*object)
		if !ok {
			return v
		}
		if d > limit {
			return collapsed(o, defs)
		}
		if name, ok := defRefName(o); ok && defs != nil && defs.has(name) {
			if prev, seen := at[name]; !seen || d < prev {
				at[name] = d
				queue = append(queue, name)
			}
		}
		return mapChildren(o, func(c any) any { return walk(c, d+1) })
	}
	out := walk(without(root, "$defs"), 0).(*object)
	if defs == nil {
		return out
	}
	done := map[string]any{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		// A definition reached again, shallower, is redone at that depth.
		done[name] = walk(defs.val(name), at[name])
	}
	if len(done) > 0 {
		nd := newObject(len(done))
		for _, k := range defs.keys {
			if v, ok := done[k]; ok {
				nd.set(k, v)
			}
		}
		out.set("$defs", nd)
	}
	return out
}

// withUsedDefs returns root with only the $defs its schemas refer to,
// directly or through other definitions.
func withUsedDefs(root *object) *object {
	defs := root.obj("$defs")
	if defs == nil {
		return root
	}
	used := map[string]bool{}
	var walk func(v any) any
	walk = func(v any) any {
		o, ok := v.(*object)
		if !ok {
			return v
		}
		if name, ok := defRefName(o); ok && !used[name] && defs.has(name) {
			used[name] = true
			walk(defs.val(name))
		}
		return mapChildren(o, walk)
	}
	walk(without(root, "$defs"))
	out := root.clone()
	if len(used) == 0 {
		out.del("$defs")
		return out
	}
	nd := newObject(len(used))
	for i, k := range defs.keys {
		if used[k] {
			nd.set(k, defs.vals[i])
		}
	}
	out.set("$defs", nd)
	return out
}

// defRefName returns the definition a {"$ref":"#/$defs/Name"} names.
func defRefName(o *object) (string, bool) {
	ref, ok := o.val("$ref").(string)
	if !ok || !strings.HasPrefix(ref, "#/$defs/") {
		return "", false
	}
	return strings.TrimPrefix(ref, "#/$defs/"), true
}
