package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The writer of the document tree: compact JSON, keys in order, numbers as written, text
// without HTML escaping.

// writeJSON writes v as compact JSON. Object keys keep their order; strings
// are written without HTML escaping, so text reads as it was written.
func writeJSON(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if v {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case string:
		WriteJSONString(buf, v)
	case json.Number:
		if !isJSONNumber(string(v)) {
			return fmt.Errorf("invalid number %q", string(v))
		}
		buf.WriteString(string(v))
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("unsupported number %v", v)
		}
		buf.WriteString(formatFloat(v))
	case int:
		buf.WriteString(strconv.Itoa(v))
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case *object:
		if v == nil {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			WriteJSONString(buf, k)
			buf.WriteByte(':')
			if err := writeJSON(buf, v.vals[i]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}

// marshalTree returns v as JSON bytes.
func marshalTree(v any) ([]byte, error) {
	var out []byte
	err := withTreeJSON(v, func(b []byte) { out = bytes.Clone(b) })
	return out, err
}

// withTreeJSON writes v as JSON into a scratch buffer and hands it to f, which must not keep
// it. Converting a large document writes its schemas many times over, to keep them and to
// measure them; reused buffers spare the growth of a new one each time.
func withTreeJSON(v any, f func([]byte)) error {
	buf := scratchBuffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		scratchBuffers.Put(buf)
	}()
	if err := writeJSON(buf, v); err != nil {
		return err
	}
	f(buf.Bytes())
	return nil
}

// scratchBuffers are withTreeJSON's buffers.
var scratchBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// WriteJSONString writes s as a JSON string, without encoding/json's HTML escaping: bytes
// that are not UTF-8 become U+FFFD, and U+2028 and U+2029 are escaped for JavaScript.
func WriteJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			default:
				buf.WriteString(`\u00`)
				buf.WriteByte(hexDigits[c>>4])
				buf.WriteByte(hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf.WriteString(s[start:i])
			buf.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript string literals.
		if r == '\u2028' || r == '\u2029' {
			buf.WriteString(s[start:i])
			buf.WriteString(`\u202`)
			buf.WriteByte(hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}

// formatFloat formats f the way JSON writers usually do: integers without an
// exponent or fraction.
func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
