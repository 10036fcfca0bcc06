package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/openapi"
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
	// paramsTwice: "params" appears more than once. encoding/json decodes each into the
	// same struct, so mcp-go may read members of an earlier one (arguments, _meta) where
	// params holds only the last: the hot path leaves such a message to mcp-go.
	paramsTwice bool
}

// peek reads the method, the id and the declared revision of a single JSON-RPC message, as
// mcp-go reads them (encoding/json into structs: a key matches a member whatever its case,
// and the last one wins), in one pass. A response, a batch, or anything that is not JSON is
// the zero message.
func peek(body []byte) peeked {
	body = bytes.Trim(body, jsonSpace) // JSON's own spaces only, as mcp-go reads the body
	if len(body) == 0 || body[0] != '{' {
		return peeked{}
	}
	var m peeked
	var result json.RawMessage
	hasMethod, badMethod := false, false
	err := openapi.EachMember(body, func(key string, v []byte) {
		switch {
		case strings.EqualFold(key, "jsonrpc"):
			m.jsonrpc = v
		case strings.EqualFold(key, "method"):
			// encoding/json reads each one in turn; a null leaves a string as it was.
			hasMethod = true
			if string(v) != "null" {
				s, err := openapi.DecodeJSONAny(v)
				method, ok := s.(string)
				badMethod = badMethod || err != nil || !ok
				m.method = method
			}
		case strings.EqualFold(key, "id"):
			m.id = v
		case strings.EqualFold(key, "params"):
			m.paramsTwice = m.paramsTwice || m.params != nil
			m.params = v
		case strings.EqualFold(key, "result"):
			result = v
		}
	})
	// A message with no method, or a method that is not a string (or null), reads as nothing.
	if err != nil || !hasMethod || badMethod {
		return peeked{}
	}
	m.result = len(result) > 0 && string(result) != "null"
	m.request = len(m.id) > 0 && string(m.id) != "null"
	switch {
	case m.paramsTwice:
		// mcp-go's own test (detectRequestEra), on the whole message.
		var wrapper struct {
			Params struct {
				Meta *mcpgo.Meta `json:"_meta"`
			} `json:"params"`
		}
		if json.Unmarshal(body, &wrapper) == nil {
			m.modern = mcpgo.IsModernProtocol(wrapper.Params.Meta.ProtocolVersion())
		}
	case len(m.params) > 0 && m.params[0] == '{':
		var meta json.RawMessage
		_ = openapi.EachMember(m.params, func(key string, v []byte) {
			if strings.EqualFold(key, "_meta") {
				meta = v
			}
		})
		if len(meta) > 0 {
			// mcp-go's own test (detectRequestEra), applied to params alone.
			var params struct {
				Meta *mcpgo.Meta `json:"_meta"`
			}
			if json.Unmarshal(m.params, &params) == nil {
				m.modern = mcpgo.IsModernProtocol(params.Meta.ProtocolVersion())
			}
		}
	}
	return m
}

// peekMethod returns the "method" of a single JSON-RPC message, or "" when body is not one
// JSON object with a string method (a response, a batch, or not JSON at all). The session
// gate uses it to tell initialize and tools/call apart; mcp-go parses and answers the
// message.
func peekMethod(body []byte) string { return peek(body).method }
