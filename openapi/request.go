package openapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
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
	encoding  *object
	binary    map[string]bool // multipart fields sent as files
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
// form-urlencoded, multipart or raw as the operation declares. Arguments
// renamed <name>__<in> are sent under their real name. Arguments the input
// schema does not know go into a merged JSON body, and are ignored otherwise.
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
			if headersNotSet[strings.ToLower(p.name)] {
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

// pathValue serialises a path parameter (styles simple, label, matrix).
func pathValue(p *paramBinding, v any) string {
	switch p.style {
	case "label":
		sep := ","
		if p.explode {
			sep = "."
		}
		return "." + joinValue(v, sep, p.explode, "=")
	case "matrix":
		switch v := v.(type) {
		case []any:
			if p.explode {
				parts := make([]string, len(v))
				for i, e := range v {
					parts[i] = p.name + "=" + scalarString(e)
				}
				return ";" + strings.Join(parts, ";")
			}
			return ";" + p.name + "=" + joinValue(v, ",", false, ",")
		case map[string]any:
			if p.explode {
				return ";" + joinValue(v, ";", true, "=")
			}
			return ";" + p.name + "=" + joinValue(v, ",", false, ",")
		default:
			return ";" + p.name + "=" + scalarString(v)
		}
	default:
		return simpleValue(v, p.explode, p.json)
	}
}

// simpleValue serialises with style simple: arrays and objects as
// comma-separated lists (objects as k=v pairs when exploded).
func simpleValue(v any, explode, asJSON bool) string {
	if asJSON {
		b, _ := json.Marshal(v)
		return string(b)
	}
	return joinValue(v, ",", explode, "=")
}

// joinValue joins an array's items or an object's entries with sep. Object
// entries are "k<kv>v" when explode, else "k,v".
func joinValue(v any, sep string, explode bool, kv string) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = scalarString(e)
		}
		return strings.Join(parts, sep)
	case map[string]any:
		keys := sortedMapKeys(v)
		parts := make([]string, 0, 2*len(keys))
		for _, k := range keys {
			if explode {
				parts = append(parts, k+kv+scalarString(v[k]))
			} else {
				parts = append(parts, k, scalarString(v[k]))
			}
		}
		if explode {
			return strings.Join(parts, sep)
		}
		return strings.Join(parts, ",")
	default:
		return scalarString(v)
	}
}

// queryPairs serialises a query parameter as escaped name=value pairs.
func queryPairs(p paramBinding, v any) []string {
	esc := url.QueryEscape
	name := esc(p.name)
	if p.json {
		b, _ := json.Marshal(v)
		return []string{name + "=" + esc(string(b))}
	}
	switch v := v.(type) {
	case []any:
		if p.explode && p.style == "form" {
			out := make([]string, len(v))
			for i, e := range v {
				out[i] = name + "=" + esc(scalarString(e))
			}
			return out
		}
		// Values are escaped, commas included, so that the delimiter stays
		// the only literal one.
		sep := ","
		switch p.style {
		case "spaceDelimited":
			sep = "%20"
		case "pipeDelimited":
			sep = "%7C"
		}
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = esc(scalarString(e))
		}
		return []string{name + "=" + strings.Join(parts, sep)}
	case map[string]any:
		keys := sortedMapKeys(v)
		switch {
		case p.style == "deepObject":
			out := make([]string, len(keys))
			for i, k := range keys {
				out[i] = esc(p.name+"["+k+"]") + "=" + esc(scalarString(v[k]))
			}
			return out
		case p.explode:
			out := make([]string, len(keys))
			for i, k := range keys {
				out[i] = esc(k) + "=" + esc(scalarString(v[k]))
			}
			return out
		default:
			parts := make([]string, 0, 2*len(keys))
			for _, k := range keys {
				parts = append(parts, esc(k), esc(scalarString(v[k])))
			}
			return []string{name + "=" + strings.Join(parts, ",")}
		}
	default:
		return []string{name + "=" + esc(scalarString(v))}
	}
}

// cookiePairs serialises a cookie parameter (style form). Values are
// percent-encoded: cookie values cannot hold spaces, commas or semicolons.
func cookiePairs(p paramBinding, v any) []string {
	esc := url.QueryEscape
	if p.json {
		b, _ := json.Marshal(v)
		return []string{p.name + "=" + esc(string(b))}
	}
	switch v := v.(type) {
	case []any:
		if p.explode {
			out := make([]string, len(v))
			for i, e := range v {
				out[i] = p.name + "=" + esc(scalarString(e))
			}
			return out
		}
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = esc(scalarString(e))
		}
		return []string{p.name + "=" + strings.Join(parts, ",")}
	case map[string]any:
		keys := sortedMapKeys(v)
		if p.explode {
			out := make([]string, len(keys))
			for i, k := range keys {
				out[i] = esc(k) + "=" + esc(scalarString(v[k]))
			}
			return out
		}
		parts := make([]string, 0, 2*len(keys))
		for _, k := range keys {
			parts = append(parts, esc(k), esc(scalarString(v[k])))
		}
		return []string{p.name + "=" + strings.Join(parts, ",")}
	default:
		return []string{p.name + "=" + esc(scalarString(v))}
	}
}

// scalarString writes a value the way it reads in a URL: numbers without
// exponent where possible, objects and arrays nested in a list as JSON.
func scalarString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return formatFloat(v)
	case float32:
		return formatFloat(float64(v))
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case json.Number:
		return v.String()
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// encodeBody builds the request body. It returns nil data when there is no
// body to send.
func (t *Tool) encodeBody(bb *bodyBinding, args map[string]any, used map[string]bool) ([]byte, string, error) {
	if bb.merged {
		obj := map[string]any{}
		for k, v := range args {
			if !used[k] && !t.isParamArg(k) {
				obj[k] = v
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

// fields returns the body's fields in a stable order.
func fields(v any) ([]string, map[string]any) {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{"body"}, map[string]any{"body": v}
	}
	return sortedMapKeys(m), m
}

// formBody encodes application/x-www-form-urlencoded: arrays as repeated
// fields (or comma-separated when the encoding says explode: false),
// objects as JSON.
func formBody(bb *bodyBinding, v any) []byte {
	keys, m := fields(v)
	var pairs []string
	esc := url.QueryEscape
	for _, k := range keys {
		enc := bb.encoding.obj(k)
		explode := true
		if e, ok := enc.val("explode").(bool); ok {
			explode = e
		}
		switch x := m[k].(type) {
		case nil:
		case []any:
			if explode {
				for _, e := range x {
					pairs = append(pairs, esc(k)+"="+esc(scalarString(e)))
				}
			} else {
				parts := make([]string, len(x))
				for i, e := range x {
					parts[i] = esc(scalarString(e))
				}
				pairs = append(pairs, esc(k)+"="+strings.Join(parts, ","))
			}
		default:
			pairs = append(pairs, esc(k)+"="+esc(scalarString(x)))
		}
	}
	return []byte(strings.Join(pairs, "&"))
}

// multipartBody encodes multipart/form-data. File fields take their content
// from a string (a data: URL with base64 is decoded); objects are sent as
// JSON parts.
func multipartBody(bb *bodyBinding, v any) ([]byte, string, error) {
	keys, m := fields(v)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	writePart := func(name string, value any) error {
		enc := bb.encoding.obj(name)
		ct := enc.str("contentType")
		if i := strings.IndexByte(ct, ','); i >= 0 {
			ct = strings.TrimSpace(ct[:i])
		}
		h := textproto.MIMEHeader{}
		switch {
		case bb.binary[name]:
			data := fileContent(value)
			if ct == "" {
				ct = "application/octet-stream"
			}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, escapeQuotes(name), escapeQuotes(name)))
			h.Set("Content-Type", ct)
			pw, err := w.CreatePart(h)
			if err != nil {
				return err
			}
			_, err = pw.Write(data)
			return err
		default:
			var data []byte
			switch x := value.(type) {
			case map[string]any, []any:
				data, _ = json.Marshal(x)
				if ct == "" {
					ct = "application/json"
				}
			default:
				data = []byte(scalarString(x))
			}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"`, escapeQuotes(name)))
			if ct != "" {
				h.Set("Content-Type", ct)
			}
			pw, err := w.CreatePart(h)
			if err != nil {
				return err
			}
			_, err = pw.Write(data)
			return err
		}
	}
	for _, k := range keys {
		switch x := m[k].(type) {
		case nil:
		case []any:
			for _, e := range x {
				if err := writePart(k, e); err != nil {
					return nil, "", err
				}
			}
		default:
			if err := writePart(k, x); err != nil {
				return nil, "", err
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

func escapeQuotes(s string) string {
	return strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "").Replace(s)
}

// fileContent returns the bytes of a file argument: a data: URL with
// ;base64 is decoded, any other string is sent as it is.
func fileContent(v any) []byte {
	s, ok := v.(string)
	if !ok {
		b, _ := json.Marshal(v)
		return b
	}
	if strings.HasPrefix(s, "data:") {
		if i := strings.Index(s, ","); i > 0 && strings.HasSuffix(s[:i], ";base64") {
			if b, err := base64.StdEncoding.DecodeString(s[i+1:]); err == nil {
				return b
			}
		}
	}
	return []byte(s)
}
