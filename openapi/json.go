package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader and writer for the document tree: unlike encoding/json
// it keeps object key order, keeps numbers as written (json.Number), bounds
// nesting depth, and writes text without HTML escaping.

// errTooDeep is returned for documents nested deeper than maxDepth.
var errTooDeep = errors.New("document is nested too deeply")

// maxDepth bounds the nesting of a document, so that no recursive walk over it
// can exhaust the stack. Real documents stay far below it.
const maxDepth = 256

// parseJSON parses one JSON value into a tree. Duplicate keys keep the last
// value, as encoding/json does.
func parseJSON(data []byte) (any, error) { return parseJSONDepth(data, maxDepth) }

// parseJSONDepth is parseJSON with another bound on nesting.
func parseJSONDepth(data []byte, depthLimit int) (any, error) {
	return (&jsonParser{data: data, depthLimit: depthLimit}).whole()
}

type jsonParser struct {
	data []byte
	pos  int
	// native makes objects map[string]any and strings read as encoding/json reads them
	// (DecodeJSON), instead of the document tree's ordered objects.
	native bool
	// floats reads numbers as float64, as encoding/json.Unmarshal into an any does
	// (DecodeJSONAny), instead of json.Number.
	floats bool
	// depthLimit bounds nesting: maxDepth for a document, maxNativeDepth otherwise.
	depthLimit int
}

// maxNativeDepth is encoding/json's own bound on nesting, which DecodeJSON keeps.
const maxNativeDepth = 10000

// DecodeJSON reads one JSON value exactly as jsonschema.UnmarshalJSON (encoding/json with
// UseNumber) reads it: maps, []any, json.Number, string, bool and nil, duplicate keys
// keeping the last value and each invalid UTF-8 byte in a string read as U+FFFD. It is
// several times faster, which matters on the path of every tool call whose output schema
// is checked.
func DecodeJSON(data []byte) (any, error) {
	return (&jsonParser{data: data, native: true, depthLimit: maxNativeDepth}).whole()
}

// DecodeJSONAny reads one JSON value exactly as encoding/json.Unmarshal into an any reads
// it: as DecodeJSON does, but with numbers as float64 (a number out of float64's range is
// an error, as it is for encoding/json).
func DecodeJSONAny(data []byte) (any, error) {
	return (&jsonParser{data: data, native: true, floats: true, depthLimit: maxNativeDepth}).whole()
}

// EachMember calls fn with each member of the JSON object data, in order: its key, read as
// encoding/json reads it, and its value's raw text. It reports an error, having called fn
// for none, when data is not one valid JSON object (as json.Valid judges, encoding/json's
// bound on nesting included). It reads the values without decoding them.
func EachMember(data []byte, fn func(key string, value []byte)) error {
	p := &jsonParser{data: data, native: true, depthLimit: maxNativeDepth}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '{' {
		return p.errorf("not a JSON object")
	}
	type member struct {
		key        string
		start, end int
	}
	var members [8]member
	list := members[:0]
	err := p.skipObject(0, func(key string, start, end int) { list = append(list, member{key, start, end}) })
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return p.errorf("unexpected data after the top-level value")
	}
	for _, m := range list {
		fn(m.key, data[m.start:m.end])
	}
	return nil
}

// whole reads the one value data holds, with nothing after it but spaces.
func (p *jsonParser) whole() (any, error) {
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.errorf("unexpected data after the top-level value")
	}
	return v, nil
}

func (p *jsonParser) errorf(format string, args ...any) error {
	line := 1 + bytes.Count(p.data[:min(p.pos, len(p.data))], []byte{'\n'})
	return fmt.Errorf("json: line %d: %s", line, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > p.depthLimit {
		return nil, errTooDeep
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input")
	}
	// encoding/json refuses more than maxNativeDepth nested objects and arrays; an empty
	// one at the last level counts too.
	if c := p.data[p.pos]; p.native && (c == '{' || c == '[') && depth >= maxNativeDepth {
		return nil, errTooDeep
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.string()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) literal(word string, v any) (any, error) {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return nil, p.errorf("invalid literal")
	}
	p.pos += len(word)
	return v, nil
}

// object reads an object: ordered for the document tree, a map in native mode (DecodeJSON).
// A duplicate key keeps the last value either way, as encoding/json does.
func (p *jsonParser) object(depth int) (any, error) {
	p.pos++ // {
	var tree *object
	var native map[string]any
	if p.native {
		native = make(map[string]any)
	} else {
		tree = newObject(4)
	}
	result := func() any {
		if p.native {
			return native
		}
		return tree
	}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return result(), nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("expected a string key")
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("expected ':' after a key")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.native {
			native[k.(string)] = v
		} else {
			tree.set(k.(string), v)
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return result(), nil
		default:
			return nil, p.errorf("expected ',' or '}' in an object")
		}
	}
}

func (p *jsonParser) array(depth int) (any, error) {
	p.pos++ // [
	a := make([]any, 0, 4)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return a, nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return a, nil
		default:
			return nil, p.errorf("expected ',' or ']' in an array")
		}
	}
}

func (p *jsonParser) number() (any, error) {
	start := p.pos
	if err := p.skipNumber(); err != nil {
		return nil, err
	}
	if p.floats {
		f, err := strconv.ParseFloat(string(p.data[start:p.pos]), 64)
		if err != nil {
			return nil, p.errorf("number %s is out of range", p.data[start:p.pos])
		}
		return f, nil
	}
	return json.Number(p.data[start:p.pos]), nil
}

// skipNumber passes over a number, checking its grammar.
func (p *jsonParser) skipNumber() error {
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return p.errorf("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return p.errorf("invalid number")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return p.errorf("invalid number")
		}
	}
	return nil
}

// skip passes over one value, checking it as value would read it, without building it.
func (p *jsonParser) skip(depth int) error {
	if p.pos >= len(p.data) {
		return p.errorf("unexpected end of input")
	}
	if c := p.data[p.pos]; (c == '{' || c == '[') && depth >= maxNativeDepth {
		return errTooDeep
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.skipObject(depth, nil)
	case c == '[':
		p.pos++
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return nil
		}
		for {
			p.skipSpace()
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.skipSpace()
			if p.pos >= len(p.data) {
				return p.errorf("unexpected end of input in an array")
			}
			switch p.data[p.pos] {
			case ',':
				p.pos++
			case ']':
				p.pos++
				return nil
			default:
				return p.errorf("expected ',' or ']' in an array")
			}
		}
	case c == '"':
		return p.skipString()
	case c == 't', c == 'f', c == 'n':
		for _, word := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
				p.pos += len(word)
				return nil
			}
		}
		return p.errorf("invalid literal")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.skipNumber()
	default:
		return p.errorf("unexpected character %q", c)
	}
}

// skipObject passes over an object, as skip does, and calls member (when not nil) with
// each member's key and the bounds of its value in p.data.
func (p *jsonParser) skipObject(depth int, member func(key string, start, end int)) error {
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.errorf("expected a string key")
		}
		var key string
		if member != nil {
			k, err := p.string()
			if err != nil {
				return err
			}
			key = k.(string)
		} else if err := p.skipString(); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.errorf("expected ':' after a key")
		}
		p.pos++
		p.skipSpace()
		start := p.pos
		if err := p.skip(depth + 1); err != nil {
			return err
		}
		if member != nil {
			member(key, start, p.pos)
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return p.errorf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return nil
		default:
			return p.errorf("expected ',' or '}' in an object")
		}
	}
}

// skipString passes over a string, checking its escapes and that it holds no control
// character, as string would read it.
func (p *jsonParser) skipString() error {
	p.pos++ // opening quote
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		p.pos++
		switch {
		case c == '"':
			return nil
		case c < 0x20:
			return p.errorf("control character in a string")
		case c != '\\':
			continue
		}
		if p.pos >= len(p.data) {
			break
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if _, ok := p.hex4(); !ok {
				return p.errorf("invalid \\u escape")
			}
		default:
			return p.errorf("invalid escape \\%c", e)
		}
	}
	return p.errorf("unterminated string")
}

func (p *jsonParser) string() (any, error) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			if utf8.Valid(s) {
				return string(s), nil
			}
			return p.validUTF8(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return nil, p.errorf("control character in a string")
		}
		p.pos++
	}
	buf := append([]byte(nil), p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(buf) {
				return p.validUTF8(buf), nil
			}
			return string(buf), nil
		case c < 0x20:
			return nil, p.errorf("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.data) {
			break
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return nil, p.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
					save := p.pos
					p.pos += 2
					var ok2 bool
					if r2, ok2 = p.hex4(); !ok2 {
						return nil, p.errorf("invalid \\u escape")
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
					} else {
						p.pos = save
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return nil, p.errorf("invalid escape \\%c", e)
		}
	}
	return nil, p.errorf("unterminated string")
}

// validUTF8 replaces what is not UTF-8 in s with U+FFFD: each run of bad bytes in the
// document tree, each bad byte in native mode, as encoding/json does.
func (p *jsonParser) validUTF8(s []byte) string {
	if !p.native {
		return string(bytes.ToValidUTF8(s, []byte("\uFFFD")))
	}
	return ValidUTF8(string(s))
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}

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
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		return nil, err
	}
	// An exact copy: a tool keeps its schemas for its life, and the buffer's spare capacity
	// (up to half of it) would stay with them.
	return bytes.Clone(buf.Bytes()), nil
}

const hexDigits = "0123456789abcdef"

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

// isJSONNumber reports whether s is a number in JSON's grammar.
func isJSONNumber(s string) bool {
	p := &jsonParser{data: []byte(s)}
	if s == "" {
		return false
	}
	if _, err := p.number(); err != nil {
		return false
	}
	return p.pos == len(s)
}

// formatFloat formats f the way JSON writers usually do: integers without an
// exponent or fraction.
func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
