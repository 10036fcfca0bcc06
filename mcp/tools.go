package mcp

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/openapi"
)

// toolSet is one generation of tools. It is replaced whole, never changed in place.
type toolSet struct {
	byName      map[string]*toolEntry
	list        []server.ServerTool // in document order, as defs
	fingerprint [32]byte            // of the tools as clients see them in tools/list
	skipped     []skippedTool

	defs  []openapi.Tool // the tools that made it into list, in the same order
	views views          // resolved catalogue views (catalogue.go)

	// The search index is built on first use (search_tools, describe_tool's suggestions,
	// the console's search): most functions are never searched, and on a large document it
	// costs tens of milliseconds and a few MB.
	searchOnce sync.Once
	docs       []catalog.Doc  // what the index holds of each tool, in defs' order
	index      *catalog.Index // the index over docs
}

// newToolSet returns an empty tool set.
func newToolSet() *toolSet {
	return &toolSet{byName: map[string]*toolEntry{}}
}

// search returns the set's search documents and index, building them on first use.
func (ts *toolSet) search() ([]catalog.Doc, *catalog.Index) {
	ts.searchOnce.Do(func() {
		ts.docs = catalog.Docs(ts.defs)
		ts.index = catalog.New(ts.docs)
	})
	return ts.docs, ts.index
}

// skippedTool is a tool left out of the set, logged when the set changes.
type skippedTool struct {
	name, reason string
	err          error
}

// toolEntry is what the call handler needs about one tool.
type toolEntry struct {
	def openapi.Tool
	pos int // index in the set's list and defs
	// output is true when the tool declares an output schema, which its results are
	// checked against (openapi.Tool.CheckOutput).
	output bool
	// wrap is true when the output schema is {"type":"object","properties":{"result":…}}
	// around a non-object response, whose body must then be wrapped the same way.
	wrap bool
}

// buildTools turns a document's tools into a toolSet. openapi.Load proved every schema
// compiles; a tool whose schema is still not valid JSON, or that mcp-go refuses, is left
// out and logged: one bad operation must not take tools/list down (mcp-go marshals the
// whole list at once, and one invalid raw schema fails it).
func (b *Bridge) buildTools(defs []openapi.Tool) *toolSet {
	ts := newToolSet()
	type candidate struct {
		def    openapi.Tool
		tool   mcpgo.Tool
		entry  *toolEntry
		listed []byte
	}
	var cands []candidate
	seen := make(map[string]bool, len(defs))
	for _, def := range defs {
		skip := func(reason string, err error) {
			ts.skipped = append(ts.skipped, skippedTool{def.Name, "tool left out: " + reason, err})
		}
		if seen[def.Name] {
			skip("duplicate name", nil)
			continue
		}
		if !json.Valid(def.InputSchema) {
			skip("input schema is not valid JSON", nil)
			continue
		}
		tool := mcpgo.NewToolWithRawSchema(def.Name, def.Description, def.InputSchema)
		tool.Title = def.Title
		tool.Annotations = annotations(def.Annotations)
		entry := &toolEntry{def: def}
		if len(def.OutputSchema) > 0 {
			if err := outputSchemaObject(def.OutputSchema); err != nil {
				// Without an output schema the tool still works; with a broken one it would not.
				ts.skipped = append(ts.skipped, skippedTool{def.Name, "output schema left out", err})
			} else {
				tool.RawOutputSchema = def.OutputSchema
				entry.output = true
				entry.wrap = def.WrapResult
			}
		}
		listed, err := json.Marshal(tool)
		if err != nil {
			skip("tool does not marshal", err)
			continue
		}
		seen[def.Name] = true
		cands = append(cands, candidate{def, tool, entry, listed})
	}

	// A tool mcp-go panics on is caught on a scratch server: all at once, and one by one
	// only when that panics, to tell which.
	tools := make([]server.ServerTool, len(cands))
	for i, c := range cands {
		tools[i] = server.ServerTool{Tool: c.tool}
	}
	refused := map[int]error{}
	if tryRegister(tools...) != nil {
		for i := range tools {
			if err := tryRegister(tools[i]); err != nil {
				refused[i] = err
			}
		}
	}

	h := sha256.New()
	for i, c := range cands {
		if err := refused[i]; err != nil {
			ts.skipped = append(ts.skipped, skippedTool{c.def.Name, "tool left out: mcp-go refuses the tool", err})
			continue
		}
		h.Write(c.listed)
		h.Write([]byte{0})
		c.entry.pos = len(ts.list)
		ts.byName[c.def.Name] = c.entry
		ts.list = append(ts.list, server.ServerTool{Tool: c.tool, Handler: b.callTool})
		ts.defs = append(ts.defs, c.def)
	}
	copy(ts.fingerprint[:], h.Sum(nil))
	return ts
}

// outputSchemaObject checks that an output schema is a JSON object, as MCP requires.
func outputSchemaObject(doc json.RawMessage) error {
	if !json.Valid(doc) {
		return fmt.Errorf("not valid JSON")
	}
	var root map[string]json.RawMessage
	if err := json.Unmarshal(doc, &root); err != nil {
		return fmt.Errorf("not a JSON object")
	}
	return nil
}

// annotations states all three hints explicitly: MCP's defaults (destructive unless said
// otherwise) would otherwise call every POST destructive. openWorldHint is left out: a
// function may well reach the outside world, and the default (true) says so.
func annotations(a openapi.Annotations) mcpgo.ToolAnnotation {
	return mcpgo.ToolAnnotation{
		ReadOnlyHint:    &a.ReadOnly,
		DestructiveHint: &a.Destructive,
		IdempotentHint:  &a.Idempotent,
	}
}

// logSkipped reports what buildTools left out.
func (b *Bridge) logSkipped(ts *toolSet) {
	for _, s := range ts.skipped {
		b.logger.Warn().Err(s.err).Str("tool", s.name).Msg(s.reason)
	}
}

// register swaps the tools mcp-go lists; mcp-go then sends notifications/tools/list_changed
// to every open session.
func (b *Bridge) register(ts *toolSet) {
	defer func() {
		if p := recover(); p != nil {
			b.logger.Error().Interface("panic", p).Msg("mcp-go refused the tool set; the previous tools stay listed")
		}
	}()
	b.srv.SetTools(withMetaPlaceholders(ts.list, b.callTool)...)
}

// tryRegister adds tools to a scratch server and reports a panic of mcp-go as an error.
func tryRegister(tools ...server.ServerTool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	server.NewMCPServer("check", "1").AddTools(tools...)
	return nil
}
