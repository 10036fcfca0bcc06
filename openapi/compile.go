package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Compiling a schema with santhosh-tekuri/jsonschema (the validator mcp-go
// uses) happens in two places: for a tool's validators on its first call
// (check.go), and at Load for a schema the cheaper proof of prove.go does not
// accept, to name the problem. The compiled validators are not kept by Load.
//
// One property of that library shapes this file: one Compile call keeps its
// pending subschemas in a list and searches it for each new one, quadratic in
// the size of what it compiles at once. So subtrees larger than compileChunk
// are moved to synthetic definitions, and everything is compiled leaves first,
// each Compile call finding the rest already compiled.

// compileChunk is the largest inline subtree (in schema nodes) one Compile
// call is given.
const compileChunk = 200

// compileUnit is one schema to compile: a tool's input or output schema.
type compileUnit struct {
	name string
	root *object // with its $defs
}

func (b *builder) compile(tools []*Tool) {
	// Each kind of schema is proven valid (prove.go); one that is not is compiled, which
	// names the problem, or accepts it after all.
	check := func(tree func(*Tool) *object, shared bool) []error {
		var us []compileUnit
		var at []int
		for i, t := range tools {
			if root := tree(t); root != nil {
				us = append(us, compileUnit{t.Name, root})
				at = append(at, i)
			}
		}
		errs := make([]error, len(tools))
		for k, ok := range proveUnits(us, shared) {
			if !ok {
				_, errs[at[k]] = compileOne(us[k].name, us[k].root)
			}
		}
		return errs
	}
	// Trimmed schemas are checked on their own: their $defs may differ from the shared
	// definitions of the same name.
	inErrs := check(func(t *Tool) *object { return t.inputTree }, true)
	outErrs := check(func(t *Tool) *object { return t.outputTree }, true)
	listedInErrs := check(func(t *Tool) *object { return t.listedInput }, false)
	listedOutErrs := check(func(t *Tool) *object { return t.listedOutput }, false)
	for i, t := range tools {
		if err := inErrs[i]; err != nil {
			b.spec.skipped = append(b.spec.skipped, Skipped{
				Operation: t.Method + " " + t.Path,
				Reason:    fmt.Sprintf("input schema is not valid JSON Schema: %v", err),
			})
			continue
		}
		if err := outErrs[i]; err != nil {
			b.spec.outputDropped = append(b.spec.outputDropped, t.Name+": "+err.Error())
			t.OutputSchema, t.WrapResult = nil, false
		}
		if err := listedInErrs[i]; err != nil {
			b.spec.skipped = append(b.spec.skipped, Skipped{
				Operation: t.Method + " " + t.Path,
				Reason:    fmt.Sprintf("trimmed input schema is not valid JSON Schema: %v", err),
			})
			continue
		}
		if err := listedOutErrs[i]; err != nil {
			b.spec.outputDropped = append(b.spec.outputDropped, t.Name+": trimmed: "+err.Error())
			t.OutputSchema, t.WrapResult = nil, false
		}
		t.inputTree, t.outputTree, t.listedInput, t.listedOutput = nil, nil, nil, nil
		t.checks = newChecks(t)
		b.spec.tools = append(b.spec.tools, *t)
	}
}

// compileOne compiles one tool's schema (with its $defs) on its own.
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

func compileUnits(kind string, us []compileUnit) (out map[string]*jsonschema.Schema, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("internal error: %v", r)
		}
	}()
	doc, h := hoist(us)
	v, err := (&nativeConv{memo: map[*object]map[string]any{}}).value(doc)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{}) // the schemas are self-contained; nothing is read from outside
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

// hoist puts units into one resource, {"$defs": {…}}: each unit's root as "tool:<name>"
// beside the definitions they share by name, and every subtree larger than compileChunk as
// a synthetic definition of its own, once however many times the trees share it.
func hoist(us []compileUnit) (*object, *hoister) {
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
	return doc, h
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

// nativeConv turns a tree into the value jsonschema.UnmarshalJSON would
// decode from its JSON text (maps, []any, json.Number, string, bool, nil),
// without writing and parsing that text. An object reached twice (the
// hoister copies a subtree shared by several schemas once) becomes one map:
// the compiler only reads the document.
type nativeConv struct {
	memo map[*object]map[string]any
}

func (nc *nativeConv) value(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool:
		return v, nil
	case string:
		return ValidUTF8(v), nil
	case json.Number:
		if !isJSONNumber(string(v)) {
			return nil, fmt.Errorf("invalid number %q", string(v))
		}
		return v, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("unsupported number %v", v)
		}
		return json.Number(formatFloat(v)), nil
	case int:
		return json.Number(strconv.Itoa(v)), nil
	case int64:
		return json.Number(strconv.FormatInt(v, 10)), nil
	case *object:
		if v == nil {
			return nil, nil
		}
		if m, ok := nc.memo[v]; ok {
			return m, nil
		}
		m := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			e, err := nc.value(v.vals[i])
			if err != nil {
				return nil, err
			}
			m[ValidUTF8(k)] = e
		}
		nc.memo[v] = m
		return m, nil
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			c, err := nc.value(e)
			if err != nil {
				return nil, err
			}
			a[i] = c
		}
		return a, nil
	default:
		// Whatever writeJSON does with other types, through the text.
		raw, err := marshalTree(v)
		if err != nil {
			return nil, err
		}
		return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	}
}

// ValidUTF8 returns s with each byte that is not part of valid UTF-8 replaced by U+FFFD,
// as encoding/json reads and writes such text.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// noLoader refuses every resource outside the schema being compiled: jsonschema's default
// loader would read local files for a file: $ref.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external reference %q is not loaded", url)
}
