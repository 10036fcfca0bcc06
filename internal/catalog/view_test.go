package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jfnhq/jfn/openapi"
)

// manyTools is a document with n tools tagged "a", each with a description and a parameter
// description of descLen characters, one tool tagged "b" and one untagged.
func manyTools(t *testing.T, n, descLen int) []openapi.Tool {
	t.Helper()
	var paths []string
	for i := range n {
		long := strings.Repeat("x", descLen)
		paths = append(paths, fmt.Sprintf(`"/a%d":{"get":{"operationId":"a%d","tags":["a"],"description":%q,`+
			`"parameters":[{"name":"q","in":"query","description":%q,"schema":{"type":"string"}}],"responses":{}}}`, i, i, long, long))
	}
	paths = append(paths, `"/b":{"post":{"operationId":"b","tags":["b","Extra Tag"],"responses":{}}}`, `"/c":{"get":{"operationId":"c","responses":{}}}`)
	spec, err := openapi.Load([]byte(`{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{` + strings.Join(paths, ",") + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	return spec.Tools()
}

func TestSelect(t *testing.T) {
	tools := manyTools(t, 3, 10)
	if got, want := Toolsets(tools), []Toolset{{"a", 3}, {"b", 1}, {"Extra_Tag", 1}, {"untagged", 1}}; !slices.Equal(got, want) {
		t.Errorf("Toolsets = %v, want %v", got, want)
	}
	v, err := Select(tools, ModeAuto, nil)
	if err != nil || v.Mode != ModeAll || len(v.Selected) != 5 || v.Bytes <= 0 {
		t.Errorf("Select(auto, all toolsets) = %+v, %v; want all mode with 5 tools", v, err)
	}
	v, err = Select(tools, ModeAll, []string{"B", "untagged"})
	if err != nil || !slices.Equal(v.Selected, []int{3, 4}) || !slices.Equal(v.Toolsets, []string{"b", "untagged"}) {
		t.Errorf("Select(all, B,untagged) = %+v, %v; want tools 3 and 4, toolsets named as the document names them", v, err)
	}
	if names := v.Listed(tools); len(names) != 2 || names[0].Name != "b" || names[1].Name != "c" {
		t.Errorf("Listed = %v, want b and c", names)
	}
	_, err = Select(tools, ModeAll, []string{"a", "nope", "zzz"})
	var ue *UnknownToolsetsError
	if !errors.As(err, &ue) || !slices.Equal(ue.Unknown, []string{"nope", "zzz"}) || !strings.Contains(err.Error(), "a, b, Extra_Tag, untagged") {
		t.Errorf("Select with unknown toolsets: err = %v, want both named and the valid ones listed", err)
	}
	v, _ = Select(tools, ModeSearch, []string{"a"})
	if listed := v.Listed(tools); v.Mode != ModeSearch || len(listed) != 3 || listed[0].Name != SearchToolsName || listed[2].Name != CallToolName {
		t.Errorf("search mode lists %v, want the three search tools", listed)
	}
}

func TestSelectAuto(t *testing.T) {
	for _, tt := range []struct {
		name     string
		n, desc  int
		want     string
		toolsets []string
	}{
		{"few small tools", 10, 100, ModeAll, nil},
		{"just at 40 tools", AutoMaxTools - 2, 10, ModeAll, nil}, // + b and c
		{"more than 40 tools", AutoMaxTools, 10, ModeSearch, nil},
		{"more than 40 tools narrowed by a toolset", AutoMaxTools, 10, ModeAll, []string{"b"}},
		{"few tools over 64 KB", 20, 4000, ModeSearch, nil},
	} {
		tools := manyTools(t, tt.n, tt.desc)
		v, err := Select(tools, ModeAuto, tt.toolsets)
		if err != nil || v.Mode != tt.want {
			t.Errorf("%s: Select(auto) mode = %s (%d tools, %d bytes), %v; want %s", tt.name, v.Mode, len(v.Selected), v.Bytes, err, tt.want)
		}
		if v.Mode == ModeSearch && v.ListedBytes() >= v.Bytes {
			t.Errorf("%s: search mode lists %d bytes, not less than the %d it replaces", tt.name, v.ListedBytes(), v.Bytes)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]string{"": ModeAuto, "ALL": ModeAll, " search ": ModeSearch, "auto": ModeAuto} {
		if got, err := ParseMode(in); got != want || err != nil {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMode("some"); err == nil {
		t.Error(`ParseMode("some") succeeded, want an error`)
	}
	if got := ParseToolsets(" a, b,,a "); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("ParseToolsets = %q, want [a b]", got)
	}
}

func TestMetaToolsAreValid(t *testing.T) {
	for _, tool := range MetaTools() {
		if tool.VisibleSize() > 2048 {
			t.Errorf("%s: %d model-visible bytes; the search tools must stay small", tool.Name, tool.VisibleSize())
		}
	}
}

func TestDefault(t *testing.T) {
	tools := manyTools(t, 3, 10)
	v := Default(tools, "", []string{"b", "gone"})
	if v.Mode != ModeAll || !slices.Equal(v.Toolsets, []string{"b"}) || !slices.Equal(v.Selected, []int{3}) {
		t.Errorf("Default(auto, b,gone) = %+v; want the toolset the document still has, b", v)
	}
	if v := Default(tools, "bogus", []string{"gone"}); v.Mode != ModeAll || v.Toolsets != nil || len(v.Selected) != 5 {
		t.Errorf("Default(bogus, gone) = %+v; want auto mode over every tool", v)
	}
}

func TestSearchTools(t *testing.T) {
	tools := []openapi.Tool{
		{Name: "listUsers", Title: "List users", Method: "GET", Path: "/users", Toolsets: []string{"users"}},
		{Name: "deleteUser", Title: "Delete a user", Method: "DELETE", Path: "/users/{userId}", Toolsets: []string{"users"}},
		{Name: "stopServer", Title: "Stop a server", Method: "POST", Path: "/servers/{id}/stop"},
	}
	got := SearchTools(tools, "get rid of user 42", 1)
	if len(got) != 1 || got[0].Name != "deleteUser" || got[0].Method != "DELETE" || !slices.Equal(got[0].Toolsets, []string{"users"}) {
		t.Errorf("SearchTools(get rid of user 42, 1) = %+v, want deleteUser alone", got)
	}
	if got := SearchTools(tools, "stop", 5); len(got) == 0 || got[0].Name != "stopServer" || got[0].Toolsets == nil {
		t.Errorf("SearchTools(stop) = %+v, want stopServer first, with an empty toolset list", got)
	}
	if got := SearchTools(tools, "zzzz qqqq", 5); got == nil || len(got) != 0 {
		t.Errorf("SearchTools(no match) = %#v, want an empty list", got)
	}
}
