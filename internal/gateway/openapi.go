package gateway

import (
	"net"
	"net/http"
	"net/url"

	"github.com/jfnhq/jfn/internal/httperr"
	"github.com/jfnhq/jfn/mcp"
)

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
