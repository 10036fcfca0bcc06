package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/mcp/mcptest"
)

// TestHeadToolAnswer: an answer to HEAD declares a length but has no body; the tool's
// result is the empty answer, not a failed read.
func TestHeadToolAnswer(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "13")
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(`{"ok":"yes!"}`))
		}
	}))
	defer up.Close()
	doc := []byte(`{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/thing":{"head":{"operationId":"headThing","responses":{"200":{"description":"ok"}}}}}}`)
	base, _ := url.Parse(up.URL)
	b, err := New(&Options{Function: testFunction, Upstream: base, Timeout: time.Second, Client: up.Client(), Sessions: NewMemorySessions(), Logger: zerolog.Nop()}, loadSpec(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var req mcpgo.CallToolRequest
	req.Params.Name = "headThing"
	res, err := b.callTool(context.Background(), req)
	if err != nil || res.IsError || !strings.Contains(mcptest.Text(res), "HTTP 200 OK (empty body)") {
		t.Errorf("HEAD tool = %q (isError %v, %v), want HTTP 200 OK (empty body)", mcptest.Text(res), res != nil && res.IsError, err)
	}
}

// TestStructuredContentIsValidUTF8: an upstream's JSON with bytes that are not UTF-8 (in a
// string) or non-JSON spaces around it never reaches the client as invalid JSON text.
func TestStructuredContentIsValidUTF8(t *testing.T) {
	h := newHarness(t, nil)
	ts := h.bridge.tools.Load()
	for _, name := range []string{"getPet", "listPets", "hello"} { // object schema, wrapped, none
		for _, body := range []string{"{\"name\":\"R\xffx\"}", "[\"\xff\xfe\"]", "\u00a0{\"a\":1}\u0085", "{\"a\":\"\u2028\"}", " \n{\"name\":\"a\"}\r\n"} {
			resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
			res := mapResponse(ts.byName[name], resp, []byte(body))
			var out bytes.Buffer
			if err := appendResult(&out, res); err != nil {
				t.Fatal(err)
			}
			viaMCPGo, _ := json.Marshal(res)
			for what, b := range map[string][]byte{"hot path": out.Bytes(), "mcp-go": viaMCPGo} {
				if !utf8.Valid(b) || !json.Valid(b) {
					t.Errorf("%s, body %q: the %s answer is not valid UTF-8 JSON: %q", name, body, what, b)
				}
			}
		}
	}
}
