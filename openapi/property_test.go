package openapi

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestPropertyName(t *testing.T) {
	long := strings.Repeat("abcdefghij", 7) // 70 characters
	tests := []struct {
		name, in, want string
	}{
		{"valid kept", "X-Trace", "X-Trace"},
		{"valid with dots kept", "a.b-c_d", "a.b-c_d"},
		{"valid leading underscore kept", "_id", "_id"},
		{"valid double underscore kept", "a__b", "a__b"},
		{"bracket group", "filter[status]", "filter.status"},
		{"page size", "page[size]", "page.size"},
		{"empty group dropped", "ids[]", "ids"},
		{"nested groups", "filter[a][b]", "filter.a.b"},
		{"empty and full groups", "a[][b]", "a.b"},
		{"text after a group", "a[b]c", "a.b.c"},
		{"group first", "[a]b", "a.b"},
		{"unclosed bracket", "a[b", "a_b"},
		{"stray closing bracket", "a]b", "a_b"},
		{"bracket inside group", "a[b[c]]", "a_b.c"},
		{"space in group", "filter[created at]", "filter.created_at"},
		{"less than", "StartTime<", "StartTime_lt"},
		{"greater than", "StartTime>", "StartTime_gt"},
		{"less or equal", "StartTime<=", "StartTime_lt"},
		{"less than inside", "a<b", "a_ltb"},
		{"less than first", "<a", "lta"},
		{"space", "Start Time", "Start_Time"},
		{"spaces and underscores collapse", "a _ b", "a_b"},
		{"leading dollar", "$filter", "filter"},
		{"odata", "$top", "top"},
		{"leading and trailing dots", ".a b.", "a_b"},
		{"inner dots kept", "a..b c", "a..b_c"},
		{"unicode only", "名前", "param"},
		{"unicode mixed", "año", "a_o"},
		{"unicode n tilde", "ñ", "param"},
		{"empty", "", "param"},
		{"only symbols", "$$$", "param"},
		{"only brackets", "[]", "param"},
		{"colon", "user:id", "user_id"},
		{"exactly 64 kept", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"over 64 valid", long, long[:55] + "_" + shortHash(long)},
		{"over 64 renamed", long + "[]", long[:55] + "_" + shortHash(long)},
		{"over 64 ends in a dot after the cut", strings.Repeat("a", 54) + ".bbbbbbbbbbbbb", strings.Repeat("a", 54) + "_" + shortHash(strings.Repeat("a", 54)+".bbbbbbbbbbbbb")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := propertyName(tt.in)
			if got != tt.want {
				t.Errorf("propertyName(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !validPropertyName.MatchString(got) {
				t.Errorf("propertyName(%q) = %q: does not match %s", tt.in, got, validPropertyName)
			}
		})
	}
}

func TestPropertyNames(t *testing.T) {
	long := strings.Repeat("x", 64)
	tests := []struct {
		name    string
		entries []propertyEntry
		want    []string
	}{
		{"no clash",
			[]propertyEntry{{"id", "path"}, {"filter[status]", "query"}, {"name", "body"}},
			[]string{"id", "filter.status", "name"}},
		{"parameter and body property",
			[]propertyEntry{{"id", "path"}, {"id", "body"}},
			[]string{"id__path", "id"}},
		{"two parameters of the same name",
			[]propertyEntry{{"id", "path"}, {"id", "query"}, {"id", "body"}},
			[]string{"id__path", "id__query", "id"}},
		{"renamed and written alike: the one written so keeps it",
			[]propertyEntry{{"a[b]", "query"}, {"a.b", "query"}},
			[]string{"a.b__query", "a.b"}},
		{"renamed name equal to a body property",
			[]propertyEntry{{"a[b]", "query"}, {"a.b", "body"}},
			[]string{"a.b__query", "a.b"}},
		{"renamed body property equal to a parameter",
			[]propertyEntry{{"a.b", "query"}, {"a[b]", "body"}},
			[]string{"a.b", "a.b__body"}},
		{"both renamed",
			[]propertyEntry{{"Start Time", "query"}, {"Start Time", "body"}},
			[]string{"Start_Time__query", "Start_Time__body"}},
		{"suffix taken by a name as written",
			[]propertyEntry{{"a[b]", "query"}, {"a.b", "query"}, {"a.b__query", "body"}},
			[]string{"a.b__query_2", "a.b", "a.b__query"}},
		{"three renamed alike in one location",
			[]propertyEntry{{"$x", "query"}, {"x[]", "query"}, {"x ", "query"}},
			[]string{"x__query", "x__query_2", "x__query_3"}},
		{"suffix taken by a later parameter",
			[]propertyEntry{{"id", "query"}, {"id", "body"}, {"id__query", "header"}},
			[]string{"id__query_2", "id", "id__query"}},
		{"unicode names",
			[]propertyEntry{{"名前", "body"}, {"ñ", "body"}, {"param", "query"}},
			[]string{"param__body", "param__body_2", "param"}},
		{"suffix keeps 64 characters",
			[]propertyEntry{{long, "query"}, {long, "cookie"}},
			[]string{long[:57] + "__query", long[:56] + "__cookie"}},
		{"body as its own property",
			[]propertyEntry{{"body", "query"}, {"body[]", "header"}, {"body", "body"}},
			[]string{"body__query", "body__header", "body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := propertyNames(tt.entries)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("propertyNames(%v) = %q, want %q", tt.entries, got, tt.want)
			}
			checkPropertyNames(t, tt.entries, got)
		})
	}
}

// checkPropertyNames asserts that names are valid, distinct, stable, and
// keep every name that is valid and clashes with nothing.
func checkPropertyNames(t *testing.T, entries []propertyEntry, names []string) {
	t.Helper()
	seen := map[string]bool{}
	for i, n := range names {
		if !validPropertyName.MatchString(n) {
			t.Errorf("name %q of %q does not match %s", n, entries[i].name, validPropertyName)
		}
		if seen[n] {
			t.Errorf("name %q is given twice (all: %q)", n, names)
		}
		seen[n] = true
	}
	if again := propertyNames(entries); !slices.Equal(again, names) {
		t.Errorf("propertyNames is not deterministic: %q then %q", names, again)
	}
	for i, e := range entries {
		alone := true
		for j, o := range entries {
			alone = alone && (i == j || propertyName(o.name) != e.name)
		}
		if alone && validPropertyName.MatchString(e.name) && names[i] != e.name {
			t.Errorf("%q clashes with nothing, but is listed as %q", e.name, names[i])
		}
	}
}

// TestRenamedPropertiesReachTheUpstream proves that every renamed argument is
// sent under its name in the document: path, query (plain and next to a
// deepObject parameter named like its prefix), header, cookie and JSON body.
func TestRenamedPropertiesReachTheUpstream(t *testing.T) {
	tool := loadTool(t, "testdata/golden/propnames.yaml", "listCalls")
	got := roundTrip(t, tool, "/api", map[string]any{
		"call.id":       "c/1",
		"filter.status": "open",
		"page.size":     20,
		"ids":           []any{"a", "b"},
		"StartTime_lt":  "2024-01-02",
		"StartTime_gt":  "2024-01-01",
		"filter__query": "x eq 1",
		"filter":        map[string]any{"from": "2020"},
		"a.b__query":    "bracket",
		"a.b":           "dot",
		"X-Trace_Id":    "t-1",
		"session.id":    "s 1",
	})
	u, err := url.ParseRequestURI(got.requestURI)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/api/calls/c%2F1"; u.EscapedPath() != want {
		t.Errorf("path = %q, want %q", u.EscapedPath(), want)
	}
	wantQuery := "filter%5Bstatus%5D=open&page%5Bsize%5D=20&ids%5B%5D=a&ids%5B%5D=b" +
		"&StartTime%3C=2024-01-02&StartTime%3E=2024-01-01&%24filter=x+eq+1" +
		"&filter%5Bfrom%5D=2020&a%5Bb%5D=bracket&a.b=dot"
	if u.RawQuery != wantQuery {
		t.Errorf("query = %q\nwant    %q", u.RawQuery, wantQuery)
	}
	if h := got.header.Values("X-Trace$Id"); !slices.Equal(h, []string{"t-1"}) {
		t.Errorf("header %q = %q, want [t-1] (headers: %v)", "X-Trace$Id", h, got.header)
	}
	if c := got.header.Get("Cookie"); c != "session[id]=s+1" {
		t.Errorf("Cookie = %q, want %q", c, "session[id]=s+1")
	}

	tool = loadTool(t, "testdata/golden/propnames.yaml", "createCustomer")
	args := map[string]any{
		"id__path":          "c1",
		"Start_Time__query": "q",
		"id":                7,
		"param":             "Ada",
		"Start_Time__body":  "b",
		"meta.tag":          "vip",
		"extra":             true,
	}
	if problems := tool.Validate(args); problems != nil {
		t.Fatalf("Validate(%v) = %q, want no problem", args, problems)
	}
	got = roundTrip(t, tool, "", args)
	if want := "/customers/c1?Start+Time=q"; got.requestURI != want {
		t.Errorf("request URI = %q, want %q", got.requestURI, want)
	}
	var body map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatalf("body %q: %v", got.body, err)
	}
	want := map[string]any{"id": 7.0, "名前": "Ada", "Start Time": "b", "meta[tag]": "vip", "extra": true}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %v, want %v", body, want)
	}
}

// TestRenamedPropertiesInProblems checks that validation names a property
// as the model sees it.
func TestRenamedPropertiesInProblems(t *testing.T) {
	tool := loadTool(t, "testdata/golden/propnames.yaml", "createCustomer")
	got := tool.Validate(map[string]any{"id__path": "c1", "param": 5})
	want := []string{"Start_Time__body: required property is missing", "param: must be string, not number"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Validate = %q, want %q", got, want)
	}
}

// TestRenamedFormFieldsAreNotTouched: the fields of a form body are nested
// under "body", so their names stay as written.
func TestRenamedFormFieldsAreNotTouched(t *testing.T) {
	doc := `{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/f":{"post":{"operationId":"f",
	 "requestBody":{"content":{"application/x-www-form-urlencoded":{"schema":{"type":"object","properties":{"a[b]":{"type":"string"}}}}}},
	 "responses":{}}}}}`
	tool := loadToolData(t, []byte(doc), "f")
	if !strings.Contains(string(tool.InputSchema), `"a[b]"`) {
		t.Errorf("InputSchema = %s, want the form field a[b] as written", tool.InputSchema)
	}
	got := roundTrip(t, tool, "", map[string]any{"body": map[string]any{"a[b]": "x"}})
	if string(got.body) != "a%5Bb%5D=x" {
		t.Errorf("form body = %q, want %q", got.body, "a%5Bb%5D=x")
	}
}
