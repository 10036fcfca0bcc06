package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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

// peekMethod returns the "method" of a single JSON-RPC message, or "" when body is not one
// JSON object with a string method (a response, a batch, or not JSON at all). The session
// gate uses it only to tell "initialize" apart; mcp-go parses and answers the message.
func peekMethod(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return ""
	}
	var msg struct {
		Method json.RawMessage `json:"method"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return ""
	}
	var method string
	if json.Unmarshal(msg.Method, &method) != nil {
		return ""
	}
	return method
}
