package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// binding maps a tool's arguments back onto the HTTP request.
type binding struct {
	params []paramBinding
	body   *bodyBinding
}

type paramBinding struct {
	arg     string // argument name in the input schema
	name    string // name in the request
	in      string // path, query, header, cookie
	style   string
	explode bool
	json    bool // declared with content: application/json
}

type bodyBinding struct {
	mediaType string
	kind      bodyKind
	required  bool
	merged    bool // JSON object properties are top-level arguments
	// names pairs each renamed merged property's argument name with its
	// name in the body: {"filter.status", "filter[status]"}.
	names    [][2]string
	encoding *object
	binary   map[string]bool // multipart fields sent as files
}

// ErrInvalidArguments is wrapped by NewRequest errors caused by the
// arguments (as opposed to the base URL): the caller should report them as a
// tool error.
var ErrInvalidArguments = errors.New("invalid arguments")

// headersNotSet are never set from arguments: the gateway and the HTTP
// client own them.
var headersNotSet = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true, "connection": true,
	"content-type": true, "te": true, "upgrade": true, "trailer": true, "keep-alive": true,
	"proxy-connection": true, "x-jelou-token": true,
}

// NewRequest builds the upstream request for a call of the tool.
//
// base is the function's upstream base URL (http://127.0.0.1:9001/prefix);
// the operation's path is appended to its path. Path parameters are
// percent-encoded, "/" included, and "." or ".." alone are refused, so a
// value can never leave the base path. Query parameters honour style and
// explode; header and cookie parameters are set; the body is JSON,
// form-urlencoded, multipart or raw as the operation declares. Every
// argument is sent under its name in the document, whatever the input schema
// lists it as (filter.status is sent as filter[status], id__path as id).
// Arguments the input schema does not know go into a merged JSON body, and
// are ignored otherwise.
//
// NewRequest does not validate: call Validate first.
func (t *Tool) NewRequest(ctx context.Context, base *url.URL, args map[string]any) (*http.Request, error) {
	if base == nil {
		return nil, errors.New("openapi: nil base URL")
	}
	if t.bind == nil {
		return nil, errors.New("openapi: tool was not loaded by Load")
	}
	used := map[string]bool{}
	u := *base
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""

	// Path.
	rawPath, decPath, err := t.expandPath(args, used)
	if err != nil {
		return nil, err
	}
	basePath, baseRaw := strings.TrimRight(base.Path, "/"), strings.TrimRight(base.EscapedPath(), "/")
	u.Path = basePath + decPath
	u.RawPath = baseRaw + rawPath
	if u.EscapedPath() != u.RawPath {
		// Never let net/url re-escape the path its own way: that would turn
		// an encoded "/" in a value back into a separator.
		return nil, fmt.Errorf("openapi: cannot build the path %q", u.RawPath)
	}

	// Query, headers, cookies.
	var query []string
	if base.RawQuery != "" {
		query = append(query, base.RawQuery)
	}
	header := http.Header{}
	var cookies []string
	for _, p := range t.bind.params {
		v, ok := args[p.arg]
		if p.in == "path" || !ok || v == nil {
			continue
		}
		used[p.arg] = true
		switch p.in {
		case "query":
			query = append(query, queryPairs(p, v)...)
		case "header":
			if headersNotSet[strings.ToLower(p.name)] || ReservedHeader(p.name) {
				continue
			}
			s := simpleValue(v, p.explode, p.json)
			if strings.ContainsAny(s, "\r\n\x00") {
				return nil, fmt.Errorf("%w: header %s: line breaks are not allowed", ErrInvalidArguments, p.arg)
			}
			header.Add(p.name, s)
		case "cookie":
			cookies = append(cookies, cookiePairs(p, v)...)
		}
	}
	u.RawQuery = strings.Join(query, "&")
	if len(cookies) > 0 {
		header.Set("Cookie", strings.Join(cookies, "; "))
	}

	// Body.
	var body io.Reader
	contentType := ""
	if bb := t.bind.body; bb != nil {
		data, ct, err := t.encodeBody(bb, args, used)
		if err != nil {
			return nil, err
		}
		if data != nil {
			body, contentType = bytes.NewReader(data), ct
		}
	}
	req, err := http.NewRequestWithContext(ctx, t.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("openapi: build request: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// expandPath fills the path template, returning the escaped and the decoded
// forms.
func (t *Tool) expandPath(args map[string]any, used map[string]bool) (raw, dec string, err error) {
	var rb, db strings.Builder
	rest := t.Path
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			rb.WriteString(escapeLiteral(rest))
			db.WriteString(rest)
			return rb.String(), db.String(), nil
		}
		rb.WriteString(escapeLiteral(rest[:i]))
		db.WriteString(rest[:i])
		name := rest[i+1 : j]
		rest = rest[j+1:]
		var p *paramBinding
		for k := range t.bind.params {
			if t.bind.params[k].in == "path" && t.bind.params[k].name == name {
				p = &t.bind.params[k]
				break
			}
		}
		if p == nil {
			return "", "", fmt.Errorf("%w: path parameter %s is not declared", ErrInvalidArguments, name)
		}
		v, ok := args[p.arg]
		if !ok || v == nil {
			return "", "", fmt.Errorf("%w: %s: required path parameter is missing", ErrInvalidArguments, p.arg)
		}
		used[p.arg] = true
		s := pathValue(p, v)
		if s == "" || s == "." || s == ".." {
			return "", "", fmt.Errorf("%w: %s: %q is not a valid path segment", ErrInvalidArguments, p.arg, s)
		}
		rb.WriteString(escapeSegment(s))
		db.WriteString(s)
	}
}

// escapeLiteral escapes the literal parts of a path template segment by
// segment, keeping its slashes.
func escapeLiteral(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = escapeSegment(p)
	}
	return strings.Join(parts, "/")
}

// escapeSegment percent-encodes everything but RFC 3986 unreserved
// characters and the sub-delimiters that are harmless in a segment, so that
// "/", "?", "#" and "%" in a value stay inside its segment.
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(rune(c)) || strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&0xF])
	}
	return b.String()
}

// encodeBody builds the request body. It returns nil data when there is no
// body to send.
func (t *Tool) encodeBody(bb *bodyBinding, args map[string]any, used map[string]bool) ([]byte, string, error) {
	if bb.merged {
		obj := map[string]any{}
		renamed := map[string]bool{}
		for _, n := range bb.names {
			renamed[n[0]] = true
		}
		for k, v := range args {
			if !used[k] && !t.isParamArg(k) && !renamed[k] {
				obj[k] = v
			}
		}
		// Renamed properties go under their name in the document, and win
		// over an undeclared argument that happens to be spelled so.
		for _, n := range bb.names {
			if v, ok := args[n[0]]; ok {
				obj[n[1]] = v
			}
		}
		if len(obj) == 0 && !bb.required {
			return nil, "", nil
		}
		b, err := json.Marshal(obj)
		if err != nil {
			return nil, "", fmt.Errorf("%w: body: %v", ErrInvalidArguments, err)
		}
		return b, bb.mediaType, nil
	}
	v, ok := args["body"]
	if !ok {
		return nil, "", nil
	}
	switch bb.kind {
	case bodyJSON:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, "", fmt.Errorf("%w: body: %v", ErrInvalidArguments, err)
		}
		return b, bb.mediaType, nil
	case bodyForm:
		return formBody(bb, v), bb.mediaType, nil
	case bodyMultipart:
		return multipartBody(bb, v)
	default:
		if s, ok := v.(string); ok {
			return []byte(s), bb.mediaType, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, "", fmt.Errorf("%w: body: %v", ErrInvalidArguments, err)
		}
		return b, bb.mediaType, nil
	}
}

func (t *Tool) isParamArg(arg string) bool {
	for _, p := range t.bind.params {
		if p.arg == arg {
			return true
		}
	}
	return false
}

// ArgumentPlace reports where a call sends the argument arg, and under which name: "path",
// "query", "header" or "cookie" with the parameter's name as written; "body" with the
// property's name in a JSON object body (any name that is not a parameter's is taken as one),
// or with "" when arg is the whole body. It returns "", "" when arg cannot be sent.
func (t *Tool) ArgumentPlace(arg string) (in, name string) {
	if t.bind == nil {
		return "", ""
	}
	for _, p := range t.bind.params {
		if p.arg == arg {
			return p.in, p.name
		}
	}
	bb := t.bind.body
	switch {
	case bb == nil:
		return "", ""
	case !bb.merged:
		if arg == "body" {
			return "body", ""
		}
		return "", ""
	}
	for _, n := range bb.names {
		if n[0] == arg {
			return "body", n[1]
		}
	}
	return "body", arg
}
