package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

func TestPeekMethod(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`, "initialize"},
		{`  {"method":"tools/call"}  `, "tools/call"},
		{`{"method":"tools/list","method":"initialize"}`, "initialize"}, // last wins, as in mcp-go
		{`{"METHOD":"initialize"}`, "initialize"},                       // encoding/json folds case, as mcp-go does
		{`[{"method":"initialize"}]`, ""},
		{`{"id":1,"result":{}}`, ""},
		{`{"method":1}`, ""},
		{`{"method":"initialize"`, ""},
		{``, ""},
		{`null`, ""},
	}
	for _, tt := range tests {
		if got := peekMethod([]byte(tt.body)); got != tt.want {
			t.Errorf("peekMethod(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestReadBody(t *testing.T) {
	if b, err := readBody(strings.NewReader("abc"), 3); err != nil || string(b) != "abc" {
		t.Errorf("readBody(3 bytes, limit 3) = %q, %v", b, err)
	}
	if _, err := readBody(strings.NewReader("abcd"), 3); !errors.Is(err, errBodyTooLarge) {
		t.Errorf("readBody(4 bytes, limit 3) error = %v, want errBodyTooLarge", err)
	}
}

// FuzzPeekMethod checks that the gate's reading of an untrusted body never panics and agrees
// with how mcp-go reads the same bytes (encoding/json into a struct with a method field).
func FuzzPeekMethod(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`,
		`{"method":"tools/call","params":{"name":"x"}}`,
		`[{"method":"initialize"}]`,
		`{"method":"\u0069nitialize"}`,
		`{"Method":"initialize","method":"ping"}`,
		`{"id":1,"result":{}}`,
		`{"jsonrpc":"2.0","id":null,"method":"tools/call"}`,
		"\u00a0{\"method\":\"initialize\"}", // a space JSON does not allow: mcp-go reads no message
		"\u0085{\"method\":\"initialize\"}\u2028",
		`{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > maxRequestBody {
			return
		}
		m := peek(body)
		got := m.method
		var msg struct {
			Method string `json:"method"`
		}
		err := json.Unmarshal(body, &msg)
		// mcp-go's HandleMessage tells a request from a notification by a non-nil id.
		var base struct {
			ID any `json:"id,omitempty"`
		}
		if got != "" && json.Unmarshal(body, &base) == nil && m.request != (base.ID != nil) {
			t.Errorf("peek(%q).request = %v, mcp-go reads id %v", body, m.request, base.ID)
		}
		// The tools/call hot path reads these members as the gate kept them.
		var raw struct {
			JSONRPC json.RawMessage `json:"jsonrpc"`
			Params  json.RawMessage `json:"params"`
		}
		if got != "" && json.Unmarshal(body, &raw) == nil && (!bytes.Equal(raw.JSONRPC, m.jsonrpc) || !bytes.Equal(raw.Params, m.params)) {
			t.Errorf("peek(%q) keeps jsonrpc %s and params %s, encoding/json reads %s and %s", body, m.jsonrpc, m.params, raw.JSONRPC, raw.Params)
		}
		trimmed := bytes.TrimSpace(body)
		if err == nil && len(trimmed) > 0 && trimmed[0] == '{' && got != msg.Method {
			t.Errorf("peekMethod(%q) = %q, mcp-go would read %q", body, got, msg.Method)
		}
		if got == "initialize" && (err != nil || msg.Method != "initialize") {
			t.Errorf("peekMethod(%q) = initialize, but mcp-go would not see an initialize", body)
		}
	})
}

// TestPeekModernAsMCPGo: the declared revision is read as mcp-go reads it from the whole
// message, where a params member written twice is decoded twice into the same struct (a
// _meta of the first stays when the last has none).
func TestPeekModernAsMCPGo(t *testing.T) {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}},"params":{"name":"x"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"PARAMS":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}},"params":{"_meta":{}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}},"params":null}`,
	} {
		var wrapper struct {
			Params struct {
				Meta *mcpgo.Meta `json:"_meta"`
			} `json:"params"`
		}
		want := json.Unmarshal([]byte(body), &wrapper) == nil && mcpgo.IsModernProtocol(wrapper.Params.Meta.ProtocolVersion())
		if got := peek([]byte(body)).modern; got != want {
			t.Errorf("peek(%s).modern = %v, mcp-go reads %v", body, got, want)
		}
	}
}
