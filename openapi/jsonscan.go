package openapi

import "bytes"

// Reading a JSON object's members as raw text, checked as the reader checks them but
// without building the values: the MCP gate reads a message's envelope this way.

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
