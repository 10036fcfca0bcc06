package gateway

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/httperr"
	"github.com/jfnhq/jfn/mcp"
)

// healthTool is one tool as /__health lists it.
type healthTool struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// healthBody renders the 200 answer of /__health for doc: mode "define" with one tool, mode
// "app" with any other number.
func healthBody(doc *apiSpec) ([]byte, error) {
	tools := doc.Tools()
	if len(tools) == 1 {
		return marshal(struct {
			Status string     `json:"status"`
			Mode   string     `json:"mode"`
			Tool   healthTool `json:"tool"`
		}{"ok", "define", healthTool{tools[0].Name, tools[0].Description}})
	}
	list := make([]healthTool, 0, len(tools))
	for _, t := range tools {
		list = append(list, healthTool{t.Name, t.Description})
	}
	return marshal(struct {
		Status string       `json:"status"`
		Mode   string       `json:"mode"`
		Tools  []healthTool `json:"tools"`
	}{"ok", "app", list})
}

// healthError is the 503 answer of /__health.
type healthError struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

const notLoaded = "The function's OpenAPI document has not been loaded yet."

// serveHealth answers GET /__health from the cached document: never a fetch.
func (g *Gateway) serveHealth(w http.ResponseWriter, r *http.Request, fn *function) {
	w.Header().Set("Cache-Control", "no-store")
	s := g.waitSpec(r.Context(), fn.spec)
	switch {
	case s == nil:
		writeJSON(w, http.StatusServiceUnavailable, healthError{"error", notLoaded})
	case s.err != nil:
		writeJSON(w, http.StatusServiceUnavailable, healthError{"error", s.reason})
	default:
		writeRaw(w, http.StatusOK, s.health)
	}
}

// serveOpenAPI answers GET /openapi.json: the last good document, published for the URL the
// client used (see documentServer). It needs no token and sends no credentials upstream.
func (g *Gateway) serveOpenAPI(w http.ResponseWriter, r *http.Request, t target) {
	st := stateFrom(r.Context())
	s := g.waitSpec(r.Context(), t.fn.spec)
	switch {
	case s == nil || (s.doc == nil && s.err == nil):
		fail(w, st, httperr.New(http.StatusServiceUnavailable, notLoaded))
		return
	case s.doc == nil:
		fail(w, st, httperr.New(http.StatusBadGateway, s.reason))
		return
	}
	server, relative := g.documentServer(r, t)
	body, err := s.published(server, relative, t.fn.fn.Public)
	if err != nil {
		fail(w, st, &httperr.Error{Status: http.StatusBadGateway, Message: "The function's OpenAPI document could not be published.", Err: err})
		return
	}
	// The document is public; API explorers in a browser may read it from any origin.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "no-cache")
	writeRaw(w, http.StatusOK, body)
}

// serveDocumentPreflight answers a CORS preflight for /openapi.json.
func serveDocumentPreflight(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// documentServer returns the servers URL of /openapi.json for this request: server, the
// function's absolute base URL, and relative, the same base relative to the document's own
// location ("/<name>" for path routing, "/" on the function's own host), which is what an
// OpenAPI client resolves against the URL it read the document from.
//
// server is scheme://<name>.<Domain>[:port] for host routing and PublicURL/<name> for path
// routing; without PublicURL, scheme://<Host>/<name>. A Host that is not the gateway's own
// (mcp.OwnHost: a loopback name or address, PublicURL's host, <name>.<Domain>) gets relative
// as server: the Host header is the client's to choose, and neither a forged name in the
// document nor a fresh render per name may come of it.
func (g *Gateway) documentServer(r *http.Request, t target) (server, relative string) {
	name := t.fn.fn.Name
	relative = "/" + name
	if t.byHost {
		relative = "/"
	}
	if g.publicURL != "" && !t.byHost {
		return g.publicURL + "/" + name, relative
	}
	if !mcp.OwnHost(r.Host, g.ownHosts(name)) {
		return relative, relative
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if u, err := url.Parse(g.publicURL); err == nil && u.Scheme != "" {
		scheme = u.Scheme
	}
	if t.byHost {
		host := name + "." + g.domain
		if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "" {
			host = net.JoinHostPort(host, port)
		}
		return scheme + "://" + host, relative
	}
	return scheme + "://" + r.Host + "/" + name, relative
}

// ownHosts lists the names function name is reached under besides loopback ones: PublicURL's
// host and, with a domain, <name>.<Domain>.
func (g *Gateway) ownHosts(name string) []string {
	var hosts []string
	if u, err := url.Parse(g.publicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	if g.domain != "" {
		hosts = append(hosts, name+"."+g.domain)
	}
	return hosts
}

// serveMCP hands /mcp to the MCP layer after the token check (every method but OPTIONS
// needs a token unless the function is public).
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

// adminRoutes builds the operator's handler.
func (g *Gateway) adminRoutes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeRaw(w, http.StatusOK, []byte(`{"status":"ok"}`))
	})
	m.HandleFunc("/readyz", g.serveReady)
	m.Handle("/metrics", g.metrics.handler)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httperr.Write(w, httperr.New(http.StatusNotFound, "The admin listener serves /healthz, /readyz and /metrics only."))
	})
	return m
}

// notReady is the 503 answer of /readyz; Functions names the functions whose document has
// never loaded.
type notReady struct {
	Status    string   `json:"status"`
	Reason    string   `json:"reason"`
	Functions []string `json:"functions,omitempty"`
}

// serveReady answers /readyz: 200 when the store answers and every deployed function's
// OpenAPI document has loaded at least once (a later failed refresh keeps the last good
// one and does not make the node unready), else 503 saying why.
func (g *Gateway) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := g.store.Ping(ctx)
	if r.Context().Err() == nil {
		g.noteStore(err) // logs when the store's state changes, not on every probe
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, notReady{Status: "error", Reason: "The store is unreachable."})
		return
	}
	if pending := g.specsNeverLoaded(); len(pending) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, notReady{
			Status:    "error",
			Reason:    "The OpenAPI document of these functions has not loaded yet.",
			Functions: pending,
		})
		return
	}
	writeRaw(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

// specsNeverLoaded lists, sorted, the deployed functions without a loaded document.
func (g *Gateway) specsNeverLoaded() []string {
	var names []string
	for name, fn := range g.idx.Load().functions {
		if s := fn.spec.current(); s == nil || s.doc == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
