package openapi

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// builder walks a loaded OpenAPI 3 tree and fills a Spec.
type builder struct {
	root     *object
	swagger2 bool
	c        *converter
	spec     *Spec
}

func newBuilder(root *object, swagger2 bool) *builder {
	return &builder{root: root, swagger2: swagger2, c: newConverter(root), spec: &Spec{}}
}

func (b *builder) build() {
	info, _ := resolveObject(b.root, b.root.val("info"))
	b.spec.title = strings.TrimSpace(info.str("title"))

	paths, _ := resolveObject(b.root, b.root.val("paths"))
	keys := slices.Clone(paths.keysOrEmpty())
	slices.Sort(keys)

	var tools []*Tool
	for _, path := range keys {
		if !strings.HasPrefix(path, "/") {
			continue // x-… extensions of the paths object
		}
		raw := paths.val(path)
		item, err := resolveObject(b.root, raw)
		if err != nil {
			reason := fmt.Sprintf("path item cannot be used: %v", err)
			if ref, ok := refOf(raw); ok && !isLocalRef(ref) {
				reason = fmt.Sprintf("path item is an external $ref %q, which is never followed", ref)
			}
			b.spec.skipped = append(b.spec.skipped, Skipped{Operation: path, Reason: reason})
			continue
		}
		rt := newRoute(path)
		for _, method := range methodOrder {
			op, ok := item.val(strings.ToLower(method)).(*object)
			if !ok {
				continue
			}
			opName := method + " " + path
			rt.public[method] = b.isPublic(op)
			schedules := b.schedules(method, path, op)
			if v, ok := op.val("x-jelou-mcp").(bool); ok && !v {
				b.spec.skipped = append(b.spec.skipped, Skipped{Operation: opName, Reason: "marked x-jelou-mcp: false"})
				b.spec.schedules = append(b.spec.schedules, schedules...)
				continue
			}
			t, err := b.safeTool(method, path, item, op)
			if err != nil {
				b.spec.skipped = append(b.spec.skipped, Skipped{Operation: opName, Reason: err.Error()})
				b.spec.schedules = append(b.spec.schedules, schedules...)
				continue
			}
			tools = append(tools, t)
			b.spec.schedules = append(b.spec.schedules, schedules...)
		}
		b.spec.routes = append(b.spec.routes, rt)
	}

	if hooks, err := resolveObject(b.root, b.root.val("webhooks")); err == nil {
		for _, name := range hooks.keys {
			item, _ := resolveObject(b.root, hooks.val(name))
			for _, method := range methodOrder {
				if item.obj(strings.ToLower(method)) != nil {
					b.spec.skipped = append(b.spec.skipped, Skipped{
						Operation: "webhook " + name + " " + method,
						Reason:    "webhooks are requests the API sends, not operations to call",
					})
				}
			}
		}
	}

	b.name(tools)
	b.compile(tools)

	names := map[string]string{}
	for _, t := range b.spec.tools {
		names[t.Method+" "+t.Path] = t.Name
	}
	for i := range b.spec.schedules {
		b.spec.schedules[i].Tool = names[b.spec.schedules[i].Method+" "+b.spec.schedules[i].Path]
	}
}

// safeTool converts one operation; a panic becomes an error, so that one
// operation can never take down the document or the gateway.
func (b *builder) safeTool(method, path string, item, op *object) (t *Tool, err error) {
	defer func() {
		if r := recover(); r != nil {
			if panicsForTest {
				panic(r)
			}
			b.c.reset()
			t, err = nil, fmt.Errorf("internal error while converting: %v", r)
		}
	}()
	return b.operationTool(method, path, item, op)
}

// name gives every tool its final, unique name.
func (b *builder) name(tools []*Tool) {
	bases := make([]string, len(tools))
	for i, t := range tools {
		bases[i] = toolName(t.OperationID, t.Method, t.Path)
	}
	names := uniqueNames(bases)
	for i, t := range tools {
		t.Name = names[i]
	}
}

// compile compiles every input schema once (Validate uses it) and checks
// every output schema, as JSON Schema 2020-12.
//
// Tools share most of their $defs, so compiling each schema on its own
// repeats the same work many times (and dominates the load time of large
// documents). Instead all input schemas go into one resource, each under
// $defs/tool:<name> next to the shared definitions, and are compiled from
// there: every definition is checked and compiled once. The result is the
// same as compiling each tool's self-contained schema, because a tool's
// $defs are exactly the shared definitions it reaches. Should the shared
// resource fail, each tool is compiled on its own to find the culprit.
func (b *builder) compile(tools []*Tool) {
	inputs := b.compileAll(tools, "input", func(t *Tool) *object { return t.inputTree })
	outputs := b.compileAll(tools, "output", func(t *Tool) *object { return t.outputTree })
	for _, t := range tools {
		s, err := inputs[t], error(nil)
		if s == nil {
			if s, err = b.compileOne("input/"+t.Name, t.InputSchema); err != nil {
				b.spec.skipped = append(b.spec.skipped, Skipped{
					Operation: t.Method + " " + t.Path,
					Reason:    fmt.Sprintf("input schema is not valid JSON Schema: %v", err),
				})
				continue
			}
		}
		t.schema = s
		if t.OutputSchema != nil && outputs[t] == nil {
			if _, err := b.compileOne("output/"+t.Name, t.OutputSchema); err != nil {
				b.spec.outputDropped = append(b.spec.outputDropped, t.Name+": "+err.Error())
				t.OutputSchema, t.WrapResult = nil, false
			}
		}
		t.inputTree, t.outputTree = nil, nil
		b.spec.tools = append(b.spec.tools, *t)
	}
}

// compileAll compiles the given schema of every tool from one shared
// resource. It returns nil entries (or nil) where that did not work.
func (b *builder) compileAll(tools []*Tool, kind string, tree func(*Tool) *object) (out map[*Tool]*jsonschema.Schema) {
	defer func() {
		if r := recover(); r != nil {
			out = nil
		}
	}()
	defs := newObject(len(tools))
	var withSchema []*Tool
	for _, t := range tools {
		root := tree(t)
		if root == nil {
			continue
		}
		withSchema = append(withSchema, t)
		root = root.clone()
		if d := root.obj("$defs"); d != nil {
			for i, k := range d.keys {
				defs.set(k, d.vals[i])
			}
			root.del("$defs")
		}
		defs.set("tool:"+t.Name, root)
	}
	if len(withSchema) == 0 {
		return nil
	}
	doc := newObject(1)
	doc.set("$defs", defs)
	raw, err := marshalTree(doc)
	if err != nil {
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	url := "mem:///" + kind + ".json"
	if err := c.AddResource(url, v); err != nil {
		return nil
	}
	// One Compile per tool: the compiler keeps what it compiled, so each
	// shared definition is compiled once. (One Compile of a root referring
	// to every tool would be quadratic: the compiler's queue is a list.)
	out = map[*Tool]*jsonschema.Schema{}
	for _, t := range withSchema {
		if s, err := c.Compile(url + "#/$defs/tool:" + t.Name); err == nil {
			out[t] = s
		}
	}
	return out
}

// compileOne compiles one self-contained schema.
func (b *builder) compileOne(name string, schema []byte) (s *jsonschema.Schema, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("internal error: %v", r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	url := "mem:///tools/" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// isPublic reports whether an operation declares `security: []`, itself or
// through the document's top-level security that it does not override.
func (b *builder) isPublic(op *object) bool {
	if v, ok := op.get("security"); ok {
		a, isArr := v.([]any)
		return isArr && len(a) == 0
	}
	if v, ok := b.root.get("security"); ok {
		a, isArr := v.([]any)
		return isArr && len(a) == 0
	}
	return false
}

func (o *object) keysOrEmpty() []string {
	if o == nil {
		return nil
	}
	return o.keys
}
