package console

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"github.com/jfnhq/jfn/openapi"
)

func TestFieldsAndArgs(t *testing.T) {
	tool := openapi.Tool{Name: "t", InputSchema: json.RawMessage(`{"type":"object","properties":{
		"b":{"type":"integer"},"a":{"type":"string","enum":["x","y"]},"id":{"type":"string"},
		"n":{"type":["number","null"]},"ok":{"type":"boolean"},"body":{"type":"object"}},"required":["id"]}`)}
	fields := fieldsOf(tool)
	var names, kinds []string
	for _, f := range fields {
		names, kinds = append(names, f.Name), append(kinds, f.Kind)
	}
	if want := []string{"id", "a", "b", "body", "n", "ok"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("fieldsOf names = %v, want %v (required first, then by name)", names, want)
	}
	if want := []string{"string", "enum", "integer", "json", "number", "boolean"}; !reflect.DeepEqual(kinds, want) {
		t.Fatalf("fieldsOf kinds = %v, want %v", kinds, want)
	}
	tests := []struct {
		name     string
		form     url.Values
		want     map[string]any
		problems int
	}{
		{"empty inputs are left out", url.Values{"arg.id": {""}}, map[string]any{}, 0},
		{"typed values", url.Values{"arg.id": {" p 1 "}, "arg.b": {"3"}, "arg.n": {"2.5"}, "arg.ok": {"true"}, "arg.body": {`{"k":[1]}`}, "arg.a": {"y"}},
			map[string]any{"id": " p 1 ", "b": 3.0, "n": 2.5, "ok": true, "body": map[string]any{"k": []any{1.0}}, "a": "y"}, 0},
		{"wrong types", url.Values{"arg.b": {"3.5"}, "arg.n": {"x"}, "arg.ok": {"1"}, "arg.body": {"{"}}, map[string]any{}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := parseArgs(fields, tt.form)
			if len(problems) != tt.problems {
				t.Fatalf("parseArgs problems = %q, want %d", problems, tt.problems)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseArgs = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestFieldsSayWhereArgumentsGo(t *testing.T) {
	spec, err := openapi.Load([]byte(`{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/r/{id}":{"post":{"operationId":"op",
	"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}},{"name":"filter[state]","in":"query","schema":{"type":"string"}}],
	"requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"note":{"type":"string"}}}}}},"responses":{}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fieldsOf(spec.Tools()[0]) {
		got[f.Name] = f.Sent
	}
	if want := map[string]string{"id": "path", "filter.state": "query filter[state]", "note": "body"}; !reflect.DeepEqual(got, want) {
		t.Errorf("where the fields are sent = %v, want %v", got, want)
	}
}
