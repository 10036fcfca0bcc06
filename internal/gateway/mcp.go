package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/httperr"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
)

// MCPHandler is a function's /mcp endpoint as the gateway drives it (Options.MCP builds
// one per function); mcp.Bridge is the one the server uses.
type MCPHandler interface {
	// ServeHTTP serves /mcp after the gateway's token check (see Options.MCP).
	http.Handler
	// SetSpec hands it a refreshed document: its sessions stay, and are told when the tools
	// changed.
	SetSpec(spec *apiSpec) (changed bool)
	// EndTokenSessions ends the open streams of a revoked token's sessions at once.
	EndTokenSessions(tokenHash [sha256.Size]byte)
	// SetObserver feeds the function's metrics (tool calls, sessions, streams); the gateway
	// calls it before the handler serves anything.
	SetObserver(mcp.Observer)
	// Search and Call serve an operator (the web console): search_tools' ranking, and a
	// tools/call outside any session.
	Search(query string, limit int) []catalog.SearchResult
	Call(ctx context.Context, trigger, name string, args map[string]any) (json.RawMessage, error)
	// Close releases it once the gateway no longer serves it.
	Close()
}

var _ MCPHandler = (*mcp.Bridge)(nil)

// mcpHandler holds a function's /mcp handler for an atomic.Pointer.
type mcpHandler struct{ h MCPHandler }

// sameMCPSettings reports whether a and b build the same MCP handler: a redeploy that only
// touches other fields keeps the handler and its sessions.
func sameMCPSettings(a, b store.Function) bool {
	return a.Name == b.Name && a.Upstream == b.Upstream && a.Public == b.Public &&
		a.Timeout == b.Timeout && a.MCP == b.MCP && slices.Equal(a.CORSOrigins, b.CORSOrigins) &&
		a.MCPMode == b.MCPMode && slices.Equal(a.MCPToolsets, b.MCPToolsets)
}

// setupMCP gives the new fn its MCP handler: prev's when the MCP settings did not change,
// else a new one from the factory. It returns a handler that is no longer served, to be
// closed once the new index is in place. Called with g.mu held.
func (g *Gateway) setupMCP(fn, prev *function) (retired MCPHandler) {
	var prevH MCPHandler
	if prev != nil {
		if p := prev.mcp.Load(); p != nil {
			prevH = p.h
		}
	}
	if !fn.fn.MCP || g.mcpFactory == nil {
		return prevH
	}
	if prevH != nil && sameMCPSettings(prev.fn, fn.fn) && prev.spec == fn.spec {
		fn.mcp.Store(&mcpHandler{prevH})
		return nil
	}
	g.buildMCP(fn, fn.spec.current())
	return prevH
}

// buildMCP asks the factory for fn's handler. A panic there disables /mcp for this function
// only. Called with g.mu held.
func (g *Gateway) buildMCP(fn *function, s *specState) {
	var doc *apiSpec
	if s != nil {
		doc = s.doc
	}
	defer func() {
		if p := recover(); p != nil {
			g.log.Error().Str("function", fn.fn.Name).Interface("panic", p).Msg("building the MCP handler panicked")
		}
	}()
	if h := g.mcpFactory(fn.fn, doc); h != nil {
		h.SetObserver(fn.metrics) // before it serves anything
		fn.mcp.Store(&mcpHandler{h})
	}
}

// updateMCPSpec hands a new document to fn's handler: in place when it can take one (open
// sessions are told the tool list changed), else by building a new handler. It returns the
// handler replaced, if any. Called with g.mu held.
func (g *Gateway) updateMCPSpec(fn *function, s *specState) (retired MCPHandler) {
	if !fn.fn.MCP || g.mcpFactory == nil {
		return nil
	}
	cur := fn.mcp.Load()
	if cur != nil {
		if ss := cur.h; s.doc != nil {
			func() {
				defer func() {
					if p := recover(); p != nil {
						g.log.Error().Str("function", fn.fn.Name).Interface("panic", p).Msg("updating the MCP tools panicked")
					}
				}()
				ss.SetSpec(s.doc)
			}()
			return nil
		}
	}
	g.buildMCP(fn, s)
	if cur != nil {
		return cur.h
	}
	return nil
}

// closeHandlers releases MCP handlers the gateway no longer serves.
func closeHandlers(hs []MCPHandler) {
	for _, h := range hs {
		h.Close()
	}
}

// endSessions ends the open MCP streams of tokens that left the index (revoked or deleted).
func endSessions(idx *index, ended []auth.Info) {
	for _, info := range ended {
		fn := idx.functions[info.Function]
		if fn == nil {
			continue
		}
		if p := fn.mcp.Load(); p != nil {
			p.h.EndTokenSessions(info.Hash)
		}
	}
}

// serveMCP hands /mcp to the MCP layer after the token check: every request needs a token
// unless the function is public (CORS preflights were answered before). The token's Info
// goes into the request's context (auth.NewContext), where the MCP layer finds it.
func (g *Gateway) serveMCP(w http.ResponseWriter, r *http.Request, idx *index, t target) {
	st := stateFrom(r.Context())
	var h MCPHandler
	if hp := t.fn.mcp.Load(); hp != nil && t.fn.fn.MCP {
		h = hp.h
	}
	if h == nil {
		fail(w, st, httperr.New(http.StatusNotFound, "MCP is not enabled for this function."))
		return
	}
	info, ok := g.authorize(w, r, idx, t, false)
	if !ok {
		return
	}
	_, held, err := g.readBody(w, r, st)
	if err != nil {
		if !st.clientGone {
			fail(w, st, err)
		}
		return
	}
	defer g.inflight.give(held)
	ctx := r.Context()
	if info.ID != "" {
		ctx = auth.NewContext(ctx, info)
	}
	out := r.WithContext(ctx)
	u := *r.URL
	u.Path, u.RawPath = t.path, t.raw
	out.URL = &u
	h.ServeHTTP(w, out)
}
