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
	outputTrimmed             bool // OutputSchema is a trimmed form
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
	c := b.c
	bind := &binding{}

	props := newObject(len(params) + 4)
	var required []string
	var deps []string
	var additional any

	// The body's properties, merged at the top level when it is a JSON
	// object; otherwise a single property "body".
	var flat *flatSchema
	if body != nil && body.kind == bodyJSON {
		if f, ok := c.flatten(body.schema, modeInput); ok && f.props.len() > 0 {
			flat = f
		}
	}

	// Argument names: every parameter and body property, in document order,
	// under a name clients accept and unique in the tool (propertyNames).
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
	names := propertyNames(entries)

	for i, p := range params {
		arg := names[i]
		r := c.schema(p.schema, modeInput, 0)
		deps = append(deps, r.deps...)
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
		props.set(arg, s)
		if p.required {
			required = append(required, arg)
		}
		bind.params = append(bind.params, paramBinding{
			arg: arg, name: p.name, in: p.in, style: p.style, explode: p.explode,
			json: p.mediaType != "" && isJSONMedia(p.mediaType),
		})
	}

	if body != nil {
		bind.body = &bodyBinding{mediaType: body.mediaType, kind: body.kind, required: body.required, encoding: body.encoding}
		if flat != nil {
			bind.body.merged = true
			argName := map[string]string{}
			for i, k := range flat.props.keys {
				arg := names[len(params)+i]
				v := flat.props.vals[i]
				if arg != k {
					bind.body.names = append(bind.body.names, [2]string{arg, k})
					v = describedAs(v, k)
				}
				argName[k] = arg
				props.set(arg, v)
			}
			for _, r := range flat.required {
				if arg, ok := argName[r]; ok {
					required = append(required, arg)
				} else {
					required = append(required, r)
				}
			}
			deps = append(deps, flat.deps...)
			additional = flat.additional
		} else {
			r := c.schema(body.schema, modeInput, 0)
			deps = append(deps, r.deps...)
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
			props.set("body", s)
			// A form whose fields are required must be sent (Swagger 2.0's
			// required formData parameters become exactly that).
			formRequired := (body.kind == bodyForm || body.kind == bodyMultipart) && len(c.deref(s, modeInput).arr("required")) > 0
			if body.required || formRequired {
				required = append(required, "body")
			}
		}
		if body.kind == bodyMultipart {
			bind.body.binary = binaryFields(c, body.schema)
		}
	}

	input := newObject(5)
	input.set("type", "object")
	input.set("properties", props)
	if required = dedupe(required); len(required) > 0 {
		a := make([]any, len(required))
		for i, r := range required {
			a[i] = r
		}
		input.set("required", a)
	}
	if additional != nil {
		input.set("additionalProperties", additional)
	}
	if defs := c.defsFor(deps, modeInput); defs != nil {
		input.set("$defs", defs)
	}
	inputJSON, err := marshalTree(input)
	if err != nil {
		return nil, fmt.Errorf("input schema: %w", err)
	}
	if len(inputJSON) > maxSchemaBytes {
		return nil, fmt.Errorf("input schema is too large (%d bytes)", len(inputJSON))
	}

	t := &Tool{
		Title:       oneLine(op.str("summary")),
		Description: description(method, path, op),
		InputSchema: inputJSON,
		Method:      method,
		Path:        path,
		OperationID: op.str("operationId"),
		Annotations: Annotations{
			ReadOnly:    method == "GET" || method == "HEAD",
			Destructive: method == "DELETE",
			Idempotent:  method == "GET" || method == "PUT" || method == "DELETE",
		},
		bind:      bind,
		inputTree: input,
		refused:   refused,
	}
	if listedSize(inputJSON) > MaxListedSchema {
		// Listed trimmed; validated against the whole (inputTree).
		small, smallJSON, _ := compactSchema(input, MaxListedSchema)
		t.FullInputSchema, t.InputSchema, t.listedInput = inputJSON, smallJSON, small
	}
	t.Tags, t.Toolsets = operationTags(op)
	if out, wrap := b.outputSchema(op); out != nil {
		outJSON, err := marshalTree(out)
		if err != nil {
			return nil, fmt.Errorf("output schema: %w", err)
		}
		if len(outJSON) > maxSchemaBytes {
			// Descriptive only: a tool without it still works.
			outJSON, wrap, out = nil, false, nil
		}
		if listedSize(outJSON) > MaxListedSchema {
			// Only the listed form is kept: it is descriptive anyway.
			small, smallJSON, _ := compactSchema(out, MaxListedSchema)
			outJSON, out = smallJSON, nil
			t.listedOutput, t.outputTrimmed = small, true
		}
		t.OutputSchema, t.WrapResult, t.outputTree = outJSON, wrap, out
	}
	return t, nil
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
