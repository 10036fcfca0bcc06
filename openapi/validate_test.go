package openapi

import (
	"reflect"
	"testing"
)

func TestValidate(t *testing.T) {
	customer := loadTool(t, "testdata/golden/collision.yaml", "updateCustomer")
	account := loadTool(t, "testdata/golden/readonly.yaml", "createAccount")
	pay := loadTool(t, "testdata/golden/combinators.yaml", "pay")
	search := loadTool(t, "testdata/golden/params.yaml", "search")
	tests := []struct {
		name string
		tool *Tool
		args map[string]any
		want []string
	}{
		{"valid", customer, map[string]any{"id__path": "c1", "id": 1, "name": "Ada"}, nil},
		{"missing", customer, map[string]any{"id": 1}, []string{
			"id__path: required property is missing", "name: required property is missing",
		}},
		{"nil arguments", customer, nil, []string{
			"id__path: required property is missing", "id: required property is missing", "name: required property is missing",
		}},
		{"wrong type", customer, map[string]any{"id__path": "c1", "id": "one", "name": "Ada"}, []string{
			"id: must be integer, not string",
		}},
		{"nested", account, map[string]any{"email": "a@b.c", "password": "12345678", "profile": map[string]any{}}, []string{
			"profile.nick: required property is missing",
		}},
		{"bound", account, map[string]any{"email": "a@b.c", "password": "short"}, []string{
			"password: must be at least 8 characters long, not 5",
		}},
		{"pattern", pay, map[string]any{"method": "card", "number": "12"}, []string{
			"number: must match the pattern ^[0-9]{16}$",
		}},
		{"readOnly not asked", account, map[string]any{"email": "a@b.c", "password": "12345678"}, nil},
		{"enum", pay, map[string]any{"method": "cash"}, []string{
			`method: must be one of "card", "transfer"`,
		}},
		{"array item", search, map[string]any{"kind": "a", "X-Request-Tag": "t", "session": "s", "ids": []any{1, "x"}}, []string{
			"ids[1]: must be integer, not string",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tool.Validate(tt.args); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate(%v) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestValidateZeroTool(t *testing.T) {
	var tool Tool
	if got := tool.Validate(map[string]any{}); len(got) != 1 {
		t.Errorf("Validate on a Tool not made by Load = %q, want one problem", got)
	}
}
