package gateway

import (
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/jfnhq/jfn/auth"
)

// routes builds the public handler: the access log around route.
func (g *Gateway) routes() http.Handler {
	return g.accessLog(http.HandlerFunc(g.route))
}

// route sends a request to its function: by host when the Host is <name>.<Domain> (on a
// function's own host every path belongs to that function), else by the first segment of
// the path as sent. The path is never cleaned or redirected, so the upstream receives it
// exactly as the client sent it.
func (g *Gateway) route(w http.ResponseWriter, r *http.Request) {
	if _, ok := g.hostFunction(r.Host); ok {
		g.serveByHost(w, r)
		return
	}
	name, ok := firstSegment(r.URL.EscapedPath())
	if !ok {
		fail(w, stateFrom(r.Context()), errNoRoute)
		return
	}
	g.serveByPath(w, r, name)
}

// firstSegment returns the first segment of an escaped path ("/<name>" or "/<name>/…"), and
// false when there is none.
func firstSegment(escaped string) (string, bool) {
	rest, ok := strings.CutPrefix(escaped, "/")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, "/")
	return name, name != ""
}

// hostFunction returns the function named by host when it is <name>.<Domain>.
func (g *Gateway) hostFunction(host string) (string, bool) {
	if g.domain == "" {
		return "", false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	n := len(host) - len(g.domain) - 1
	if n <= 0 || host[n] != '.' || !strings.EqualFold(host[n+1:], g.domain) {
		return "", false
	}
	label := host[:n]
	for i := 0; i < len(label); i++ {
		// A function name is a DNS label: ASCII letters, digits and '-' only.
		if c := label[i]; !isAlnum(c) && c != '-' {
			return "", false
		}
	}
	return strings.ToLower(label), true
}

// target is a request resolved to a function: the function and the request's path relative
// to it, decoded (path) and as sent (raw, empty when it equals the default encoding of path).
type target struct {
	fn     *function
	path   string
	raw    string
	byHost bool
}

func (g *Gateway) serveByHost(w http.ResponseWriter, r *http.Request) {
	name, _ := g.hostFunction(r.Host)
	g.serveFunction(w, r, name, target{path: r.URL.Path, raw: r.URL.RawPath, byHost: true})
}

func (g *Gateway) serveByPath(w http.ResponseWriter, r *http.Request, name string) {
	// The name is the escaped path's first segment, so the decoded path starts with the same
	// bytes unless the name itself was percent-encoded, which no deployed name is.
	prefix := "/" + name
	if !strings.HasPrefix(r.URL.Path, prefix) {
		fail(w, stateFrom(r.Context()), errNoFunction(name))
		return
	}
	t := target{path: r.URL.Path[len(prefix):]}
	if r.URL.RawPath != "" {
		t.raw = r.URL.RawPath[len(prefix):]
	}
	if t.path == "" {
		t.path, t.raw = "/", ""
	}
	g.serveFunction(w, r, name, t)
}

// serveFunction dispatches a request for the function name: its own routes first, then /mcp,
// then the proxy.
func (g *Gateway) serveFunction(w http.ResponseWriter, r *http.Request, name string, t target) {
	st := stateFrom(r.Context())
	idx := g.idx.Load()
	fn := idx.functions[name]
	if fn == nil {
		fail(w, st, errNoFunction(name))
		return
	}
	st.function = name
	st.metrics = fn.metrics
	t.fn = fn

	// CORS preflights carry no token and never reach the upstream: the gateway answers them
	// from the function's CORS list. /openapi.json, readable from any origin, has its own.
	if t.path != "/openapi.json" {
		if isPreflight(r) {
			st.route = routePreflight
			servePreflight(w, r, fn.cors)
			return
		}
		if origin := fn.cors.allow(r); origin != "" {
			setCORS(w, origin)
			st.cors = true
		}
	}

	switch t.path {
	case "/__health":
		st.route = routeHealth
		if !readOnly(r.Method) {
			fail(w, st, errMethod("GET, HEAD"))
			return
		}
		g.serveHealth(w, r, fn)
		return
	case "/openapi.json":
		st.route = routeOpenAPI
		if r.Method == http.MethodOptions {
			serveDocumentPreflight(w)
			return
		}
		if !readOnly(r.Method) {
			fail(w, st, errMethod("GET, HEAD"))
			return
		}
		g.serveOpenAPI(w, r, t)
		return
	case "/mcp":
		st.route = routeMCP
		g.serveMCP(w, r, idx, t)
		return
	}
	st.route = routeProxy
	if _, ok := g.authorize(w, r, idx, t, true); !ok {
		return
	}
	g.serveProxy(w, r, t)
}

func readOnly(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// authorize applies the token rule. It lets the request through without a token when the
// function is public or (when publicOps) the operation is public in the function's document;
// every other request, OPTIONS included (preflights never get here), needs a valid token.
// With a valid token it records the token's id for the access log and its last use, and
// removes the header; the token's Info is returned (zero without one). Otherwise it answers
// 401 and returns false.
func (g *Gateway) authorize(w http.ResponseWriter, r *http.Request, idx *index, t target, publicOps bool) (auth.Info, bool) {
	fn := t.fn
	if fn.fn.Public {
		r.Header.Del(auth.Header)
		return auth.Info{}, true
	}
	now := time.Now()
	info, err := auth.Verify(r, fn.fn.Name, g.lookup, now)
	if err == nil {
		recordUse(idx, info.Hash, now)
		st := stateFrom(r.Context())
		st.tokenID = info.ID
		r.Header.Del(auth.Header)
		return info, true
	}
	// No valid token: the operation may still be public. Only canonical paths qualify, so
	// that a path the upstream would normalise differently ("/hook/..", "/a%2Fb") cannot
	// borrow a public operation's exemption.
	if publicOps && t.raw == "" && canonical(t.path) {
		if s := g.waitSpec(r.Context(), fn.spec); s != nil && s.doc != nil && s.doc.IsPublic(r.Method, escapedPath(t.path)) {
			r.Header.Del(auth.Header)
			return auth.Info{}, true
		}
	}
	fn.metrics.authFailures.Inc()
	auth.WriteUnauthorized(w)
	return auth.Info{}, false
}

// canonical reports whether p is already in the form path.Clean gives it (a trailing slash
// aside): no empty, "." or ".." segments.
func canonical(p string) bool {
	c := path.Clean(p)
	return c == p || (p != "/" && c+"/" == p)
}

// escapedPath is the default escaping of a decoded path, as openapi.Spec.IsPublic expects.
func escapedPath(p string) string {
	u := url.URL{Path: p}
	return u.EscapedPath()
}
