package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/mark3labs/mcp-go/mcp"
)

// maxRequestBody bounds a JSON-RPC message posted to /mcp. mcp-go reads bodies without a
// limit, so the gate reads (at most this much) first.
const maxRequestBody = 4 << 20

var errBodyTooLarge = errors.New("request body too large")

// readBody reads r up to limit bytes. It returns errBodyTooLarge when there is more.
func readBody(r io.Reader, limit int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// peeked is what the gate reads of a POST body before mcp-go parses it.
type peeked struct {
	method  string // "" unless the body is one JSON object with a string "method"
	request bool   // it has a non-null "id": a request, not a notification
	modern  bool   // its params._meta declares the stateless revision 2026-07-28 or later

	// The raw members, so that the tools/call hot path (fastcall.go) reads only params.
	jsonrpc, id, params json.RawMessage
	// result is set when the message also has a "result": mcp-go takes it for a response.
	result bool
}

// peek reads the method, the id and the declared revision of a single JSON-RPC message, as
// mcp-go reads them (encoding/json into structs), in one pass. A response, a batch, or
// anything that is not JSON is the zero message.
func peek(body []byte) peeked {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return peeked{}
	}
	var msg struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
		Method  json.RawMessage `json:"method"`
		ID      json.RawMessage `json:"id"`
		Params  json.RawMessage `json:"params"`
		Result  json.RawMessage `json:"result"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return peeked{}
	}
	m := peeked{jsonrpc: msg.JSONRPC, id: msg.ID, params: msg.Params, result: len(msg.Result) > 0 && string(msg.Result) != "null"}
	if json.Unmarshal(msg.Method, &m.method) != nil {
		return peeked{}
	}
	m.request = len(msg.ID) > 0 && string(msg.ID) != "null"
	// A key may be written with escapes ("\u005fmeta"): then the substring test cannot tell.
	if bytes.Contains(msg.Params, []byte(`"_meta"`)) || bytes.Contains(msg.Params, []byte(`\u`)) {
		// mcp-go's own test (detectRequestEra), applied to params alone.
		var params struct {
			Meta *mcp.Meta `json:"_meta"`
		}
		if json.Unmarshal(msg.Params, &params) == nil {
			m.modern = mcp.IsModernProtocol(params.Meta.ProtocolVersion())
		}
	}
	return m
}

// peekMethod returns the "method" of a single JSON-RPC message, or "" when body is not one
// JSON object with a string method (a response, a batch, or not JSON at all). The session
// gate uses it to tell initialize and tools/call apart; mcp-go parses and answers the
// message.
func peekMethod(body []byte) string { return peek(body).method }
