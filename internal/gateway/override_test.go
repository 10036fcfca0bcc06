package gateway

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"strings"
	"testing"
)

// multipartBody returns a multipart/form-data body with a field for each name, and its
// Content-Type.
func multipartBody(t testing.TB, names ...string) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, n := range names {
		if err := w.WriteField(n, "DELETE"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.Bytes()
}

func TestHasMethodField(t *testing.T) {
	form, withMethod := multipartBody(t, "a", "_Method")
	formOK, without := multipartBody(t, "a", "merge_method")
	tests := []struct {
		ctype, body string
		want        bool
	}{
		{"application/x-www-form-urlencoded", "a=1&_method=DELETE", true},
		{"application/x-www-form-urlencoded; charset=utf-8", "_METHOD=delete", true},
		{"application/x-www-form-urlencoded", "merge_method=squash", false},
		{"", "_method=DELETE", true}, // Rack parses a POST without a Content-Type as a form
		{"", `{"a":1}`, false},
		{form, string(withMethod), true},
		{formOK, string(without), false},
		{`multipart/form-data; boundary=X`, "--X\r\nContent-Disposition: form-data; name*=utf-8''%5Fmethod\r\n\r\nDELETE\r\n--X--\r\n", true},
		{`multipart/form-data; boundary=X`, "--X\r\nContent-Disposition: form-data; name=_method\r\n\r\nDELETE\r\n--X--\r\n", true},
		{`multipart/form-data; boundary=Y`, "not a multipart body, but _method=DELETE", true},
		{`multipart/form-data; boundary=Y`, "not a multipart body", false},
		{`multipart/form-data`, "--X\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--X--\r\n", true},
		{"application/json", `{"a":1,"_method":"DELETE"}`, true},
		{"application/json", `{"a":{"b":[1,2]},"\u005fmethod":"DELETE"}`, true},
		{"application/vnd.api+json", `{"_METHOD":"DELETE"}`, true},
		{"application/json", `{"a":{"_method":"DELETE"}}`, false}, // not at the top level
		{"application/json", `["_method"]`, false},
		{"application/json", `{"merge_method":"squash"}`, false},
		{"application/json", `{"a":1,`, false},    // not JSON: no framework reads it
		{"application/json", `{"_method"`, false}, // nor this
		{"text/plain", "_method=DELETE", false},
		{"application/json; charset=\"", "_method=DELETE", true}, // unreadable Content-Type
		{"application/json", "", false},
		// Names as the frameworks read them: percent-decoded, and renamed by PHP.
		{"application/x-www-form-urlencoded", "_%6Dethod=DELETE", true},
		{"", "_m%65thod=DELETE", true},
		{"application/x-www-form-urlencoded", ".method=DELETE", true},
		{"application/x-www-form-urlencoded", "+_method=DELETE", true},
		{"application/x-www-form-urlencoded", "_method%00=DELETE", true},
		{"application/x-www-form-urlencoded", "_method[]=DELETE", true},
		{"application/x-www-form-urlencoded", "[method=DELETE", true}, // '[' without ']' reads as '_'
		{"application/x-www-form-urlencoded", "x[_method]=DELETE", false},
		{"application/x-www-form-urlencoded", "a=1;_method=DELETE", true},
		{"application/x-www-form-urlencoded", "comment=use+the+_method+field", false}, // a value, not a name
		// Multipart is not taken apart: any mention of the name as a word counts.
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: inline; name=\"_method\"\r\n\r\nDELETE\r\n--X--\r\n", true},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"_method\"; x=a/b\r\n\r\nDELETE\r\n--X--\r\n", true},
		{"multipart/related; boundary=X", "--X\r\nContent-ID: _method\r\n\r\nDELETE\r\n--X--\r\n", true},
		{"multipart/mixed", "_%6Dethod=DELETE", true},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"payment_method\"\r\n\r\ncard\r\n--X--\r\n", false},
		// Laravel reads JSON for any Content-Type that mentions json.
		{`text/plain; p="+json"`, `{"_method":"DELETE"}`, true},
		{"text/plain, application/json", `{"\u005fmethod":"DELETE"}`, true},
		{"application/json, text/plain", `{"payment_method":"card"}`, false},
		{"application/json; charset=", `{"payment_method":"card"}`, false},
		{"application/json;;", `{"payment_method":"card"}`, false},
		{"application/json;;", `{"x":"_method"}`, false}, // JSON, read as JSON: a value, not a member
		{"application/json;;", `_method=DELETE`, true},   // not JSON, unreadable Content-Type: any mention counts
		// Rack 2 reads a name's first run between brackets.
		{"application/x-www-form-urlencoded", "[_method]=DELETE", true},
		{"application/x-www-form-urlencoded", "]_method=DELETE", true},
		{"application/x-www-form-urlencoded", "_method]=DELETE", true},
		{"application/x-www-form-urlencoded", "%5B_method%5D=DELETE", true},
		{"application/x-www-form-urlencoded", "notes[_method]=DELETE", false},
		// Rack drops backslashes from a quoted name; PHP joins a header line without ':' to the last.
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"_\\method\"\r\n\r\nDELETE\r\n--X--\r\n", true},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"_me\r\nthod\"\r\n\r\nDELETE\r\n--X--\r\n", true},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=_me\nthod\r\n\r\nDELETE\r\n--X--\r\n", true},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\" .method\"\r\n\r\nDELETE\r\n--X--\r\n", true},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.js\"\r\n\r\nfoo().method();\n  .method()\r\n--X--\r\n", false},
		// Words that are no override: a space before method, no Content-Type with prose, a
		// repeated Content-Type whose JSON is read as JSON.
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.html\"\r\n\r\n<form method=\"get\">id, method, amount. Done. Method: POST\r\n--X--\r\n", false},
		{"", "address, method and date; see the _method field", false},
		{"application/json, text/plain", `{"payment_method":"card","note":"the _method field"}`, false},
	}
	for _, tt := range tests {
		if got := hasMethodField(tt.ctype, []byte(tt.body)); got != tt.want {
			t.Errorf("hasMethodField(%q, %q) = %v, want %v", tt.ctype, tt.body, got, tt.want)
		}
	}
}

// FuzzMethodField holds hasMethodField to what a framework reads: a JSON object whose
// top-level keys include "_method" in any case is found, and so is a multipart field of
// that name; and a body that does not name it, written out or escaped, passes.
func FuzzMethodField(f *testing.F) {
	f.Add("application/json", `{"_method":"DELETE"}`)
	f.Add("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nx\r\n--X--\r\n")
	f.Add("", "a=1&_method=PUT")
	f.Fuzz(func(t *testing.T, ctype, body string) {
		got := hasMethodField(ctype, []byte(body))
		if got && !strings.Contains(strings.ToLower(body), "method") && !strings.Contains(body, `\`) && !strings.Contains(body, "%") {
			t.Fatalf("hasMethodField(%q, %q) = true, but the body names no _method, written out or escaped", ctype, body)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &m) == nil && strings.Contains(ctype, "json") && strings.HasPrefix(strings.TrimSpace(ctype), "application/") {
			want := false
			for k := range m {
				want = want || strings.EqualFold(k, "_method")
			}
			if want && !got {
				t.Fatalf("hasMethodField(%q, %q) = false, but the object has a _method member", ctype, body)
			}
		}
		// A field name of the fuzzer's choosing, in a well-formed multipart body.
		name := body
		if len(name) > 64 {
			name = name[:64]
		}
		mt, mb := multipartBody(t, "a", name)
		want := strings.EqualFold(name, "_method")
		if got := hasMethodField(mt, mb); want && !got {
			t.Fatalf("a multipart field named %q was not found", name)
		}
	})
}
