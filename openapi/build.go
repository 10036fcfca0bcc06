package openapi

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// maxTotalSchemaBytes bounds the memory one document's tools may take. The
// largest corpus document emits about 10 MB of schemas.
const maxTotalSchemaBytes = 128 << 20

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

	// The operations are converted in order; a tool's listed schemas are trimmed on the
	// other cores meanwhile (compacting); when all are, what each operation gave is recorded
	// in document order (events), so that the size rule and the skipped list come out as if
	// each tool had been trimmed as it was made.
	type event struct {
		skip   *Skipped
		tool   *Tool
		opName string
	}
	var events []event
	trim := startCompacting()
	defer trim.wait() // after a panic too: the trimming goroutines end
	skip := func(operation, reason string) {
		events = append(events, event{skip: &Skipped{Operation: operation, Reason: reason}})
	}
	for _, key := range keys {
		if strings.HasPrefix(key, "x-") || key == "" {
			continue // extensions of the paths object
		}
		raw := paths.val(key)
		// A path written without its leading slash is still a path.
		path := key
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		item, err := resolveObject(b.root, raw)
		if err != nil {
			reason := fmt.Sprintf("path item cannot be used: %v", err)
			if ref, ok := refOf(raw); ok && !isLocalRef(ref) {
				reason = fmt.Sprintf("path item is an external $ref %q, which is never followed", ref)
			}
			skip(path, reason)
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
			b.spec.schedules = append(b.spec.schedules, schedules...)
			if v, ok := op.val("x-jelou-mcp").(bool); ok && !v {
				skip(opName, "marked x-jelou-mcp: false")
				continue
			}
			t, err := b.safeTool(method, path, item, op)
			if err != nil {
				skip(opName, err.Error())
				continue
			}
			trim.add(t)
			events = append(events, event{tool: t, opName: opName})
		}
		b.spec.routes = append(b.spec.routes, rt)
	}

	trim.wait()
	var tools []*Tool
	total := 0 // bytes of emitted schemas
	for _, e := range events {
		t := e.tool
		switch {
		case e.skip != nil:
			b.spec.skipped = append(b.spec.skipped, *e.skip)
			continue
		case t.compactErr != nil:
			b.spec.skipped = append(b.spec.skipped, Skipped{Operation: e.opName, Reason: t.compactErr.Error()})
			continue
		}
		if total += len(t.InputSchema) + len(t.FullInputSchema) + len(t.OutputSchema); total > maxTotalSchemaBytes {
			b.spec.skipped = append(b.spec.skipped, Skipped{Operation: e.opName, Reason: "the document's tools exceed the total size allowed for their schemas"})
			continue
		}
		for _, h := range t.refused {
			b.spec.skipped = append(b.spec.skipped, Skipped{Operation: e.opName, Reason: fmt.Sprintf(
				"header parameter %q is left out of the tool: only the gateway sets X-Jelou-* and method-override headers", h)})
		}
		tools = append(tools, t)
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
	b.indexRoutes()

	names := map[string]string{}
	for _, t := range b.spec.tools {
		names[t.Method+" "+t.Path] = t.Name
	}
	for i := range b.spec.schedules {
		b.spec.schedules[i].Tool = names[b.spec.schedules[i].Method+" "+b.spec.schedules[i].Path]
	}
}

// indexRoutes prepares IsPublic: routes by segment count, or nothing when no
// operation is public.
func (b *builder) indexRoutes() {
	anyPublic := false
	for _, r := range b.spec.routes {
		for _, p := range r.public {
			anyPublic = anyPublic || p
		}
	}
	if !anyPublic {
		return
	}
	b.spec.routesBySegments = map[int][]int{}
	b.spec.literalsAt = map[int]map[string][]string{}
	for i, r := range b.spec.routes {
		b.spec.routesBySegments[len(r.segs)] = append(b.spec.routesBySegments[len(r.segs)], i)
		for j, sg := range r.segs {
			if sg.pattern != nil {
				continue
			}
			at := b.spec.literalsAt[j]
			if at == nil {
				at = map[string][]string{}
				b.spec.literalsAt[j] = at
			}
			for _, k := range foldKeys(sg.literal) {
				if !slices.Contains(at[k], sg.literal) {
					at[k] = append(at[k], sg.literal)
				}
			}
		}
	}
}

// compacting trims the listed schemas of the tools handed to it (Tool.compactInput and
// compactOutput) while the next operations are converted, on every other core; wait joins
// in on this one. compactSchema only reads the trees, which tools share and the converter
// never changes once made, and builds new ones. A panic there fails its tool as safeTool
// fails an operation.
type compacting struct {
	tools   chan *Tool
	wg      sync.WaitGroup
	started bool
	done    bool
}

func startCompacting() *compacting {
	return &compacting{tools: make(chan *Tool, 256)}
}

func (c *compacting) work() {
	for t := range c.tools {
		t.compact()
	}
}

func (c *compacting) add(t *Tool) {
	if t.compactInput == nil && t.compactOutput == nil {
		return
	}
	if !c.started { // most documents have no schema to trim: no goroutine for them
		c.started = true
		for range max(1, runtime.GOMAXPROCS(0)-1) {
			c.wg.Go(c.work)
		}
	}
	c.tools <- t
}

// wait returns when every tool handed over is trimmed. It may be called again.
func (c *compacting) wait() {
	if c.done {
		return
	}
	c.done = true
	close(c.tools)
	c.work()
	c.wg.Wait()
}

// compact lists t's waiting schemas trimmed.
func (t *Tool) compact() {
	defer func() {
		if r := recover(); r != nil {
			if panicsForTest {
				panic(r)
			}
			t.compactErr = fmt.Errorf("internal error while converting: %v", r)
		}
	}()
	if in := t.compactInput; in != nil {
		t.listedInput, t.InputSchema, _ = compactSchema(in, MaxListedSchema)
	}
	if out := t.compactOutput; out != nil {
		t.listedOutput, t.OutputSchema, _ = compactSchema(out, MaxListedSchema)
	}
	t.compactInput, t.compactOutput = nil, nil
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
