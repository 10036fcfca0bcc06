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

// proveUnits accepts exactly the schemas that compile: a bad root, a bad shared definition
// (which fails every unit carrying it) and a dangling $ref are not proven, and each of those
// indeed does not compile; every proven one does.
func TestProveUnits(t *testing.T) {
	unit := func(name string, rootType any, ref string, defType any) compileUnit {
		root := newObject(3)
		root.set("type", rootType)
		props := newObject(1)
		p := newObject(1)
		p.set("$ref", ref)
		props.set("p", p)
		root.set("properties", props)
		defs := newObject(1)
		d := newObject(1)
		d.set("type", defType)
		defs.set("Shared", d)
		root.set("$defs", defs)
		return compileUnit{name, root}
	}
	var us []compileUnit
	for i := range 40 {
		us = append(us, unit(fmt.Sprintf("t%d", i), "object", "#/$defs/Shared", "string"))
	}
	us[7] = unit("badRoot", 12, "#/$defs/Shared", "string")
	us[9] = unit("dangling", "object", "#/$defs/Missing", "string")
	us[11] = unit("escaped", "object", "#/$defs/Sh~0ared", "string")
	notProven := map[string]bool{"badRoot": true, "dangling": true, "escaped": true}

	// exact: every unit but notProven is proven (units checked on their own, or a batch
	// without a bad unit); otherwise a batch with a bad unit may leave good ones unproven
	// (compileOne then accepts them), but never proves a bad one.
	check := func(us []compileUnit, shared bool, notProven map[string]bool, exact bool) {
		t.Helper()
		for i, ok := range proveUnits(us, shared) {
			name := us[i].name
			if (ok && notProven[name]) || (exact && !ok && !notProven[name]) {
				t.Errorf("shared=%v: %s proven = %v, want %v", shared, name, ok, !notProven[name])
			}
			if _, err := compileOne(name, us[i].root); ok && err != nil {
				t.Errorf("shared=%v: %s is proven but does not compile: %v", shared, name, err)
			}
		}
	}
	check(us, true, notProven, false)
	check(us[12:], true, nil, true) // no bad unit among them

	// A private definition that is bad fails its own unit only; shared by name, the first
	// one seen stands for all (the converter gives one name one definition).
	private := []compileUnit{
		unit("good", "object", "#/$defs/Shared", "string"),
		unit("badDef", "object", "#/$defs/Shared", 12),
	}
	check(private, false, map[string]bool{"badDef": true}, true)
	if _, err := compileOne("badDef", private[1].root); err == nil {
		t.Error("a schema whose definition has type 12 compiles")
	}
	if _, err := compileOne("badRoot", us[7].root); err == nil {
		t.Error("a schema with type 12 compiles")
	}
	if _, err := compileOne("dangling", us[9].root); err == nil {
		t.Error("a schema with a dangling $ref compiles")
	}
}
