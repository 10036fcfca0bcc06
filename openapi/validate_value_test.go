package openapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// viaJSON is what Validate read before schemaValue: the JSON text of v, read back.
func viaJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchemaValueMatchesJSONText(t *testing.T) {
	for _, in := range []string{
		`{}`, `{"a":1,"b":-0.5,"c":1e21,"d":1e-7,"e":123456789012345678901234,"f":0.000001}`,
		`{"n":null,"t":true,"s":"x<&>\u2028","l":[1,"2",[3.25,{"k":-1e-300}]]}`,
		`{"big":1.7976931348623157e308,"small":5e-324,"neg0":-0}`,
	} {
		var v map[string]any
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		got, ok := schemaValue(v)
		if want := viaJSON(t, v); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("schemaValue(%s) = %#v, %v; want %#v", in, got, ok, want)
		}
	}
	for _, v := range []any{map[string]any{"i": 1}, map[string]any{"s": "\xff"}, []any{struct{}{}}} {
		if _, ok := schemaValue(v); ok {
			t.Errorf("schemaValue(%#v) took a value encoding/json does not decode to", v)
		}
	}
}

// FuzzSchemaValue: for any JSON document, the value validated is the one its JSON text gives.
func FuzzSchemaValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x"]}`, `1e-7`, `[null,true,{"b":-0}]`, `"\u00e9"`, `123456789012345678901234567890`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		got, ok := schemaValue(v)
		if !ok {
			t.Fatalf("schemaValue refused a value encoding/json decoded from %q", data)
		}
		if want := viaJSON(t, v); !reflect.DeepEqual(got, want) {
			t.Fatalf("schemaValue(%q) = %#v, want %#v", data, got, want)
		}
	})
}
