package mcp

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/mcp/mcptest"
	"github.com/jfnhq/jfn/openapi"
)

// entryWith is the entry of a GET /x tool whose 200 answer has the JSON schema
// responseSchema ("" for none), as openapi.Load makes it: an object schema is the output
// schema, anything else is wrapped as {"result": …}.
func entryWith(t *testing.T, responseSchema string) *toolEntry {
	t.Helper()
	content := ""
	if responseSchema != "" {
		content = `,"content":{"application/json":{"schema":` + responseSchema + `}}`
	}
	doc := `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"operationId":"x",` +
		`"responses":{"200":{"description":"ok"` + content + `}}}}}}`
	spec, err := openapi.Load([]byte(doc))
	if err != nil || len(spec.Tools()) != 1 {
		t.Fatalf("openapi.Load(%s) = %v, %v", doc, spec, err)
	}
	def := spec.Tools()[0]
	if (responseSchema != "") != (len(def.OutputSchema) > 0) {
		t.Fatalf("tool x has output schema %s for the response schema %q", def.OutputSchema, responseSchema)
	}
	return &toolEntry{def: def, output: len(def.OutputSchema) > 0, wrap: def.WrapResult}
}

func respond(status int, contentType string) *http.Response {
	r := &http.Response{StatusCode: status, Header: http.Header{}}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestMapResponse(t *testing.T) {
	const petSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}}}`
	const wrapped = `{"type":"array","items":{"type":"integer"}}` // wrapped as {"result": …}
	const naturalResult = `{"type":"object","properties":{"result":{"type":"string"}}}`
	tests := []struct {
		name        string
		schema      string
		status      int
		ctype, body string
		wantError   bool
		wantText    string // substring of the text
		wantSC      string // substring of structuredContent as JSON; "" means none
	}{
		{"json object", petSchema, 200, "application/json", `{"name":"Rex"}`, false, `{"name":"Rex"}`, `"name":"Rex"`},
		{"problem+json", "", 200, "application/problem+json; charset=utf-8", `{"a":1}`, false, `{"a":1}`, `"a":1`},
		{"array wrapped", wrapped, 200, "application/json", `[1,2]`, false, `[1,2]`, `"result":[1,2]`},
		{"array without schema", "", 200, "application/json", `[1,2]`, false, `[1,2]`, `"result":[1,2]`},
		{"scalar without schema", "", 200, "application/json", `"hi"`, false, `"hi"`, `"result":"hi"`},
		{"natural result property", naturalResult, 200, "application/json", `{"result":"ok"}`, false, "ok", `{"result":"ok"}`},
		{"mismatch names field", petSchema, 200, "application/json", `{"name":"Rex","age":"old"}`, true, "age", ""},
		{"mismatch in wrapper", wrapped, 200, "application/json", `[1,"x"]`, true, "result[1]", ""},
		{"array for an object schema", petSchema, 200, "application/json", `[1]`, true, "(the whole response)", ""},
		{"big integer kept", "", 200, "application/json", `{"n":12345678901234567890}`, false, "12345678901234567890", "12345678901234567890"},
		{"text", "", 200, "text/plain", "hello", false, "hello", ""},
		{"text with output schema", petSchema, 200, "text/plain", "hello", false, "hello", "{}"},
		{"empty", "", 204, "", "", false, "HTTP 204 No Content (empty body)", ""},
		{"empty with output schema", petSchema, 200, "application/json", "", false, "HTTP 200 OK (empty body)", "{}"},
		{"binary", "", 200, "application/octet-stream", "\xff\xfe\x00", false, "3 bytes of application/octet-stream", ""},
		{"invalid json as text", "", 200, "application/json", "{oops", false, "{oops", ""},
		{"404", "", 404, "application/json", `{"error":"gone"}`, true, "HTTP 404 Not Found\n\n{\"error\":\"gone\"}", ""},
		{"500 empty", "", 500, "", "", true, "HTTP 500 Internal Server Error (empty body)", ""},
		{"302", "", 302, "", "", true, "HTTP 302 Found", ""},
		{"unknown status", "", 599, "", "x", true, "HTTP 599\n\nx", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mapResponse(entryWith(t, tt.schema), respond(tt.status, tt.ctype), []byte(tt.body))
			if res.IsError != tt.wantError {
				t.Errorf("isError = %v, want %v (text %q)", res.IsError, tt.wantError, mcptest.Text(res))
			}
			if !strings.Contains(mcptest.Text(res), tt.wantText) {
				t.Errorf("text = %q, want it to contain %q", mcptest.Text(res), tt.wantText)
			}
			// What a client reads: the result as mcp-go writes it.
			var shown struct {
				SC json.RawMessage `json:"structuredContent"`
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &shown); err != nil {
				t.Fatal(err)
			}
			sc := string(shown.SC)
			if (tt.wantSC == "") != (sc == "") || !strings.Contains(sc, tt.wantSC) {
				t.Errorf("structuredContent = %q, want %q", sc, tt.wantSC)
			}
		})
	}
}

func TestMapResponseImage(t *testing.T) {
	res := mapResponse(entryWith(t, ""), respond(200, "image/png"), pixelPNG)
	if len(res.Content) != 1 {
		t.Fatalf("content = %#v", res.Content)
	}
	img, ok := mcpgo.AsImageContent(res.Content[0])
	if !ok || img.MIMEType != "image/png" || img.Data == "" || res.IsError {
		t.Errorf("content = %#v, want image/png", res.Content[0])
	}
}

func TestCut(t *testing.T) {
	body := strings.Repeat("é", 10) // 20 bytes
	got := cut([]byte(body), 5)
	if !strings.HasPrefix(got, "éé\n") || !strings.Contains(got, "16 more bytes") {
		t.Errorf("cut(%q, 5) = %q", body, got)
	}
	if got := cut([]byte("short"), 10); got != "short" {
		t.Errorf("cut(short) = %q", got)
	}
	big := strings.Repeat("x", 2*maxErrorBody)
	res := mapResponse(entryWith(t, ""), respond(500, "text/plain"), []byte(big))
	if n := len(mcptest.Text(res)); n > maxErrorBody+200 {
		t.Errorf("500 with a %d-byte body gave %d bytes of text, want it cut near %d", len(big), n, maxErrorBody)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
