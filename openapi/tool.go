package openapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Tool is one operation as an MCP tool.
type Tool struct {
	// Name matches ^[A-Za-z0-9_-]{1,64}$ and is unique in the document.
	Name string
	// Title comes from the operation's summary ("" when it has none).
	Title string
	// Description is never empty and at most 1024 characters; it falls
	// back to "METHOD /path".
	Description string
	// InputSchema is a JSON Schema 2020-12 object schema:
	// {"type":"object","properties":{…},…}, as the tool is listed: at most
	// MaxListedSchema bytes, trimmed when the whole schema is larger (see
	// FullInputSchema).
	InputSchema json.RawMessage
	// FullInputSchema is the whole input schema when InputSchema had to be
	// trimmed for listing, nil otherwise. Validate always checks arguments
	// against the whole schema.
	FullInputSchema json.RawMessage
	// OutputSchema describes the result, nil when the operation declares no
	// JSON response. It is descriptive: constraints are left out. It is at
	// most MaxListedSchema bytes, trimmed like InputSchema when larger.
	OutputSchema json.RawMessage
	// WrapResult reports that the response is not an object, so OutputSchema
	// is {"type":"object","properties":{"result":…}} and a structured result
	// must be wrapped the same way: {"result": <response body>}.
	WrapResult bool
	// Annotations are the MCP hints derived from the method.
	Annotations Annotations
	// Method and Path locate the operation: "POST", "/customers/{id}".
	Method, Path string
	// OperationID is the operationId as written ("" when absent).
	OperationID string
	// Tags are the operation's OpenAPI tags as written, without duplicates.
	Tags []string
	// Toolsets name the groups the tool belongs to: its tags sanitised like
	// tool names (ToolsetName), without duplicates, or ["untagged"] when it
	// has none.
	Toolsets []string

	bind   *binding
	checks *checks // the validators, compiled on first use (check.go)
	// refused lists the header parameters left out because only the gateway
	// sets them (ReservedHeader); build reports them in Skipped.
	refused []string

	// The schemas as trees, kept by Load until they are compiled: the whole
	// input (and output) schema, and the trimmed ones that are listed
	// instead (nil when not trimmed).
	inputTree, outputTree     *object
	listedInput, listedOutput *object
	// compactInput and compactOutput are schemas to list trimmed (compactSchema), which
	// Load does on other cores while it converts; until then InputSchema and OutputSchema hold
	// them whole. compactErr is a panic it met.
	compactInput, compactOutput *object
	compactErr                  error
	outputTrimmed               bool // OutputSchema is a trimmed form
}

// Annotations are the MCP tool hints.
type Annotations struct {
	ReadOnly    bool // readOnlyHint: GET and HEAD
	Destructive bool // destructiveHint: DELETE
	Idempotent  bool // idempotentHint: GET, PUT and DELETE
}

const maxDescription = 1024

// maxSchemaBytes bounds one emitted schema. The largest in the corpus is
// about 250 KB; past this size a schema is a document built to exhaust the
// gateway, or useless to a model anyway.
const maxSchemaBytes = 4 << 20

type bodyKind int

const (
	bodyJSON bodyKind = iota
	bodyForm
	bodyMultipart
	bodyRaw
)

// operationTool turns one operation into a tool (without its final name).
func (b *builder) operationTool(method, path string, item, op *object) (*Tool, error) {
	params, refused, err := b.parameters(path, item, op)
	if err != nil {
		return nil, err
	}
	body, err := b.requestBody(op)
	if err != nil {
		return nil, err
	}
	flat := b.flatBody(body)
	names := argumentNames(params, body, flat)

	in := &toolInput{c: b.c, props: newObject(len(params) + 4)}
	bind := &binding{params: in.addParams(params, names[:len(params)])}
	if body != nil {
		bind.body = in.addBody(body, flat, names[len(params):])
	}
	input, inputJSON, err := in.schema()
	if err != nil {
		return nil, err
	}

	t := &Tool{
		Title:       oneLine(op.str("summary")),
		Description: description(method, path, op),
		InputSchema: inputJSON,
		Method:      method,
		Path:        path,
		OperationID: op.str("operationId"),
		Annotations: methodAnnotations(method),
		bind:        bind,
		inputTree:   input,
		refused:     refused,
	}
	if listedSize(inputJSON) > MaxListedSchema {
		// Listed trimmed; validated against the whole (inputTree).
		t.FullInputSchema, t.compactInput = inputJSON, input // listed trimmed (compacting)
	}
	t.Tags, t.Toolsets = operationTags(op)
	if err := b.setOutput(t, op); err != nil {
		return nil, err
	}
	return t, nil
}

// flatBody returns the body's properties to merge at the top level of the
// input when the body is a JSON object with properties; nil when it is
// kept whole under a single property "body" (or there is none).
func (b *builder) flatBody(body *requestBody) *flatSchema {
	if body != nil && body.kind == bodyJSON {
		if f, ok := b.c.flatten(body.schema, modeInput); ok && f.props.len() > 0 {
			return f
		}
	}
	return nil
}

// argumentNames names every parameter and body property, in document order
// (the parameters, then the merged body's properties or "body"), under a
// name clients accept and unique in the tool (propertyNames).
func argumentNames(params []*parameter, body *requestBody, flat *flatSchema) []string {
	entries := make([]propertyEntry, 0, len(params)+4)
	for _, p := range params {
		entries = append(entries, propertyEntry{p.name, p.in})
	}
	switch {
	case flat != nil:
		for _, k := range flat.props.keys {
			entries = append(entries, propertyEntry{k, "body"})
		}
	case body != nil:
		entries = append(entries, propertyEntry{"body", "body"})
	}
	return propertyNames(entries)
}

// methodAnnotations are the MCP hints an HTTP method implies.
func methodAnnotations(method string) Annotations {
	return Annotations{
		ReadOnly:    method == "GET" || method == "HEAD",
		Destructive: method == "DELETE",
		Idempotent:  method == "GET" || method == "PUT" || method == "DELETE",
	}
}

// toolInput is a tool's input schema as its parameters and body are added:
// the arguments' properties, the required ones, the pointers of the $defs
// they refer to, and a merged body's additionalProperties.
type toolInput struct {
	c          *converter
	props      *object
	required   []string
	deps       []string
	additional any
}

// addParams adds a property per parameter, under its argument name (names
// holds one per parameter), and returns how each is put in the request.
func (in *toolInput) addParams(params []*parameter, names []string) []paramBinding {
	var bind []paramBinding
	for i, p := range params {
		arg := names[i]
		r := in.c.schema(p.schema, modeInput, 0)
		in.deps = append(in.deps, r.deps...)
		s := r.schema.clone()
		desc := p.description
		if arg != p.name {
			desc = withNote(desc, sentAs(p.name))
		}
		if desc != "" {
			s.set("description", desc)
		}
		if p.deprecated {
			s.set("deprecated", true)
		}
		if len(p.examples) > 0 {
			s.set("examples", p.examples)
		}
		in.props.set(arg, s)
		if p.required {
			in.required = append(in.required, arg)
		}
		bind = append(bind, paramBinding{
			arg: arg, name: p.name, in: p.in, style: p.style, explode: p.explode,
			json: p.mediaType != "" && isJSONMedia(p.mediaType),
		})
	}
	return bind
}

// addBody adds the request body: its properties merged at the top level
// when flat is not nil (names holds their argument names), else the whole
// body as the property "body". It returns how the body is put in the
// request.
func (in *toolInput) addBody(body *requestBody, flat *flatSchema, names []string) *bodyBinding {
	bind := &bodyBinding{mediaType: body.mediaType, kind: body.kind, required: body.required, encoding: body.encoding}
	if flat != nil {
		bind.merged = true
		bind.names = in.addMergedBody(flat, names)
	} else {
		in.addBodyProperty(body)
	}
	if body.kind == bodyMultipart {
		bind.binary = binaryFields(in.c, body.schema)
	}
	return bind
}

// addMergedBody adds a JSON object body's properties under their argument
// names, and returns the renamed ones as {argument name, name in the body}.
func (in *toolInput) addMergedBody(flat *flatSchema, names []string) [][2]string {
	var renamed [][2]string
	argName := map[string]string{}
	for i, k := range flat.props.keys {
		arg := names[i]
		v := flat.props.vals[i]
		if arg != k {
			renamed = append(renamed, [2]string{arg, k})
			v = describedAs(v, k)
		}
		argName[k] = arg
		in.props.set(arg, v)
	}
	for _, r := range flat.required {
		if arg, ok := argName[r]; ok {
			in.required = append(in.required, arg)
		} else {
			in.required = append(in.required, r)
		}
	}
	in.deps = append(in.deps, flat.deps...)
	in.additional = flat.additional
	return renamed
}

// addBodyProperty adds the whole body as the property "body": a body that
// is not JSON as a string, unless its schema says otherwise; multipart
// files described as such.
func (in *toolInput) addBodyProperty(body *requestBody) {
	c := in.c
	r := c.schema(body.schema, modeInput, 0)
	in.deps = append(in.deps, r.deps...)
	s := r.schema
	if body.kind == bodyRaw {
		if t := typeList(s.val("type")); !(len(t) == 0 && !s.has("$ref") || slices.Contains(t, "string")) {
			// A body that is not JSON is sent as the text given.
			s = newObject(2)
			s.set("type", "string")
			s.set("description", "Request body as "+body.mediaType+".")
		}
	}
	if body.description != "" && !s.has("description") {
		s = s.clone()
		s.set("description", body.description)
	}
	if body.kind == bodyMultipart {
		s = describeFiles(c, s, binaryFields(c, body.schema))
	}
	in.props.set("body", s)
	// A form whose fields are required must be sent (Swagger 2.0's
	// required formData parameters become exactly that).
	formRequired := (body.kind == bodyForm || body.kind == bodyMultipart) && len(c.deref(s, modeInput).arr("required")) > 0
	if body.required || formRequired {
		in.required = append(in.required, "body")
	}
}

// schema assembles the input schema, as a tree and as JSON; it fails when
// the JSON passes maxSchemaBytes.
func (in *toolInput) schema() (*object, []byte, error) {
	input := newObject(5)
	input.set("type", "object")
	input.set("properties", in.props)
	if required := dedupe(in.required); len(required) > 0 {
		a := make([]any, len(required))
		for i, r := range required {
			a[i] = r
		}
		input.set("required", a)
	}
	if in.additional != nil {
		input.set("additionalProperties", in.additional)
	}
	if defs := in.c.defsFor(in.deps, modeInput); defs != nil {
		input.set("$defs", defs)
	}
	inputJSON, err := marshalTree(input)
	if err != nil {
		return nil, nil, fmt.Errorf("input schema: %w", err)
	}
	if len(inputJSON) > maxSchemaBytes {
		return nil, nil, fmt.Errorf("input schema is too large (%d bytes)", len(inputJSON))
	}
	return input, inputJSON, nil
}

// setOutput sets the tool's output schema when the operation declares a
// JSON response: left out when too large, listed trimmed when large.
func (b *builder) setOutput(t *Tool, op *object) error {
	out, wrap := b.outputSchema(op)
	if out == nil {
		return nil
	}
	outJSON, err := marshalTree(out)
	if err != nil {
		return fmt.Errorf("output schema: %w", err)
	}
	if len(outJSON) > maxSchemaBytes {
		// Descriptive only: a tool without it still works.
		outJSON, wrap, out = nil, false, nil
	}
	if listedSize(outJSON) > MaxListedSchema {
		// Only the listed form is kept (compacting trims it): it is descriptive anyway.
		t.compactOutput, t.outputTrimmed = out, true
		out = nil
	}
	t.OutputSchema, t.WrapResult, t.outputTree = outJSON, wrap, out
	return nil
}

// description builds a tool description: the summary and the description
// (when they differ), else "METHOD /path"; at most 1024 characters.
func description(method, path string, op *object) string {
	summary := strings.TrimSpace(op.str("summary"))
	desc := strings.TrimSpace(op.str("description"))
	switch {
	case desc == "":
		desc = summary
	case summary != "" && !strings.HasPrefix(desc, strings.TrimRight(summary, ".")):
		desc = summary + "\n\n" + desc
	}
	if desc == "" {
		desc = method + " " + path
	}
	return truncate(desc, maxDescription)
}

// truncate cuts s to at most n characters, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func oneLine(s string) string {
	return truncate(strings.Join(strings.Fields(s), " "), maxDescription)
}

// VisibleSize is the tool's share of a catalogue's model-visible size: the
// bytes of the compact JSON of its name, title, description, inputSchema
// and annotations exactly as an MCP tools/list result carries them. That is
// encoding/json's output (which writes <, > and & as \u003c…), with an empty
// title left out and the three hints always stated, as package mcp lists
// tools. The key order does not change the size.
func (t Tool) VisibleSize() int {
	type hints struct {
		ReadOnlyHint    bool `json:"readOnlyHint"`
		DestructiveHint bool `json:"destructiveHint"`
		IdempotentHint  bool `json:"idempotentHint"`
	}
	listed := struct {
		Name        string          `json:"name"`
		Title       string          `json:"title,omitempty"`
		Description string          `json:"description,omitempty"`
		InputSchema json.RawMessage `json:"inputSchema"`
		Annotations hints           `json:"annotations"`
	}{t.Name, t.Title, t.Description, t.InputSchema, hints{t.Annotations.ReadOnly, t.Annotations.Destructive, t.Annotations.Idempotent}}
	b, err := json.Marshal(listed)
	if err != nil {
		// An input schema that is not JSON is never listed; count its bytes.
		return len(t.Name) + len(t.Title) + len(t.Description) + len(t.InputSchema)
	}
	return len(b)
}
