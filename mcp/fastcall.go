package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/internal/catalog"
)

// The tools/call hot path reads the message once and writes the answer itself. mcp-go's
// HandleMessage reads a message twice (its envelope, then the params) and writes a result
// through a map, which cost about a third of a call's CPU; a call here runs the same
// handler (callTool) on the same arguments, decoded as mcp-go decodes them (encoding/json,
// numbers as float64), and writes the same JSON-RPC answer. Anything unusual (a task, an
// id that is neither a string nor a number, a tool this connection cannot call, a JSON-RPC
// version other than 2.0) goes to mcp-go, which answers as it always has.

// callMessage is a tools/call request as the hot path reads it.
type callMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  struct {
		Name      string          `json:"name"`
		Arguments any             `json:"arguments"`
		Task      json.RawMessage `json:"task"`
	} `json:"params"`
}

// fastToolCall answers a tools/call body and reports true, or reports false, having done
// nothing, when mcp-go should answer it.
func (b *Bridge) fastToolCall(ctx context.Context, w http.ResponseWriter, body []byte) bool {
	var m callMessage
	if json.Unmarshal(body, &m) != nil || m.JSONRPC != mcp.JSONRPC_VERSION ||
		m.Method != string(mcp.MethodToolsCall) || len(m.Params.Task) > 0 || m.Params.Name == "" {
		return false
	}
	var id any // as mcp-go reads it, so that it is written back the same way
	if json.Unmarshal(m.ID, &id) != nil {
		return false
	}
	switch id.(type) {
	case string, float64:
	default:
		return false
	}
	if !b.callable(ctx, m.Params.Name) {
		return false // mcp-go writes its "tool not found" error
	}
	var req mcp.CallToolRequest
	req.Params.Name = m.Params.Name
	req.Params.Arguments = m.Params.Arguments

	idJSON, _ := json.Marshal(id)
	out := bytes.NewBuffer(make([]byte, 0, 512))
	out.WriteString(`{"jsonrpc":"2.0","id":`)
	out.Write(idJSON)
	res, err := b.recoveredCall(ctx, req)
	if err == nil {
		out.WriteString(`,"result":`)
		err = appendResult(out, res)
	}
	if err != nil { // what mcp-go writes for a handler's error
		out.Reset()
		e, _ := json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(id), mcp.INTERNAL_ERROR, err.Error(), nil))
		out.Write(e)
	} else {
		out.WriteByte('}')
	}
	out.WriteByte('\n')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Bytes())
	return true
}

// callable reports whether this connection's catalogue lets it call name (callTool's test).
func (b *Bridge) callable(ctx context.Context, name string) bool {
	ts := b.tools.Load()
	ve := b.viewOf(ctx, ts)
	if ve.view.Mode == catalog.ModeSearch && isMetaName(name) {
		return true
	}
	return ts.byName[name] != nil && ve.allowed[name]
}

// recoveredCall runs callTool and turns a panic into the error mcp-go's WithRecovery gives.
func (b *Bridge) recoveredCall(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("panic recovered in %s tool handler: %v", req.Params.Name, r)
		}
	}()
	return b.callTool(ctx, req)
}

// appendResult writes res as mcp.CallToolResult's MarshalJSON does (keys in order: content,
// isError, structuredContent), without building a map. A result with anything else set
// goes through MarshalJSON itself.
func appendResult(out *bytes.Buffer, res *mcp.CallToolResult) error {
	if res.Meta != nil || res.ResultType != "" || len(res.InputRequests) > 0 || res.RequestState != "" {
		b, err := json.Marshal(res)
		out.Write(b)
		return err
	}
	out.WriteString(`{"content":[`)
	for i, c := range res.Content {
		if i > 0 {
			out.WriteByte(',')
		}
		if t, ok := c.(mcp.TextContent); ok && t.Annotations == nil && t.Meta == nil {
			out.WriteString(`{"type":"text","text":`)
			s, err := json.Marshal(t.Text)
			if err != nil {
				return err
			}
			out.Write(s)
			out.WriteByte('}')
			continue
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		out.Write(b)
	}
	out.WriteByte(']')
	if res.IsError {
		out.WriteString(`,"isError":true`)
	}
	switch {
	case len(res.RawStructuredContent) > 0:
		out.WriteString(`,"structuredContent":`)
		// encoding/json writes a RawMessage compacted, with <, > and & escaped.
		var compact bytes.Buffer
		if err := json.Compact(&compact, res.RawStructuredContent); err != nil {
			return err
		}
		json.HTMLEscape(out, compact.Bytes())
	case res.StructuredContent != nil:
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return err
		}
		out.WriteString(`,"structuredContent":`)
		out.Write(b)
	}
	out.WriteByte('}')
	return nil
}
