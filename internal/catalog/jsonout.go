package catalog

import (
	"bufio"
	"encoding/json"
	"io"
)

// The JSON that people's tools read: every `--json` of the CLI is one object, indented by
// two spaces, without HTML escaping, and a newline, as json.Encoder writes it with
// SetIndent("", "  ") and SetEscapeHTML(false).

// WriteJSON writes v as one indented JSON object. It streams: a Listing goes out a tool at
// a time, and its schemas, compact JSON from the converter's own writer, as they are. The
// listing of a large document is megabytes, which would otherwise be held compact, checked
// again and held again indented. A Listing's schemas must therefore be JSON, as the openapi
// package writes them: WriteJSON does not check them again.
func WriteJSON(w io.Writer, v any) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	ind := &indenter{w: bw}
	var err error
	if l, ok := v.(Listing); ok {
		err = l.writeCompact(ind)
		if err == nil {
			err = ind.w.WriteByte('\n')
		}
	} else {
		err = newEncoder(ind).Encode(v)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// newEncoder is the CLI's JSON encoder: compact, text as written (no HTML escaping), a
// newline after each value.
func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// writeCompact writes l as json.Encoder (without HTML escaping) would (its test holds it to that), but with the
// tools one at a time and the schemas as they are: the converter writes them compact.
func (l Listing) writeCompact(w io.Writer) error {
	enc := newEncoder(w)
	var err error
	put := func(s string) {
		if err == nil {
			_, err = io.WriteString(w, s)
		}
	}
	val := func(v any) {
		if err == nil {
			err = enc.Encode(v)
		}
	}
	raw := func(b json.RawMessage) {
		if len(b) == 0 {
			put("null")
		} else if err == nil {
			_, err = w.Write(b)
		}
	}
	put(`{"mode":`)
	val(l.Mode)
	put(`,"bytes":`)
	val(l.Bytes)
	put(`,"toolsets":`)
	val(l.Toolsets)
	put(`,"tools":`)
	if l.Tools == nil {
		put("null")
	} else {
		put("[")
		for i, t := range l.Tools {
			if i > 0 {
				put(",")
			}
			put(`{"name":`)
			val(t.Name)
			if t.Title != "" {
				put(`,"title":`)
				val(t.Title)
			}
			put(`,"description":`)
			val(t.Description)
			put(`,"inputSchema":`)
			raw(t.InputSchema)
			if len(t.OutputSchema) > 0 {
				put(`,"outputSchema":`)
				raw(t.OutputSchema)
			}
			put(`,"annotations":`)
			val(t.Annotations)
			put("}")
		}
		put("]")
	}
	put(`,"skipped":`)
	val(l.Skipped)
	put("}")
	return err
}

// indenter is a writer that indents the compact JSON written to it as json.Indent does
// with no prefix and two spaces, as it arrives. Spaces between tokens are dropped, but
// those after the top-level value are kept, as json.Indent keeps them.
type indenter struct {
	w          *bufio.Writer
	depth      int  // indentation of the line being written
	open       int  // containers opened and not closed
	needIndent bool // a container was just opened: indent unless it closes at once
	inString   bool
	escaped    bool // the last byte in a string was an unescaped backslash
}

func (d *indenter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if d.inString {
			// Copy the string up to its next quote or backslash at once.
			j := i
			for j < len(p) && (d.escaped || p[j] != '"' && p[j] != '\\') {
				d.escaped = false
				j++
			}
			if j > i {
				d.w.Write(p[i:j])
			}
			if j == len(p) {
				break
			}
			if p[j] == '\\' {
				d.escaped = true
			} else {
				d.inString = false
			}
			d.w.WriteByte(p[j])
			i = j
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			if d.open == 0 && !d.needIndent {
				d.w.WriteByte(c)
			}
			continue
		}
		if d.needIndent && c != '}' && c != ']' {
			d.needIndent = false
			d.depth++
			d.newline()
		}
		switch c {
		case '{', '[':
			d.needIndent = true
			d.open++
			d.w.WriteByte(c)
		case ',':
			d.w.WriteByte(c)
			d.newline()
		case ':':
			d.w.WriteString(": ")
		case '}', ']':
			d.open--
			if d.needIndent {
				d.needIndent = false // an empty object or array stays {} or []
			} else {
				d.depth--
				d.newline()
			}
			d.w.WriteByte(c)
		case '"':
			d.inString = true
			d.w.WriteByte(c)
		default:
			d.w.WriteByte(c)
		}
	}
	return len(p), nil
}

func (d *indenter) newline() {
	d.w.WriteByte('\n')
	for range d.depth {
		d.w.WriteString("  ")
	}
}
