package catalog

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jfnhq/jfn/openapi"
)

// Catalogue modes: which tools a connection's tools/list shows.
const (
	// ModeAll lists every selected tool.
	ModeAll = "all"
	// ModeSearch lists the three search tools (MetaTools) instead.
	ModeSearch = "search"
	// ModeAuto is ModeAll while the selection is small enough for a model (AutoMaxTools,
	// AutoMaxBytes), else ModeSearch.
	ModeAuto = "auto"
)

// The bounds of ModeAuto: past either, a catalogue is listed in search mode. VS Code and
// JetBrains Copilot and OpenAI refuse more than 128 tools, Cursor warns past 40, and models
// lose track well before their context is full.
const (
	AutoMaxTools = 40
	AutoMaxBytes = 64 << 10
)

// Names of the search-mode tools.
const (
	SearchToolsName  = "search_tools"
	DescribeToolName = "describe_tool"
	CallToolName     = "call_tool"
)

// Search limits of search_tools.
const (
	DefaultSearchLimit = 10
	MaxSearchLimit     = 50
)

// ParseMode checks a mode as given by a deploy flag, a URL or the CLI; "" is ModeAuto.
func ParseMode(s string) (string, error) {
	switch m := strings.ToLower(strings.TrimSpace(s)); m {
	case "":
		return ModeAuto, nil
	case ModeAll, ModeSearch, ModeAuto:
		return m, nil
	}
	return "", fmt.Errorf("unknown catalogue mode %q: want auto, all or search", s)
}

// ParseToolsets splits a comma-separated list of toolset names ("issues,pulls"), trimmed
// and without duplicates; "" gives none (every tool).
func ParseToolsets(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Toolset is one toolset of a document and how many tools it holds.
type Toolset struct {
	Name  string `json:"name"`
	Tools int    `json:"tools"`
}

// Toolsets lists the toolsets of tools in the order they first appear.
func Toolsets(tools []openapi.Tool) []Toolset {
	var out []Toolset
	at := map[string]int{}
	for _, t := range tools {
		for _, ts := range t.Toolsets {
			i, ok := at[ts]
			if !ok {
				i = len(out)
				at[ts] = i
				out = append(out, Toolset{Name: ts})
			}
			out[i].Tools++
		}
	}
	return out
}

// UnknownToolsetsError names toolsets a connection asked for that the document does not
// have, and the ones it has.
type UnknownToolsetsError struct {
	Unknown, Valid []string
}

func (e *UnknownToolsetsError) Error() string {
	return fmt.Sprintf("unknown toolset %s; this function's toolsets are: %s",
		strings.Join(quoteAll(e.Unknown), ", "), strings.Join(e.Valid, ", "))
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return q
}

// View is a catalogue as one connection sees it.
type View struct {
	// Mode is what is listed: ModeAll or ModeSearch (ModeAuto resolved).
	Mode string
	// Toolsets are the selected toolsets; nil means every tool is selected.
	Toolsets []string
	// Selected are the indexes, in the document's tools, of the selected tools, in
	// document order.
	Selected []int
	// Bytes is the model-visible size of the selected tools (openapi.Tool.VisibleSize).
	Bytes int
}

// Select narrows tools to the named toolsets (names compared without case; none: every tool)
// and resolves mode (ModeAuto by the selection's size). A toolset the document does not have
// is an *UnknownToolsetsError.
func Select(tools []openapi.Tool, mode string, toolsets []string) (View, error) {
	v := View{Mode: mode}
	if len(toolsets) > 0 {
		all := Toolsets(tools)
		var unknown []string
		for _, want := range toolsets {
			i := slices.IndexFunc(all, func(ts Toolset) bool { return strings.EqualFold(ts.Name, want) })
			if i < 0 {
				unknown = append(unknown, want)
				continue
			}
			if !slices.Contains(v.Toolsets, all[i].Name) {
				v.Toolsets = append(v.Toolsets, all[i].Name)
			}
		}
		if len(unknown) > 0 {
			valid := make([]string, len(all))
			for i, ts := range all {
				valid[i] = ts.Name
			}
			return View{}, &UnknownToolsetsError{Unknown: unknown, Valid: valid}
		}
	}
	for i, t := range tools {
		if v.Toolsets == nil || slices.ContainsFunc(t.Toolsets, func(ts string) bool { return slices.Contains(v.Toolsets, ts) }) {
			v.Selected = append(v.Selected, i)
			v.Bytes += t.VisibleSize()
		}
	}
	if v.Mode == ModeAuto || v.Mode == "" {
		v.Mode = ModeAll
		if len(v.Selected) > AutoMaxTools || v.Bytes > AutoMaxBytes {
			v.Mode = ModeSearch
		}
	}
	return v, nil
}

// Default is the catalogue a connection gets from a function's deploy settings alone:
// mode as stored (anything but a known mode is ModeAuto) and the default toolsets that the
// document still has (a tag may disappear from a later version; none left selects every
// tool). Unlike a connection's own ?toolsets=, defaults never make an error.
func Default(tools []openapi.Tool, mode string, toolsets []string) View {
	m, err := ParseMode(mode)
	if err != nil {
		m = ModeAuto
	}
	if len(toolsets) > 0 {
		have := Toolsets(tools)
		toolsets = slices.DeleteFunc(slices.Clone(toolsets), func(name string) bool {
			return !slices.ContainsFunc(have, func(t Toolset) bool { return strings.EqualFold(t.Name, name) })
		})
	}
	v, _ := Select(tools, m, toolsets) // every toolset left is known
	return v
}

// Listed returns the tools tools/list shows for v: the selected tools in ModeAll, the three
// search tools in ModeSearch.
func (v View) Listed(tools []openapi.Tool) []openapi.Tool {
	if v.Mode == ModeSearch {
		return MetaTools()
	}
	out := make([]openapi.Tool, len(v.Selected))
	for i, j := range v.Selected {
		out[i] = tools[j]
	}
	return out
}

// ListedBytes is the model-visible size of what v lists.
func (v View) ListedBytes() int {
	if v.Mode != ModeSearch {
		return v.Bytes
	}
	n := 0
	for _, t := range MetaTools() {
		n += t.VisibleSize()
	}
	return n
}

// SearchResult is one entry of search_tools' answer.
type SearchResult struct {
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	Method   string   `json:"method"`
	Path     string   `json:"path"`
	Toolsets []string `json:"toolsets"`
	Score    float64  `json:"score"`
}

// NewSearchResult is the search_tools entry of doc d with score (rounded to 3 decimals).
func NewSearchResult(d Doc, toolsets []string, score float64) SearchResult {
	if toolsets == nil {
		toolsets = []string{}
	}
	return SearchResult{
		Name: d.Name, Title: d.Title, Summary: Summary(d), Method: d.Method, Path: d.Path,
		Toolsets: toolsets, Score: float64(int64(score*1000+0.5)) / 1000,
	}
}

// SearchTools ranks tools for query as search_tools does, over every tool, and returns the
// best limit of them; none is an empty list.
func SearchTools(tools []openapi.Tool, query string, limit int) []SearchResult {
	docs := Docs(tools)
	out := []SearchResult{}
	for _, r := range New(docs).Search(query, limit, nil) {
		out = append(out, NewSearchResult(docs[r.Doc], tools[r.Doc].Toolsets, r.Score))
	}
	return out
}

// MetaTools are the definitions search mode lists: search_tools {query, limit 1–50, default
// 10}, describe_tool {name} and call_tool {name, arguments}.
func MetaTools() []openapi.Tool {
	return []openapi.Tool{
		{
			Name:  SearchToolsName,
			Title: "Search tools",
			Description: "Find the tools of this API for a task. Describe the task in plain words " +
				"(\"refund the last order of customer 42\"); the answer ranks the matching tools with " +
				"their method, path and a summary. Then call describe_tool for the chosen tool's " +
				"parameters, and call_tool to run it.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"query":{"type":"string","description":"The task or what you are looking for, in plain words."},` +
				`"limit":{"type":"integer","minimum":1,"maximum":50,"default":10,"description":"How many tools to return, 1 to 50 (default 10)."}` +
				`},"required":["query"],"additionalProperties":false}`),
			OutputSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"results":{"type":"array","items":{"type":"object","properties":{` +
				`"name":{"type":"string"},"title":{"type":"string"},"summary":{"type":"string"},` +
				`"method":{"type":"string"},"path":{"type":"string"},` +
				`"toolsets":{"type":"array","items":{"type":"string"}},"score":{"type":"number"}}}},` +
				`"total":{"type":"integer"}}}`),
			Annotations: openapi.Annotations{ReadOnly: true, Idempotent: true},
		},
		{
			Name:  DescribeToolName,
			Title: "Describe a tool",
			Description: "Get the full definition of a tool found with search_tools: its description, " +
				"input schema (the arguments call_tool takes), output schema and hints.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"name":{"type":"string","description":"The tool's name, as search_tools returned it."}` +
				`},"required":["name"],"additionalProperties":false}`),
			OutputSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"name":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},` +
				`"inputSchema":{"type":"object"},"outputSchema":{"type":"object"},"annotations":{"type":"object"}}}`),
			Annotations: openapi.Annotations{ReadOnly: true, Idempotent: true},
		},
		{
			Name:  CallToolName,
			Title: "Call a tool",
			Description: "Run a tool of this API by name with its arguments (see describe_tool for " +
				"their schema). The answer is the tool's own result. A tool may change or delete data.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"name":{"type":"string","description":"The tool's name."},` +
				`"arguments":{"type":"object","description":"The tool's arguments, as its input schema describes them."}` +
				`},"required":["name"],"additionalProperties":false}`),
			// Neither read-only nor idempotent: it runs whatever tool it is given.
			Annotations: openapi.Annotations{Destructive: true},
		},
	}
}
