package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Compiling the emitted schemas with santhosh-tekuri/jsonschema (the
// validator mcp-go uses) proves they are valid JSON Schema 2020-12. The
// compiled validators are not kept: a tool compiles its own the first time a
// call needs them (check.go).
//
// Two properties of that library shape this file:
//   - Compiling each tool's self-contained schema repeats the work on the
//     definitions tools share, which dominated the load time of large
//     documents. So the schemas of one kind go into one resource, as
//     $defs/tool:<name> next to the shared definitions (a tool's $defs are
//     exactly the shared definitions it reaches, so the result is the same);
//     large documents are split into a few such resources, one per batch of
//     neighbouring tools, compiled at once (see compileAll).
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
	inputs, outputs := compileAll(
		units(tools, func(t *Tool) *object { return t.inputTree }),
		units(tools, func(t *Tool) *object { return t.outputTree }))
	listedErrs := compileListed(tools)
	for i, t := range tools {
		if inputs[t.Name] == nil {
			if _, err := compileOne(t.Name, t.inputTree); err != nil {
				b.spec.skipped = append(b.spec.skipped, Skipped{
					Operation: t.Method + " " + t.Path,
					Reason:    fmt.Sprintf("input schema is not valid JSON Schema: %v", err),
				})
				continue
			}
		}
		if t.outputTree != nil && outputs[t.Name] == nil {
			if _, err := compileOne(t.Name, t.outputTree); err != nil {
				b.spec.outputDropped = append(b.spec.outputDropped, t.Name+": "+err.Error())
				t.OutputSchema, t.WrapResult = nil, false
			}
		}
		// Trimmed schemas are compiled on their own: their $defs may differ
		// from the shared definitions of the same name.
		if t.listedInput != nil {
			if err := listedErrs[2*i]; err != nil {
				b.spec.skipped = append(b.spec.skipped, Skipped{
					Operation: t.Method + " " + t.Path,
					Reason:    fmt.Sprintf("trimmed input schema is not valid JSON Schema: %v", err),
				})
				continue
			}
		}
		if t.listedOutput != nil {
			if err := listedErrs[2*i+1]; err != nil {
				b.spec.outputDropped = append(b.spec.outputDropped, t.Name+": trimmed: "+err.Error())
				t.OutputSchema, t.WrapResult = nil, false
			}
		}
		t.inputTree, t.outputTree, t.listedInput, t.listedOutput = nil, nil, nil, nil
		t.checks = newChecks(t)
		b.spec.tools = append(b.spec.tools, *t)
	}
}

// compileListed compiles the trimmed schemas (input and output of tool i at
// 2i and 2i+1) on GOMAXPROCS workers, and returns their errors.
func compileListed(tools []*Tool) []error {
	errs := make([]error, 2*len(tools))
	var jobs []int
	for i, t := range tools {
		if t.listedInput != nil {
			jobs = append(jobs, 2*i)
		}
		if t.listedOutput != nil {
			jobs = append(jobs, 2*i+1)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= len(jobs) {
					return
				}
				j := jobs[n]
				t, tree := tools[j/2], tools[j/2].listedInput
				if j%2 == 1 {
					tree = t.listedOutput
				}
				_, errs[j] = compileOne(t.Name, tree)
			}
		})
	}
	wg.Wait()
	return errs
}

// compileMinBatch is the fewest units worth a resource (and a compiler) of
// their own: each batch compiles again the shared definitions its units
// reach.
const compileMinBatch = 100

// compileAll compiles the input and the output units, each kind split into
// batches of neighbouring tools (which tend to share definitions) so that
// GOMAXPROCS workers compile them at once. Every batch is its own resource
// and compiler; only reads of the tools' trees are shared. The results are
// merged into maps and used in the tools' order, so nothing depends on
// scheduling.
func compileAll(inputs, outputs []compileUnit) (in, out map[string]*jsonschema.Schema) {
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		kind string
		us   []compileUnit
		res  map[string]*jsonschema.Schema
	}
	var jobs []*job
	for _, k := range []struct {
		kind string
		us   []compileUnit
	}{{"input", inputs}, {"output", outputs}} {
		n := min(workers, len(k.us)/compileMinBatch)
		if n < 1 {
			n = 1
		}
		for i := range n {
			lo, hi := i*len(k.us)/n, (i+1)*len(k.us)/n
			if lo < hi {
				jobs = append(jobs, &job{kind: k.kind, us: k.us[lo:hi]})
			}
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				jobs[i].res = compileShared(jobs[i].kind, jobs[i].us)
			}
		})
	}
	wg.Wait()
	in, out = map[string]*jsonschema.Schema{}, map[string]*jsonschema.Schema{}
	for _, j := range jobs {
		dst := in
		if j.kind == "output" {
			dst = out
		}
		for name, s := range j.res {
			dst[name] = s
		}
	}
	return in, out
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
		return validUTF8(v), nil
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
			m[validUTF8(k)] = e
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

// validUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as writeString does.
func validUTF8(s string) string {
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
