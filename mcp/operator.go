package mcp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jfnhq/jfn/internal/catalog"
)

// An operator's console lists, searches and calls a function's tools outside any MCP
// session, through the same paths as search_tools and tools/call.

// ErrUnknownTool is returned by Call for a name the current tool set does not hold.
var ErrUnknownTool = fmt.Errorf("mcp: unknown tool")

// Search ranks the function's tools for query as search_tools does, over every tool (no
// catalogue view applies), and returns at most limit of them (catalog.DefaultSearchLimit
// when limit is not positive).
func (b *Bridge) Search(query string, limit int) []catalog.SearchResult {
	if limit <= 0 {
		limit = catalog.DefaultSearchLimit
	}
	ts := b.tools.Load()
	docs, index := ts.search()
	hits := index.Search(query, limit, func(int) bool { return true })
	out := make([]catalog.SearchResult, len(hits))
	for i, h := range hits {
		out[i] = catalog.NewSearchResult(docs[h.Doc], ts.defs[h.Doc].Toolsets, h.Score)
	}
	return out
}

// Call runs tool name with args as tools/call does: the same validation, request building,
// signing, logging and metrics, with X-Jelou-Trigger set to trigger ("console") and no
// runtime token. It returns the CallToolResult as JSON, isError included; only a name the
// tool set does not hold is an error (ErrUnknownTool).
func (b *Bridge) Call(ctx context.Context, trigger, name string, args map[string]any) (json.RawMessage, error) {
	entry := b.tools.Load().byName[name]
	if entry == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownTool, name)
	}
	ctx = context.WithValue(ctx, callerKey{}, caller{trigger: trigger})
	var arguments any = args
	if args == nil {
		arguments = nil
	}
	res, outcome, upstream := b.call(ctx, entry, arguments)
	if outcome != "" {
		b.obs.get().ToolCall(entry.def.Name, outcome, upstream)
	}
	return json.Marshal(res)
}
