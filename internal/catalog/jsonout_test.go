package catalog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/jfnhq/jfn/internal/corpustest"
	"github.com/jfnhq/jfn/openapi"
)

// encoderJSON is what WriteJSON promises to write: json.Encoder's indented output.
func encoderJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func writtenJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Every listing of every corpus document, in both modes, streams out as encoding/json would
// write it whole.
func TestWriteJSONListingsAsEncodingJSON(t *testing.T) {
	corpus := corpustest.Find(t)
	for _, file := range corpus.Files() {
		spec, err := openapi.Load(corpus.Read(t, file))
		if err != nil {
			continue // the corpus tests say which documents load
		}
		for _, mode := range []string{ModeAll, ModeSearch} {
			l, err := NewListing(spec, mode, nil)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if got, want := writtenJSON(t, l), encoderJSON(t, l); got != want {
				t.Errorf("%s, mode %s: WriteJSON differs from encoding/json at byte %d", file, mode, firstDiff(got, want))
			}
		}
	}
}

func TestWriteJSONEdgeCases(t *testing.T) {
	for _, v := range []any{
		Listing{}, // nil slices are null
		Listing{Mode: "all", Tools: []ListedTool{{Name: "a<b>", Description: "x & \"y\"\n\\", InputSchema: json.RawMessage(`{"type":"object","properties":{}}`)}}},
		Listing{Tools: []ListedTool{{Name: "t", Title: "T", OutputSchema: json.RawMessage(`{"a":[[],{},[1,{"b":"}\"]\\"}]]}`)}}},
		map[string]any{"a": []any{}, "b": map[string]any{}, "c": "line\u2028", "d": []any{1, "x", nil, true}},
		struct {
			Tokens []string `json:"tokens"`
		}{},
		"just a string",
	} {
		if got, want := writtenJSON(t, v), encoderJSON(t, v); got != want {
			t.Errorf("%#v:\n got %q\nwant %q", v, got, want)
		}
	}
}

// FuzzIndenter checks the streaming indenter against json.Indent, on JSON as written and
// compacted (writeCompact leaves a newline after each value it encodes), written to it in
// pieces of any size.
func FuzzIndenter(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2,{"b":[]}],"c":{}}`, `"a\"b\\"`, `[{"x":"{[,:]}"}]`, `1.5e3`, `[true,false,null]`,
		"{\"a\":1\n,\"b\":[\n]\n,\"c\":{ }}\n", "[ 1 , \"x\\\\\" , { \"k\" : null } ]"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, piece uint8) {
		data = bytes.TrimLeft(data, " \t\r\n") // json.Indent drops leading space; the indenter is never given any
		if len(data) > 1<<16 || !json.Valid(data) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, data); err != nil {
			t.Fatal(err)
		}
		compact.WriteByte('\n')
		for _, src := range [][]byte{data, compact.Bytes()} {
			var want bytes.Buffer
			if err := json.Indent(&want, src, "", "  "); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			ind := &indenter{w: bufio.NewWriter(&got)}
			for n := int(piece%16) + 1; len(src) > 0; {
				k := min(n, len(src))
				ind.Write(src[:k])
				src = src[k:]
			}
			ind.w.Flush()
			if got.String() != want.String() {
				t.Fatalf("indenter differs from json.Indent at byte %d:\n got %q\nwant %q", firstDiff(got.String(), want.String()), got.String(), want.String())
			}
		}
	})
}

// FuzzWriteJSONListing checks the hand-written listing writer against encoding/json.
func FuzzWriteJSONListing(f *testing.F) {
	f.Add("all", "n", "t", "d\u2028<", []byte(`{"a":[1,{}]}`), []byte(`{"b":"\u2028"}`), "op", "why", 3)
	f.Fuzz(func(t *testing.T, mode, name, title, desc string, in, out []byte, op, why string, n int) {
		if len(in) == 0 || !json.Valid(in) || len(out) > 0 && !json.Valid(out) {
			return // WriteJSON's precondition: the schemas are JSON
		}
		l := Listing{Mode: mode, Bytes: n, Toolsets: []Toolset{{Name: name, Tools: n}}, Skipped: []openapi.Skipped{{Operation: op, Reason: why}}}
		l.Tools = []ListedTool{
			{Name: name, Title: title, Description: desc, InputSchema: in, OutputSchema: out, Annotations: Hints{ReadOnlyHint: n%2 == 0}},
			{Name: desc, Title: name, InputSchema: in},
		}
		if got, want := writtenJSON(t, l), encoderJSON(t, l); got != want {
			t.Fatalf("WriteJSON differs from encoding/json at byte %d:\n got %q\nwant %q", firstDiff(got, want), got, want)
		}
	})
}

// A listing with every field set writes as encoding/json writes it, and the test knows
// every field: one added to Listing or ListedTool fails here until writeCompact writes it.
func TestWriteJSONEveryField(t *testing.T) {
	if n := jsonFields(reflect.TypeFor[Listing]()); n != 5 {
		t.Errorf("Listing has %d JSON fields; writeCompact and this test write 5", n)
	}
	if n := jsonFields(reflect.TypeFor[ListedTool]()); n != 6 {
		t.Errorf("ListedTool has %d JSON fields; writeCompact and this test write 6", n)
	}
	l := Listing{
		Mode: "search", Bytes: 12, Toolsets: []Toolset{{Name: "pets", Tools: 2}},
		Tools: []ListedTool{{
			Name: "a", Title: "A", Description: "d", InputSchema: json.RawMessage(`{"type":"object"}`),
			OutputSchema: json.RawMessage(`{"type":"array"}`), Annotations: Hints{ReadOnlyHint: true, DestructiveHint: true, IdempotentHint: true},
		}},
		Skipped: []openapi.Skipped{{Operation: "GET /x", Reason: "r"}},
	}
	if got, want := writtenJSON(t, l), encoderJSON(t, l); got != want {
		t.Errorf("WriteJSON:\n got %s\nwant %s", got, want)
	}
}

// jsonFields counts the fields of struct type t that encoding/json writes.
func jsonFields(t reflect.Type) int {
	n := 0
	for f := range t.Fields() {
		if f.IsExported() && f.Tag.Get("json") != "-" {
			n++
		}
	}
	return n
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
