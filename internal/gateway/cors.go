package gateway

import (
	"net/http"
	"strings"

	"github.com/jfnhq/jfn/internal/origin"
)

// CORS. A function lists the browser origins it serves (store.Function.CORSOrigins, set by
// 'jfn deploy --cors-origins'). The gateway answers every CORS preflight itself, so that a
// preflight, which carries no token, never reaches the upstream; any other OPTIONS request
// is an ordinary request and needs a token. Answers to a listed origin carry
// Access-Control-Allow-Origin, whatever the route and status (a browser app must be able to
// read a 401 too).

// Values of the preflight answer.
const (
	corsAllowMethods  = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	corsBaseHeaders   = "X-Jelou-Token, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID"
	corsExposeHeaders = "X-Request-Id, Mcp-Session-Id, Mcp-Protocol-Version"
	corsMaxAge        = "600" // Chromium caps it at 7200, Firefox at 86400
	maxRequestHeaders = 1024  // bytes of Access-Control-Request-Headers echoed back
)

// corsAnswerHeaders are the headers setCORS sets on an answer.
var corsAnswerHeaders = []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials"}

// corsPolicy is a function's CORS list, normalised once when the function is built.
type corsPolicy struct {
	any     bool            // "*" is listed
	origins map[string]bool // normalised origins
}

func newCORSPolicy(list []string) corsPolicy {
	var p corsPolicy
	for _, o := range list {
		if o == "*" {
			p.any = true
			continue
		}
		if n, ok := origin.Normalize(o); ok {
			if p.origins == nil {
				p.origins = map[string]bool{}
			}
			p.origins[n] = true
		}
	}
	return p
}

// allow returns the Access-Control-Allow-Origin value for r ("" when r has no Origin, or one
// that is not listed). A listed origin is echoed; with "*" listed, any origin gets "*".
func (p corsPolicy) allow(r *http.Request) string {
	if !p.any && p.origins == nil {
		return ""
	}
	vals := r.Header["Origin"]
	if len(vals) != 1 {
		return ""
	}
	if p.any {
		return "*"
	}
	if n, ok := origin.Normalize(vals[0]); ok && p.origins[n] {
		return vals[0]
	}
	return ""
}

// isPreflight reports whether r is a CORS preflight: OPTIONS with Origin and
// Access-Control-Request-Method.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// servePreflight answers a CORS preflight without a token and without the upstream: 204,
// with the Access-Control-Allow-* headers when the Origin is listed, else bare (the browser
// then refuses the actual request).
func servePreflight(w http.ResponseWriter, r *http.Request, p corsPolicy) {
	h := w.Header()
	h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	if origin := p.allow(r); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Get("Access-Control-Request-Headers")))
		h.Set("Access-Control-Max-Age", corsMaxAge)
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}

// allowHeaders is the base list plus the header names the browser asked for, when the
// request is a well-formed list of header names (token characters, commas, spaces) of
// bounded size.
func allowHeaders(requested string) string {
	requested = strings.TrimSpace(requested)
	if requested == "" || len(requested) > maxRequestHeaders {
		return corsBaseHeaders
	}
	for i := 0; i < len(requested); i++ {
		c := requested[i]
		if c != ',' && c != ' ' && !isTokenChar(c) {
			return corsBaseHeaders
		}
	}
	return corsBaseHeaders + ", " + requested
}

// isTokenChar reports whether c may appear in an HTTP header name (RFC 9110 token).
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// setCORS adds the headers of an answer to a listed origin. The proxy's upstream answer is
// merged into these headers, so modifyResponse drops the upstream's own copies.
func setCORS(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	h.Add("Vary", "Origin")
}
