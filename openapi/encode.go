package openapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Serialisation of argument values into the request: parameter styles
// (OpenAPI 3 "style" and "explode") and request bodies.

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
