package openapi

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Compiling the emitted schemas with santhosh-tekuri/jsonschema (the
// validator mcp-go uses) proves they are valid JSON Schema 2020-12, and gives
// Validate its compiled input schemas.
//
// Two properties of that library shape this file:
//   - Compiling each tool's self-contained schema repeats the work on the
//     definitions tools share, which dominated the load time of large
//     documents. So all schemas of one kind go into one resource, as
//     $defs/tool:<name> next to the shared definitions (a tool's $defs are
//     exactly the shared definitions it reaches, so the result is the same).
//   - One Compile call keeps its pending subschemas in a list and searches
//     it for each new one: quadratic in the size of what it compiles at once.
//     So subtrees larger than compileChunk are moved to synthetic
//     definitions, and everything is compiled leaves first, each Compile
//     call finding the rest already compiled.

// compileChunk is the largest inline subtree (in schema nodes) one Compile
// call is given.
const compileChunk = 200

// compileUnit is one schema to compile: a tool's input or output schema.
type compileUnit struct {
	name string
	root *object // with its $defs
}

func (b *builder) compile(tools []*Tool) {
	inputs := compileShared("input", units(tools, func(t *Tool) *object { return t.inputTree }))
	outputs := compileShared("output", units(tools, func(t *Tool) *object { return t.outputTree }))
	for _, t := range tools {
		s := inputs[t.Name]
		if s == nil {
			var err error
			if s, err = compileOne(t.Name, t.inputTree); err != nil {
				b.spec.skipped = append(b.spec.skipped, Skipped{
					Operation: t.Method + " " + t.Path,
					Reason:    fmt.Sprintf("input schema is not valid JSON Schema: %v", err),
				})
				continue
			}
		}
		t.schema = s
		if t.outputTree != nil && outputs[t.Name] == nil {
			if _, err := compileOne(t.Name, t.outputTree); err != nil {
				b.spec.outputDropped = append(b.spec.outputDropped, t.Name+": "+err.Error())
				t.OutputSchema, t.WrapResult = nil, false
			}
		}
		t.inputTree, t.outputTree = nil, nil
		b.spec.tools = append(b.spec.tools, *t)
	}
}

func units(tools []*Tool, tree func(*Tool) *object) []compileUnit {
	var out []compileUnit
	for _, t := range tools {
		if root := tree(t); root != nil {
			out = append(out, compileUnit{t.Name, root})
		}
	}
	return out
}

// compileOne compiles one tool's schema on its own, to tell which one is bad
// when the shared resource does not compile.
func compileOne(name string, root *object) (*jsonschema.Schema, error) {
	s, err := compileUnits("tool", []compileUnit{{name, root}})
	if err != nil {
		return nil, err
	}
	if s[name] == nil {
		return nil, fmt.Errorf("schema of %s does not compile", name)
	}
	return s[name], nil
}

// compileShared compiles units from one resource; nil on any failure, in
// which case the caller compiles them one by one.
func compileShared(kind string, us []compileUnit) map[string]*jsonschema.Schema {
	if len(us) == 0 {
		return nil
	}
	s, err := compileUnits(kind, us)
	if err != nil {
		return nil
	}
	return s
}

func compileUnits(kind string, us []compileUnit) (out map[string]*jsonschema.Schema, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("internal error: %v", r)
		}
	}()
	h := &hoister{defs: newObject(len(us)), memo: map[*object]hoisted{}, names: map[*object]string{}}
	for _, u := range us {
		root := u.root.clone()
		if d := root.obj("$defs"); d != nil {
			for i, k := range d.keys {
				if !h.defs.has(k) {
					h.defs.set(k, d.vals[i])
				}
			}
			root.del("$defs")
		}
		h.defs.set("tool:"+u.name, root)
	}
	// Split every entry (shared definitions and tool roots) into chunks.
	for i := range h.defs.keys {
		c, _ := h.walk(h.defs.vals[i])
		h.defs.vals[i] = c
	}
	doc := newObject(1)
	doc.set("$defs", h.defs)
	raw, err := marshalTree(doc)
	if err != nil {
		return nil, err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	url := "mem:///" + kind + ".json"
	if err := c.AddResource(url, v); err != nil {
		return nil, err
	}
	out = map[string]*jsonschema.Schema{}
	for _, name := range h.leavesFirst() {
		s, err := c.Compile(url + "#/$defs/" + name)
		if err != nil {
			continue // a tool root that fails is reported by its caller
		}
		if strings.HasPrefix(name, "tool:") {
			out[strings.TrimPrefix(name, "tool:")] = s
		}
	}
	return out, nil
}

// hoister copies schema trees, moving subtrees larger than compileChunk
// into synthetic definitions (h:<n>) of the shared resource.
type hoister struct {
	defs  *object
	memo  map[*object]hoisted // original subtree → its copy
	names map[*object]string  // hoisted copy → its definition name
}

type hoisted struct {
	v any
	n int // schema nodes left inline
}

var (
	// Keywords whose value is a schema, a map of schemas, or a list of schemas.
	schemaValued = map[string]bool{
		"items": true, "additionalProperties": true, "unevaluatedProperties": true,
		"unevaluatedItems": true, "not": true, "if": true, "then": true, "else": true,
		"contains": true, "propertyNames": true, "contentSchema": true,
	}
	schemaMaps  = map[string]bool{"properties": true, "patternProperties": true, "dependentSchemas": true}
	schemaLists = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true, "prefixItems": true}
)

func (h *hoister) walk(v any) (any, int) {
	o, ok := v.(*object)
	if !ok {
		return v, 1
	}
	if r, ok := h.memo[o]; ok {
		return r.v, r.n
	}
	out := newObject(o.len())
	n := 1
	for i, k := range o.keys {
		val := o.vals[i]
		switch {
		case schemaValued[k]:
			c, cn := h.child(val)
			val, n = c, n+cn
		case schemaMaps[k]:
			if m, ok := val.(*object); ok {
				mm := newObject(m.len())
				for j, name := range m.keys {
					c, cn := h.child(m.vals[j])
					mm.set(name, c)
					n += cn
				}
				val = mm
			}
		case schemaLists[k]:
			if a, ok := val.([]any); ok {
				aa := make([]any, len(a))
				for j, e := range a {
					c, cn := h.child(e)
					aa[j] = c
					n += cn
				}
				val = aa
			}
		}
		out.set(k, val)
	}
	h.memo[o] = hoisted{out, n}
	return out, n
}

func (h *hoister) child(v any) (any, int) {
	c, n := h.walk(v)
	if n <= compileChunk {
		return c, n
	}
	co := c.(*object)
	name, ok := h.names[co]
	if !ok {
		name = "h:" + strconv.Itoa(len(h.names))
		h.names[co] = name
		h.defs.set(name, co)
	}
	return refObject("#/$defs/" + name), 1
}

// leavesFirst orders the resource's definitions so that each comes after
// the definitions it refers to (cycles are broken anywhere).
func (h *hoister) leavesFirst() []string {
	refs := func(v any) []string {
		var out []string
		var visit func(v any, depth int)
		visit = func(v any, depth int) {
			o, ok := v.(*object)
			if !ok || depth > compileChunk {
				return
			}
			if r, ok := o.val("$ref").(string); ok && strings.HasPrefix(r, "#/$defs/") {
				out = append(out, strings.TrimPrefix(r, "#/$defs/"))
			}
			for i, k := range o.keys {
				switch val := o.vals[i]; {
				case schemaValued[k]:
					visit(val, depth+1)
				case schemaMaps[k]:
					if m, ok := val.(*object); ok {
						for _, e := range m.vals {
							visit(e, depth+1)
						}
					}
				case schemaLists[k]:
					if a, ok := val.([]any); ok {
						for _, e := range a {
							visit(e, depth+1)
						}
					}
				}
			}
		}
		visit(v, 0)
		return out
	}
	state := map[string]int{} // 1 visiting, 2 done
	var order []string
	var dfs func(name string)
	dfs = func(name string) {
		if state[name] != 0 {
			return
		}
		state[name] = 1
		v, ok := h.defs.get(name)
		if !ok {
			return
		}
		for _, r := range refs(v) {
			dfs(r)
		}
		state[name] = 2
		order = append(order, name)
	}
	for _, name := range h.defs.keys {
		dfs(name)
	}
	return order
}
