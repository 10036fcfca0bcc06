package gateway

import (
	"crypto/sha256"
	"net/http"
	"slices"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/httperr"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
)

// Optional methods of an MCP handler (mcp.Bridge has all four). The gateway uses them to
// keep sessions across document refreshes, to end a revoked token's open streams at once,
// to release a handler it no longer serves, and to feed the function's metrics (tool calls,
// sessions, streams).
type (
	specSetter interface {
		SetSpec(spec *apiSpec) (changed bool)
	}
	tokenSessionEnder interface {
		EndTokenSessions(tokenHash [sha256.Size]byte)
	}
	closer         interface{ Close() }
	observerSetter interface{ SetObserver(mcp.Observer) }
)

// mcpHandler holds a function's /mcp handler for an atomic.Pointer.
type mcpHandler struct{ h http.Handler }

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
func (g *Gateway) setupMCP(fn, prev *function) (retired http.Handler) {
	var prevH http.Handler
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
		if o, ok := h.(observerSetter); ok {
			o.SetObserver(fn.metrics) // before it serves anything
		}
		fn.mcp.Store(&mcpHandler{h})
	}
}

// updateMCPSpec hands a new document to fn's handler: in place when it can take one (open
// sessions are told the tool list changed), else by building a new handler. It returns the
// handler replaced, if any. Called with g.mu held.
func (g *Gateway) updateMCPSpec(fn *function, s *specState) (retired http.Handler) {
	if !fn.fn.MCP || g.mcpFactory == nil {
		return nil
	}
	cur := fn.mcp.Load()
	if cur != nil {
		if ss, ok := cur.h.(specSetter); ok && s.doc != nil {
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
func closeHandlers(hs []http.Handler) {
	for _, h := range hs {
		if c, ok := h.(closer); ok {
			c.Close()
		}
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
			if e, ok := p.h.(tokenSessionEnder); ok {
				e.EndTokenSessions(info.Hash)
			}
		}
	}
}

// serveMCP hands /mcp to the MCP layer after the token check: every request needs a token
// unless the function is public (CORS preflights were answered before). The token's Info
// goes into the request's context (auth.NewContext), where the MCP layer finds it.
func (g *Gateway) serveMCP(w http.ResponseWriter, r *http.Request, idx *index, t target) {
	st := stateFrom(r.Context())
	var h http.Handler
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
