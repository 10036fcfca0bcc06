package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader for the document tree (its writer is jsonwrite.go): unlike
// encoding/json it keeps object key order, keeps numbers as written (json.Number), and
// bounds nesting depth.

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

const hexDigits = "0123456789abcdef"

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
