package openapi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// checkDecodeJSON compares the readers with what they copy: DecodeJSON with
// jsonschema.UnmarshalJSON, DecodeJSONAny with encoding/json.Unmarshal into an any, and
// EachMember with encoding/json's Decoder, token by token.
func checkDecodeJSON(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	got, err := DecodeJSON(data)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("DecodeJSON(%q) error = %v, jsonschema's = %v", data, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeJSON(%q) = %#v, jsonschema reads %#v", data, got, want)
	}

	var wantAny any
	wantErr = json.Unmarshal(data, &wantAny)
	gotAny, err := DecodeJSONAny(data)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("DecodeJSONAny(%q) error = %v, encoding/json's = %v", data, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(gotAny, wantAny) {
		t.Fatalf("DecodeJSONAny(%q) = %#v, encoding/json reads %#v", data, gotAny, wantAny)
	}

	var gotMembers []jsonMember
	err = EachMember(data, func(k string, v []byte) { gotMembers = append(gotMembers, jsonMember{k, string(v)}) })
	wantMembers, isObject := decoderMembers(data)
	if (err == nil) != isObject {
		t.Fatalf("EachMember(%q) error = %v; encoding/json reads an object: %v", data, err, isObject)
	}
	if err == nil && !reflect.DeepEqual(gotMembers, wantMembers) {
		t.Fatalf("EachMember(%q) = %q, encoding/json's Decoder reads %q", data, gotMembers, wantMembers)
	}
}

type jsonMember struct{ key, value string }

// decoderMembers reads the members of the JSON object data with encoding/json's Decoder,
// and reports whether data is one valid JSON object.
func decoderMembers(data []byte) (members []jsonMember, isObject bool) {
	if !json.Valid(data) || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		members = append(members, jsonMember{k.(string), string(v)})
	}
	return members, true
}

func TestDecodeJSONReadsAsJSONSchema(t *testing.T) {
	for _, s := range []string{
		`{"a":1,"a":2,"b":[1.50,-0,1e400,{"c":null}],"d":"x\u00e9\ud800y\\\"","e":true,"f":false}`,
		"\"\xff\xfeok\xc3\"", `{"k":"\xe2\x82"}`, `  []  `, `{}`, `"\u0000"`,
		`{"a":}`, `[1,]`, `01`, `1 2`, `"\x01"`, `{"a" 1}`, ``, `nul`,
		strings.Repeat("[", 300) + strings.Repeat("]", 300),
		// encoding/json's bound: 10,000 levels, an empty innermost one counting too.
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
		strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
		// Members, as the MCP gate reads a message's envelope.
		` {"jsonrpc":"2.0", "id" : 7,"method":"tools/call","params":{"name":"x","arguments":{"n":[1,2e3,{"s":"\u00e9\\\""}]}}} `,
		`{"\u0069d":1,"id":null,"":{},"a":[],"b":"\ud800"}`, `{"a":1}x`, `{"a":tru}`, `{"a":"\x"}`, `{"a":-}`,
		`{"a":1e400}`, `{"a":"b"`, `{,}`, `{"a":1,}`, `[{"a":1}]`, "{\"a\":\"\x01\"}",
	} {
		checkDecodeJSON(t, []byte(s))
	}
}

// FuzzDecodeJSON: DecodeJSON reads every input as jsonschema.UnmarshalJSON does.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x"]}`, `{"a":1,"a":{}}`, "\"\xff\"", `"\ud83d\ude00"`, `[1e-7,-0.0]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		checkDecodeJSON(t, data)
	})
}

func BenchmarkDecodeJSON(b *testing.B) {
	body, _ := json.Marshal(map[string]any{"ok": true, "echo": map[string]any{
		"method": "GET", "path": "/items/12345", "query": map[string]any{}, "body": "",
		"headers": map[string]string{"Accept-Encoding": "gzip", "User-Agent": "Go-http-client/1.1", "X-Forwarded-For": "127.0.0.1",
			"X-Forwarded-Host": "127.0.0.1:40000", "X-Forwarded-Proto": "http", "X-Jelou-Function": "probe", "X-Jelou-Signature": "t=1764980000,v2=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			"X-Jelou-Token-Id": "tok_0123456789", "X-Jelou-Trigger": "mcp", "X-Request-Id": "0b7c1f7e-4a8e-4f57-9d3e-1c2b3a4d5e6f"}}})
	b.Run("DecodeJSON", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeJSON(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsonschema.UnmarshalJSON", func(b *testing.B) {
		for b.Loop() {
			if _, err := jsonschema.UnmarshalJSON(bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCompileRefusesExternalRefs: a schema that points at a file does not compile, even
// when the file holds a valid schema (jsonschema's default loader would read it).
func TestCompileRefusesExternalRefs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(file, []byte(`{"type":"string"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := parseJSON([]byte(`{"type":"object","properties":{"a":{"$ref":"file://` + filepath.ToSlash(file) + `"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := compileOne("x", tree.(*object)); err == nil {
		t.Errorf("compileOne with a file $ref = %v, want it refused", s)
	}
}

// FuzzWriteJSONString: every string reads back as the string encoding/json writes for it.
func FuzzWriteJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\n\n\t\x00\x1f<&>", "\xff\xfe", "\u2028\u2029é😀", "a\xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		WriteJSONString(&buf, s)
		var got string
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("WriteJSONString(%q) = %s, not a JSON string: %v", s, buf.Bytes(), err)
		}
		std, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(std, &want)
		if got != want {
			t.Fatalf("WriteJSONString(%q) reads back %q, encoding/json's %q", s, got, want)
		}
	})
}

// FuzzQuickProof: a schema the quick prover vouches for is valid against the 2020-12
// meta-schema, as the generic validator judges it.
func FuzzQuickProof(f *testing.F) {
	for _, s := range []string{
		`{"type":"object","properties":{"a":{"type":["string","null"],"maxLength":3}},"required":["a"]}`,
		`{"type":"array","items":{"$ref":"#/$defs/x"},"$defs":{"x":{"enum":[1,"a",null]}}}`,
		`{"allOf":[{"minimum":1.5},{"multipleOf":0.5}],"default":{"k":[1]},"x-extra":{"type":5}}`,
		`{"type":[]}`, `{"required":["a","a"]}`, `{"minLength":-1}`, `{"minItems":2.0}`, `{"anyOf":[]}`,
		`{"$id":"x#y"}`, `{"const":{"$id":"#a"}}`, `true`, `{"properties":{"a":false}}`,
	} {
		f.Add([]byte(s))
	}
	meta, err := metaSchema()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return
		}
		tree, err := parseJSON(data)
		if err != nil || !newQuickProver().schema(tree, 0) {
			return
		}
		v, err := (&nativeConv{memo: map[*object]map[string]any{}}).value(tree)
		if err != nil {
			t.Fatalf("quick proof vouches for %s, which the meta-schema check cannot read: %v", data, err)
		}
		if err := meta.Validate(v); err != nil {
			t.Fatalf("quick proof vouches for %s, which the meta-schema refuses: %v", data, err)
		}
	})
}
