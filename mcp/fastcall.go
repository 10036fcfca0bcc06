package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/openapi"
)

// The tools/call hot path reads the message once and writes the answer itself. mcp-go's
// HandleMessage reads a message twice (its envelope, then the params) and writes a result
// through a map, which cost about a third of a call's CPU; a call here runs the same
// handler (callTool) on the same arguments, decoded as mcp-go decodes them (encoding/json,
// numbers as float64), and writes the same JSON-RPC answer. Anything unusual (a task, an
// id that is neither a string nor a number, a tool this connection cannot call, a JSON-RPC
// version other than 2.0) goes to mcp-go, which answers as it always has.

// callParams are the params of a tools/call request as the hot path reads them.
type callParams struct {
	Name      string
	Arguments any
	Meta      json.RawMessage
	// Members that make mcp-go do more than call the tool, or refuse the call.
	Task, InputResponses, RequestState json.RawMessage
}

// readCallParams reads the params of a tools/call message as mcp-go reads them
// (encoding/json into a struct: any case, the last member winning, a null leaving the name
// as it was, numbers as float64). It reports false when mcp-go would not read them.
func readCallParams(params []byte) (p callParams, ok bool) {
	ok = true
	err := openapi.EachMember(params, func(key string, v []byte) {
		switch {
		case strings.EqualFold(key, "name"):
			if string(v) != "null" {
				v, err := openapi.DecodeJSONAny(v)
				name, isString := v.(string)
				ok = ok && err == nil && isString
				p.Name = name
			}
		case strings.EqualFold(key, "arguments"):
			var err error
			p.Arguments, err = openapi.DecodeJSONAny(v)
			ok = ok && err == nil
		case strings.EqualFold(key, "_meta"):
			p.Meta = v
		case strings.EqualFold(key, "task"):
			p.Task = v
		case strings.EqualFold(key, "inputResponses"):
			p.InputResponses = v
		case strings.EqualFold(key, "requestState"):
			p.RequestState = v
		}
	})
	return p, ok && err == nil
}

// plain reports whether p is a call mcp-go would simply run: no task, no multi-round-trip
// state, and _meta, when present, an object.
func (p *callParams) plain() bool {
	if p.Name == "" || len(p.Task) > 0 || len(p.InputResponses) > 0 || len(p.RequestState) > 0 {
		return false
	}
	meta := bytes.TrimLeft(p.Meta, jsonSpace)
	return len(meta) == 0 || meta[0] == '{'
}

// fastToolCall answers the tools/call message msg (as peek read it) and reports true, or
// reports false, having done nothing, when mcp-go should answer it.
func (b *Bridge) fastToolCall(ctx context.Context, w http.ResponseWriter, msg peeked) bool {
	if msg.method != string(mcpgo.MethodToolsCall) || msg.result || msg.paramsTwice || string(msg.jsonrpc) != `"`+mcpgo.JSONRPC_VERSION+`"` {
		return false
	}
	p, ok := readCallParams(msg.params)
	if !ok || !p.plain() {
		return false
	}
	id, err := openapi.DecodeJSONAny(msg.id) // as mcp-go reads it, so that it is written back the same way
	if err != nil {
		return false
	}
	switch id.(type) {
	case string, float64:
	default:
		return false
	}
	if !b.callable(ctx, p.Name) {
		return false // mcp-go writes its "tool not found" error
	}
	var req mcpgo.CallToolRequest
	req.Params.Name = p.Name
	req.Params.Arguments = p.Arguments

	// notifications/cancelled naming this request ends the call, as mcp-go's own registry
	// of requests in flight would.
	idJSON, _ := json.Marshal(id)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	session, _ := ctx.Value(checkedKey{}).(string)
	defer b.calls.add(session, idJSON, cancel)()

	out := bytes.NewBuffer(make([]byte, 0, 1024))
	out.WriteString(`{"jsonrpc":"2.0","id":`)
	if s, ok := id.(string); ok {
		openapi.WriteJSONString(out, s)
	} else {
		out.Write(idJSON)
	}
	res, err := b.recoveredCall(ctx, req)
	if err == nil {
		out.WriteString(`,"result":`)
		err = appendResult(out, res)
	}
	if err != nil { // what mcp-go writes for a handler's error
		out.Reset()
		e, _ := json.Marshal(mcpgo.NewJSONRPCError(mcpgo.NewRequestId(id), mcpgo.INTERNAL_ERROR, err.Error(), nil))
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
func (b *Bridge) recoveredCall(ctx context.Context, req mcpgo.CallToolRequest) (res *mcpgo.CallToolResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("panic recovered in %s tool handler: %v", req.Params.Name, r)
		}
	}()
	return b.callTool(ctx, req)
}

// appendResult writes res as the JSON mcpgo.CallToolResult's MarshalJSON gives (keys in its
// order: content, isError, structuredContent), without building a map or reflecting over
// strings (openapi.WriteJSONString). A result with anything else set goes through
// MarshalJSON itself. The JSON is
// equal as a value to MarshalJSON's; its bytes differ only in that <, > and & are not
// escaped and structuredContent keeps the upstream's own spacing.
func appendResult(out *bytes.Buffer, res *mcpgo.CallToolResult) error {
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
		if t, ok := c.(mcpgo.TextContent); ok && t.Annotations == nil && t.Meta == nil {
			out.WriteString(`{"type":"text","text":`)
			openapi.WriteJSONString(out, t.Text)
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
	case len(res.RawStructuredContent) > 0: // valid JSON: mapResponse checked it
		out.WriteString(`,"structuredContent":`)
		out.Write(res.RawStructuredContent)
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

// callsInFlight are the hot path's tool calls in flight, by session and request id, so that
// notifications/cancelled can end them.
type callsInFlight struct {
	mu sync.Mutex
	m  map[string]context.CancelFunc
}

func callKey(session string, id []byte) string { return session + "\x00" + string(id) }

// add registers a call and returns the function that removes it.
func (c *callsInFlight) add(session string, id []byte, cancel context.CancelFunc) (remove func()) {
	k := callKey(session, id)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]context.CancelFunc)
	}
	c.m[k] = cancel
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.m, k)
		c.mu.Unlock()
	}
}

// cancelled ends the call a notifications/cancelled message (msg) names in session, if it
// is in flight here. mcp-go still sees the message, for the requests it runs itself.
func (c *callsInFlight) cancelled(session string, msg peeked, body []byte) {
	if msg.method != string(mcpgo.MethodNotificationCancelled) || session == "" {
		return
	}
	// The whole message, as mcp-go reads it: encoding/json merges a repeated "params".
	var m struct {
		Params struct {
			RequestID any `json:"requestId"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &m) != nil || m.Params.RequestID == nil {
		return
	}
	id, err := json.Marshal(m.Params.RequestID)
	if err != nil {
		return
	}
	c.mu.Lock()
	cancel := c.m[callKey(session, id)]
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
