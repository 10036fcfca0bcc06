package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/jfnhq/jfn/internal/catalog"
)

// Catalogues. A connection sees a view of the function's tools, so that an agent can use
// what /mcp lists whatever the size of the API: the toolsets it selects and a mode, from its
// URL (?toolsets=a,b&mode=search) or the function's defaults (Options.Mode,
// Options.Toolsets). In "all" mode tools/list lists the selected tools; in "search" mode it
// lists search_tools, describe_tool and call_tool, which find, describe and run the
// selected tools. "auto" is "all" while the selection is small (catalog.AutoMaxTools,
// catalog.AutoMaxBytes), else "search".
//
// The view is read from each request's URL: clients send every request of a session to the
// URL they connected to, so a session's catalogue is fixed by that URL. mcp-go's tool filter
// applies it to tools/list and to tools/call alike (a tool outside the view is "not found"),
// and every registered tool's handler is callTool, which runs the search tools in search mode.

// viewSpec is what a request asks for: a mode and toolsets, as given.
type viewSpec struct {
	mode     string
	toolsets []string
	key      string // mode and toolsets, for the tool set's cache of views
}

type viewKey struct{}

// viewEntry is a view resolved against one tool set.
type viewEntry struct {
	view    catalog.View
	listed  []mcpgo.Tool    // what tools/list shows
	allowed map[string]bool // real tools this view may call
}

// views caches a tool set's resolved views by viewSpec.key: a handful per function (the
// default and what connections' URLs ask for), bounded by maxViews.
type views struct {
	mu sync.RWMutex // read on every tools/list and tools/call
	m  map[string]*viewEntry
}

// maxViews bounds the cache; past it, views are resolved per request (any URL may ask for
// any combination of toolsets).
const maxViews = 64

// parseView reads the catalogue a request asks for from its URL, with the function's
// defaults for what it leaves out. It returns an error for an unknown mode; toolsets are
// checked against the document by (*toolSet).view.
func (b *Bridge) parseView(r *http.Request) (viewSpec, error) {
	if r.URL.RawQuery == "" {
		return b.defaultView, nil // the common case, without allocating
	}
	return b.parseViewQuery(r.URL.RawQuery)
}

// defaultViewSpec is the view of a URL without a query: the function's defaults.
func (b *Bridge) defaultViewSpec() viewSpec {
	spec, _ := b.parseViewQuery("")
	return spec
}

func (b *Bridge) parseViewQuery(rawQuery string) (viewSpec, error) {
	spec := viewSpec{mode: b.opts.Mode}
	explicit := false
	if rawQuery != "" {
		q, _ := url.ParseQuery(rawQuery)
		if m, ok := q["mode"]; ok {
			spec.mode = strings.Join(m, ",")
			mode, err := catalog.ParseMode(spec.mode)
			if err != nil || spec.mode == "" {
				return viewSpec{}, fmt.Errorf("unknown catalogue mode %q in the URL: use ?mode=auto, ?mode=all or ?mode=search", spec.mode)
			}
			spec.mode = mode
		}
		if ts, ok := q["toolsets"]; ok {
			spec.toolsets = catalog.ParseToolsets(strings.Join(ts, ","))
			explicit = true
		}
	}
	if !explicit {
		spec.toolsets = b.opts.Toolsets
	}
	if spec.mode == "" {
		spec.mode = catalog.ModeAuto
	}
	spec.key = spec.mode + "|" + strings.Join(spec.toolsets, ",")
	if !explicit {
		spec.key += "|default"
	}
	return spec, nil
}

// view resolves spec against the tool set. Toolsets the function's defaults name but the
// document no longer has are dropped (all of them gone: every tool); toolsets a URL names
// must exist, else the error lists the valid ones.
func (ts *toolSet) view(spec viewSpec) (*viewEntry, error) {
	ts.views.mu.RLock()
	ve := ts.views.m[spec.key]
	ts.views.mu.RUnlock()
	if ve != nil {
		return ve, nil
	}

	var v catalog.View
	if strings.HasSuffix(spec.key, "|default") {
		v = catalog.Default(ts.defs, spec.mode, spec.toolsets)
	} else {
		var err error
		if v, err = catalog.Select(ts.defs, spec.mode, spec.toolsets); err != nil {
			return nil, err
		}
	}
	ve = &viewEntry{view: v, allowed: make(map[string]bool, len(v.Selected))}
	for _, i := range v.Selected {
		ve.allowed[ts.defs[i].Name] = true
	}
	if v.Mode == catalog.ModeSearch {
		ve.listed = metaListed
	} else {
		ve.listed = make([]mcpgo.Tool, len(v.Selected))
		for i, j := range v.Selected {
			ve.listed[i] = ts.list[j].Tool
		}
	}
	ts.views.mu.Lock()
	if ts.views.m == nil {
		ts.views.m = map[string]*viewEntry{}
	}
	if len(ts.views.m) < maxViews {
		ts.views.m[spec.key] = ve
	}
	ts.views.mu.Unlock()
	return ve, nil
}

// viewOf returns the view of the request in ctx against ts; the function's default view when
// ctx carries none (or it no longer resolves, after a document change).
func (b *Bridge) viewOf(ctx context.Context, ts *toolSet) *viewEntry {
	spec, ok := ctx.Value(viewKey{}).(viewSpec)
	if !ok {
		spec = b.defaultView
	}
	ve, err := ts.view(spec)
	if err != nil {
		spec.toolsets = nil
		spec.key = spec.mode + "||all"
		ve, _ = ts.view(spec)
	}
	return ve
}

// filterTools is mcp-go's tool filter. Listing gets the whole registered set and answers
// with the view's tools; a call checks the one tool it names.
func (b *Bridge) filterTools(ctx context.Context, tools []mcpgo.Tool) []mcpgo.Tool {
	ts := b.tools.Load()
	ve := b.viewOf(ctx, ts)
	if len(tools) == 1 { // a call: every listing holds the three search tools' names at least
		name := tools[0].Name
		if (ve.view.Mode == catalog.ModeSearch && isMetaName(name)) || ve.allowed[name] {
			return tools
		}
		return nil
	}
	return ve.listed
}

func isMetaName(name string) bool {
	return name == catalog.SearchToolsName || name == catalog.DescribeToolName || name == catalog.CallToolName
}

// metaListed are the search tools as tools/list shows them.
var metaListed = func() []mcpgo.Tool {
	var out []mcpgo.Tool
	for _, def := range catalog.MetaTools() {
		tool := mcpgo.NewToolWithRawSchema(def.Name, def.Description, def.InputSchema)
		tool.Title = def.Title
		tool.Annotations = annotations(def.Annotations)
		tool.RawOutputSchema = def.OutputSchema
		out = append(out, tool)
	}
	return out
}()

// withMetaPlaceholders adds, for each search tool name no real tool has, a registration that
// lets mcp-go route calls of that name to callTool; the filter decides who sees it.
func withMetaPlaceholders(list []server.ServerTool, handler server.ToolHandlerFunc) []server.ServerTool {
	out := slices.Clone(list)
	for _, t := range metaListed {
		if !slices.ContainsFunc(list, func(st server.ServerTool) bool { return st.Tool.Name == t.Name }) {
			out = append(out, server.ServerTool{Tool: t, Handler: handler})
		}
	}
	return out
}

// callMeta runs a search tool.
func (b *Bridge) callMeta(ctx context.Context, ts *toolSet, ve *viewEntry, name string, arguments any) *mcpgo.CallToolResult {
	args, _ := arguments.(map[string]any)
	if arguments != nil && args == nil {
		return toolError("The arguments must be a JSON object.")
	}
	switch name {
	case catalog.SearchToolsName:
		return b.searchTools(ts, ve, args)
	case catalog.DescribeToolName:
		return b.describeTool(ts, ve, args)
	}
	return b.callByName(ctx, ts, ve, args)
}

func (b *Bridge) searchTools(ts *toolSet, ve *viewEntry, args map[string]any) *mcpgo.CallToolResult {
	query, ok := args["query"].(string)
	if !ok || strings.TrimSpace(query) == "" {
		return invalidArguments([]string{`"query" is required: the task, in plain words.`})
	}
	limit := catalog.DefaultSearchLimit
	if v, present := args["limit"]; present {
		f, isNum := v.(float64)
		if !isNum || f != math.Trunc(f) || f < 1 || f > catalog.MaxSearchLimit {
			return invalidArguments([]string{fmt.Sprintf(`"limit" must be a whole number from 1 to %d.`, catalog.MaxSearchLimit)})
		}
		limit = int(f)
	}
	docs, index := ts.search()
	hits := index.Search(query, len(ts.defs), func(i int) bool { return ve.allowed[ts.defs[i].Name] })
	total := len(hits)
	hits = hits[:min(limit, total)]
	results := make([]catalog.SearchResult, len(hits))
	var text strings.Builder
	if total == 0 {
		text.WriteString("No tool matches. Try other words for the task.")
	}
	for i, h := range hits {
		def := ts.defs[h.Doc]
		results[i] = catalog.NewSearchResult(docs[h.Doc], def.Toolsets, h.Score)
		fmt.Fprintf(&text, "%d. %s (%s %s): %s\n", i+1, def.Name, def.Method, def.Path, results[i].Summary)
	}
	if total > len(hits) {
		fmt.Fprintf(&text, "(%d of %d matching tools; raise limit for more)\n", len(hits), total)
	}
	return mcpgo.NewToolResultStructured(map[string]any{"results": results, "total": total}, strings.TrimSpace(text.String()))
}

// describedTool is describe_tool's answer: the tool exactly as "all" mode lists it.
type describedTool struct {
	Name         string               `json:"name"`
	Title        string               `json:"title,omitempty"`
	Description  string               `json:"description"`
	InputSchema  json.RawMessage      `json:"inputSchema"`
	OutputSchema json.RawMessage      `json:"outputSchema,omitempty"`
	Annotations  mcpgo.ToolAnnotation `json:"annotations"`
}

func (b *Bridge) describeTool(ts *toolSet, ve *viewEntry, args map[string]any) *mcpgo.CallToolResult {
	name, ok := args["name"].(string)
	if !ok || name == "" {
		return invalidArguments([]string{`"name" is required: a tool name from search_tools.`})
	}
	i := ts.position(name)
	if i < 0 || !ve.allowed[name] {
		return b.unknownTool(ts, ve, name)
	}
	t := ts.list[i].Tool
	d := describedTool{Name: t.Name, Title: t.Title, Description: t.Description,
		InputSchema: t.RawInputSchema, OutputSchema: t.RawOutputSchema, Annotations: t.Annotations}
	text, _ := json.MarshalIndent(d, "", "  ")
	res := mcpgo.NewToolResultStructured(d, string(text))
	return res
}

func (b *Bridge) callByName(ctx context.Context, ts *toolSet, ve *viewEntry, args map[string]any) *mcpgo.CallToolResult {
	name, ok := args["name"].(string)
	if !ok || name == "" {
		return invalidArguments([]string{`"name" is required: a tool name from search_tools.`})
	}
	entry := ts.byName[name]
	if entry == nil || !ve.allowed[name] {
		return b.unknownTool(ts, ve, name)
	}
	res, outcome, upstream := b.call(ctx, entry, args["arguments"])
	if outcome != "" {
		b.obs.get().ToolCall(entry.def.Name, outcome, upstream)
	}
	return res
}

// unknownTool answers a name the view does not hold, with up to five close matches.
func (b *Bridge) unknownTool(ts *toolSet, ve *viewEntry, name string) *mcpgo.CallToolResult {
	var near []string
	_, index := ts.search()
	for _, h := range index.Search(name, 5, func(i int) bool { return ve.allowed[ts.defs[i].Name] }) {
		near = append(near, ts.defs[h.Doc].Name)
	}
	msg := fmt.Sprintf("There is no tool named %q here.", name)
	if len(near) > 0 {
		msg += " Close matches: " + strings.Join(near, ", ") + "."
	}
	return toolError(msg + " Use search_tools to find one.")
}

// position is the index of the tool name in ts.defs, or -1.
func (ts *toolSet) position(name string) int {
	if e := ts.byName[name]; e != nil {
		return e.pos
	}
	return -1
}
