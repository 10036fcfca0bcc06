package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The compiler is handed the tree as decoded values; they must be what
// decoding the tree's JSON text gives.
func TestNativeValueMatchesJSONText(t *testing.T) {
	shared := newObject(1)
	shared.set("type", "string")
	doc := newObject(8)
	doc.set("s", "plain")
	doc.set("bad\xffkey", "in\xffvalid\xc3 \u2028 \ufffd")
	doc.set("n", json.Number("1.50e3"))
	doc.set("f", 0.1)
	doc.set("i", 42)
	doc.set("i64", int64(-7))
	doc.set("b", true)
	doc.set("null", nil)
	doc.set("nilobj", (*object)(nil))
	doc.set("empty", []any(nil))
	doc.set("a", []any{shared, shared, "x", json.Number("0")})
	doc.set("m", map[string]any{"z": 1.25, "a": []int{1, 2}})

	got, err := (&nativeConv{memo: map[*object]map[string]any{}}).value(doc)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := marshalTree(doc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("native value\n%#v\nwant (through JSON text)\n%#v", got, want)
	}

	bad := newObject(1)
	bad.set("n", json.Number("01"))
	if _, err := (&nativeConv{memo: map[*object]map[string]any{}}).value(bad); err == nil {
		t.Error("an invalid number was accepted")
	}
}

// Compiling in batches gives every tool its schema, and a bad schema fails
// alone: its batch falls back to one compilation per tool.
func TestCompileAllBatches(t *testing.T) {
	var us []compileUnit
	for i := range 3*compileMinBatch + 7 {
		root := newObject(3)
		root.set("type", "object")
		props := newObject(1)
		p := newObject(1)
		p.set("$ref", "#/$defs/Shared")
		props.set("p", p)
		root.set("properties", props)
		defs := newObject(1)
		d := newObject(1)
		d.set("type", "string")
		defs.set("Shared", d)
		root.set("$defs", defs)
		if i == 150 {
			root.set("type", 12) // not valid JSON Schema
		}
		us = append(us, compileUnit{fmt.Sprintf("t%d", i), root})
	}
	in, out := compileAll(us, nil)
	if len(out) != 0 {
		t.Errorf("outputs = %d, want none", len(out))
	}
	for i, u := range us {
		s := in[u.name]
		if i == 150 {
			if s != nil {
				t.Errorf("%s compiled, want it to fail", u.name)
			}
			if _, err := compileOne(u.name, u.root); err == nil {
				t.Errorf("compileOne(%s) succeeded, want an error", u.name)
			}
			continue
		}
		if s == nil {
			if _, err := compileOne(u.name, u.root); err != nil {
				t.Errorf("%s: %v", u.name, err)
			}
			continue
		}
		if err := s.Validate(map[string]any{"p": "x"}); err != nil {
			t.Errorf("%s rejects a valid instance: %v", u.name, err)
		}
		if err := s.Validate(map[string]any{"p": json.Number("1")}); err == nil {
			t.Errorf("%s accepts an invalid instance", u.name)
		}
	}
}
