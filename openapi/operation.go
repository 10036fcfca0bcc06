package openapi

import (
	"fmt"
	"mime"
	"slices"
	"strings"
)

// Reading an operation: its parameters, the request body media type to send,
// and the response that describes the result.

// parameter is an operation parameter, resolved and with defaults applied.
type parameter struct {
	name, in    string
	required    bool
	deprecated  bool
	description string
	schema      any
	mediaType   string // set when the parameter is declared with `content`
	style       string
	explode     bool
	examples    []any
}

// requestBody is the media type chosen from an operation's request body.
type requestBody struct {
	mediaType   string
	kind        bodyKind
	schema      any
	required    bool
	description string
	encoding    *object
}

// parameters returns the path item's and the operation's parameters, the
// operation's overriding the path item's, plus any path template variable
// the document forgot to declare. Header parameters only the gateway may set
// (ReservedHeader) are left out and their names returned in refused.
func (b *builder) parameters(path string, item, op *object) (_ []*parameter, refused []string, _ error) {
	vars := templateVars(path)
	var out []*parameter
	index := map[string]int{}
	for _, list := range [][]any{item.arr("parameters"), op.arr("parameters")} {
		for _, raw := range list {
			p, err := b.parameter(raw)
			if err != nil {
				return nil, nil, err
			}
			if p == nil {
				continue
			}
			if p.in == "path" && !slices.Contains(vars, p.name) {
				continue // nowhere to put it
			}
			key := p.in + "\x00" + p.name
			if p.in == "header" {
				key = strings.ToLower(key)
			}
			if i, ok := index[key]; ok {
				out[i] = p
				continue
			}
			index[key] = len(out)
			out = append(out, p)
		}
	}
	for _, v := range vars {
		if _, ok := index["path\x00"+v]; !ok {
			s := newObject(1)
			s.set("type", "string")
			index["path\x00"+v] = len(out)
			out = append(out, &parameter{name: v, in: "path", required: true, schema: s, style: "simple"})
		}
	}
	out = slices.DeleteFunc(out, func(p *parameter) bool {
		if p.in == "header" && ReservedHeader(p.name) {
			refused = append(refused, p.name)
			return true
		}
		return false
	})
	order := map[string]int{"path": 0, "query": 1, "header": 2, "cookie": 3}
	slices.SortStableFunc(out, func(a, b *parameter) int { return order[a.in] - order[b.in] })
	return out, refused, nil
}

// ignoredHeaders are header parameters that OpenAPI 3 says to ignore: the
// request's own content negotiation and, except in Swagger 2.0 documents,
// Authorization.
var ignoredHeaders = map[string]bool{"accept": true, "content-type": true}

func (b *builder) parameter(raw any) (*parameter, error) {
	o, err := resolveObject(b.root, raw)
	if err != nil {
		if ref, ok := refOf(raw); ok {
			return nil, fmt.Errorf("parameter $ref %q cannot be used: %v", ref, err)
		}
		return nil, fmt.Errorf("parameter: %v", err)
	}
	name, in := o.str("name"), o.str("in")
	if name == "" {
		return nil, nil
	}
	switch in {
	case "path", "query", "header", "cookie":
	default:
		return nil, nil
	}
	if in == "header" {
		l := strings.ToLower(name)
		if ignoredHeaders[l] || (l == "authorization" && !b.swagger2) {
			return nil, nil
		}
	}
	p := &parameter{
		name: name, in: in,
		required:    o.boolean("required") || in == "path",
		deprecated:  o.boolean("deprecated"),
		description: o.str("description"),
		schema:      o.val("schema"),
		style:       o.str("style"),
	}
	if p.schema == nil {
		if content := o.obj("content"); content != nil && content.len() > 0 {
			p.mediaType = content.keys[0]
			if mt, err := resolveObject(b.root, content.vals[0]); err == nil {
				p.schema = mt.val("schema")
			}
		}
	}
	if p.schema == nil {
		s := newObject(1)
		if in == "path" {
			s.set("type", "string")
		}
		p.schema = s
	}
	if p.style == "" {
		if in == "query" || in == "cookie" {
			p.style = "form"
		} else {
			p.style = "simple"
		}
	}
	if e, ok := o.val("explode").(bool); ok {
		p.explode = e
	} else {
		p.explode = p.style == "form"
	}
	p.examples = b.parameterExamples(o)
	return p, nil
}

func (b *builder) parameterExamples(o *object) []any {
	ex := newObject(2)
	if v, ok := o.get("example"); ok {
		ex.set("example", v)
	}
	if m := o.obj("examples"); m != nil {
		resolved := newObject(m.len())
		for i, k := range m.keys {
			if eo, err := resolveObject(b.root, m.vals[i]); err == nil {
				resolved.set(k, eo)
			}
		}
		ex.set("examples", resolved)
	}
	return collectExamples(ex)
}

// requestBody picks the media type to send: JSON first, then
// form-urlencoded, then multipart, then anything else.
func (b *builder) requestBody(op *object) (*requestBody, error) {
	raw, ok := op.get("requestBody")
	if !ok {
		return nil, nil
	}
	rb, err := resolveObject(b.root, raw)
	if err != nil {
		if ref, ok := refOf(raw); ok {
			return nil, fmt.Errorf("requestBody $ref %q cannot be used: %v", ref, err)
		}
		return nil, fmt.Errorf("requestBody: %v", err)
	}
	content := rb.obj("content")
	if content.len() == 0 {
		return nil, nil
	}
	best, bestRank := -1, 100
	for i, k := range content.keys {
		if r := requestRank(k); r < bestRank {
			best, bestRank = i, r
		}
	}
	mt, err := resolveObject(b.root, content.vals[best])
	if err != nil {
		mt = newObject(0)
	}
	body := &requestBody{
		mediaType:   content.keys[best],
		schema:      mt.val("schema"),
		required:    rb.boolean("required"),
		description: rb.str("description"),
		encoding:    mt.obj("encoding"),
	}
	switch base := mediaBase(body.mediaType); {
	case base == "application/x-www-form-urlencoded":
		body.kind = bodyForm
	case base == "multipart/form-data" || strings.HasPrefix(base, "multipart/"):
		body.kind = bodyMultipart
	case isJSONMedia(base):
		body.kind = bodyJSON
		if base == "*/*" || base == "application/*" {
			body.mediaType = "application/json"
		}
	default:
		body.kind = bodyRaw
	}
	if body.schema == nil {
		body.schema = newObject(0)
	}
	return body, nil
}

func requestRank(mediaType string) int {
	switch base := mediaBase(mediaType); {
	case base == "application/json":
		return 0
	case isJSONMedia(base) && base != "*/*" && base != "application/*":
		return 1
	case base == "application/x-www-form-urlencoded":
		return 2
	case base == "multipart/form-data":
		return 3
	case base == "*/*" || base == "application/*":
		return 4
	default:
		return 5
	}
}

// mediaBase returns the media type without parameters, lower-cased.
func mediaBase(mt string) string {
	if base, _, err := mime.ParseMediaType(mt); err == nil {
		return base
	}
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// isJSONMedia reports whether a media type carries JSON. `*/*` counts: many
// generators (springdoc) declare every JSON body and response that way.
func isJSONMedia(mt string) bool {
	base := mediaBase(mt)
	return base == "application/json" || strings.HasSuffix(base, "+json") ||
		strings.HasSuffix(base, "/json") || base == "*/*" || base == "application/*"
}

// outputSchema returns the descriptive schema of the first 2xx JSON
// response, and whether it had to be wrapped under "result".
func (b *builder) outputSchema(op *object) (*object, bool) {
	responses, err := resolveObject(b.root, op.val("responses"))
	if err != nil {
		return nil, false
	}
	var codes []string
	for _, k := range responses.keys {
		if len(k) == 3 && k[0] == '2' && isDigits(k[1:]) {
			codes = append(codes, k)
		}
	}
	slices.Sort(codes)
	for _, k := range responses.keys {
		if strings.EqualFold(k, "2XX") {
			codes = append(codes, k)
		}
	}
	for _, code := range codes {
		resp, err := resolveObject(b.root, responses.val(code))
		if err != nil {
			continue
		}
		content := resp.obj("content")
		best, bestRank := -1, 100
		for i, k := range content.keysOrEmpty() {
			r := requestRank(k)
			if r == 0 || r == 1 || r == 4 {
				if r < bestRank {
					best, bestRank = i, r
				}
			}
		}
		if best < 0 {
			continue
		}
		mt, err := resolveObject(b.root, content.vals[best])
		if err != nil || !mt.has("schema") {
			continue
		}
		return b.outputFor(mt.val("schema"))
	}
	return nil, false
}

func (b *builder) outputFor(schema any) (*object, bool) {
	c := b.c
	out := newObject(4)
	out.set("type", "object")
	var deps []string
	wrap := false
	if f, ok := c.flatten(schema, modeOutput); ok && (f.isObject || f.props.len() > 0 || f.additional != nil) {
		if f.description != "" {
			out.set("description", f.description)
		}
		out.set("properties", f.props)
		if f.additional != nil {
			out.set("additionalProperties", f.additional)
		}
		deps = f.deps
	} else {
		r := c.schema(schema, modeOutput, 0)
		props := newObject(1)
		props.set("result", r.schema)
		out.set("properties", props)
		deps = r.deps
		wrap = true
	}
	if defs := c.defsFor(deps, modeOutput); defs != nil {
		out.set("$defs", defs)
	}
	return out, wrap
}

// binaryFields lists the multipart fields sent as files: format binary or
// base64, or a contentMediaType.
func binaryFields(c *converter, schema any) map[string]bool {
	f, ok := c.flatten(schema, modeInput)
	if !ok {
		return nil
	}
	out := map[string]bool{}
	for i, k := range f.props.keys {
		s, _ := f.props.vals[i].(*object)
		s = c.deref(s, modeInput)
		if items := s.obj("items"); items != nil {
			s = items
		}
		if f := s.str("format"); f == "binary" || f == "byte" || s.has("contentMediaType") || s.has("contentEncoding") {
			out[k] = true
		}
	}
	return out
}

// fileNote tells an agent how to pass a file it cannot attach.
const fileNote = "File content: text as is, or a data: URL (data:<type>;base64,<data>) for binary content."

// describeFiles adds fileNote to the description of multipart file fields.
func describeFiles(c *converter, s *object, files map[string]bool) *object {
	props := s.obj("properties")
	if len(files) == 0 || props == nil {
		return s
	}
	s, props = s.clone(), props.clone()
	for i, k := range props.keys {
		p, ok := props.vals[i].(*object)
		if !ok || !files[k] {
			continue
		}
		p = p.clone()
		if d := p.str("description"); d != "" {
			p.set("description", d+" "+fileNote)
		} else {
			p.set("description", fileNote)
		}
		props.vals[i] = p
	}
	s.set("properties", props)
	return s
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// templateVars returns the {names} of a path template, in order.
func templateVars(path string) []string {
	var vars []string
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return vars
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			return vars
		}
		if v := path[i+1 : i+j]; v != "" && !slices.Contains(vars, v) {
			vars = append(vars, v)
		}
		path = path[i+j+1:]
	}
}
