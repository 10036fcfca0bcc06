package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// What an operator's console reads from the running gateway: each function's document as
// served now, its tools, and the MCP layer's search and call paths.

// FunctionState is a function as this gateway serves it now.
type FunctionState struct {
	Function store.Function
	// Loaded is true once a document has loaded; Tools are its tools.
	Loaded bool
	Spec   *openapi.Spec
	Tools  []openapi.Tool
	// FetchedAt is when the document was last confirmed current.
	FetchedAt time.Time
	// TriedAt is when the latest fetch of the document ended, successful or not; zero before
	// the first.
	TriedAt time.Time
	// Problem says why the latest fetch failed, in words safe to show; "" when it did not.
	Problem string
}

// ErrNoMCP is returned by CallTool and SearchTools for a function whose /mcp is off.
var ErrNoMCP = errors.New("MCP is off for this function")

// ErrUnknownFunction is returned for a function the gateway does not serve (yet).
var ErrUnknownFunction = errors.New("the gateway does not serve this function yet")

// FunctionState returns the state of function name, and false when the gateway does not
// serve it (not deployed, or deployed less than a second ago).
func (g *Gateway) FunctionState(name string) (FunctionState, bool) {
	fn := g.idx.Load().functions[name]
	if fn == nil {
		return FunctionState{}, false
	}
	st := FunctionState{Function: fn.fn}
	if s := fn.spec.current(); s != nil {
		st.TriedAt = s.triedAt
		if s.doc != nil {
			st.Loaded, st.Spec, st.Tools, st.FetchedAt = true, s.doc, s.doc.Tools(), s.fetchedAt
		}
		if s.err != nil {
			st.Problem = s.reason
		}
	}
	return st, true
}

func (g *Gateway) operator(name string) (MCPHandler, error) {
	fn := g.idx.Load().functions[name]
	if fn == nil {
		return nil, ErrUnknownFunction
	}
	if h := fn.mcp.Load(); h != nil && fn.fn.MCP {
		return h.h, nil
	}
	return nil, ErrNoMCP
}

// SearchTools ranks function's tools for query with search_tools' search.
func (g *Gateway) SearchTools(function, query string, limit int) ([]catalog.SearchResult, error) {
	op, err := g.operator(function)
	if err != nil {
		return nil, err
	}
	return op.Search(query, limit), nil
}

// CallTool calls tool of function with args as a tools/call does (validation, signing,
// logging, metrics), with X-Jelou-Trigger: trigger. It returns the CallToolResult as JSON.
func (g *Gateway) CallTool(ctx context.Context, trigger, function, tool string, args map[string]any) (json.RawMessage, error) {
	op, err := g.operator(function)
	if err != nil {
		return nil, err
	}
	res, err := op.Call(ctx, trigger, tool, args)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", tool, err)
	}
	return res, nil
}
