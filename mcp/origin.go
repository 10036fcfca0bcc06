package mcp

import (
	"net"
	"net/http"
	"strings"

	"github.com/jfnhq/jfn/internal/origin"
)

// originAllowed applies the Origin rule of the MCP contract. A request without Origin
// (agents, servers, curl) passes. A browser Origin passes when it names the request's own
// scheme and host and that host is ours (a loopback name or one of hosts), or is in allowed
// (exact scheme://host[:port] strings, compared without case and with default ports
// removed). Anything else, including "null", is refused.
func originAllowed(r *http.Request, allowed, hosts []string) bool {
	vals := r.Header.Values("Origin")
	if len(vals) == 0 {
		return true
	}
	if len(vals) > 1 {
		return false
	}
	from, ok := origin.Normalize(vals[0])
	if !ok {
		return false
	}
	if self, ok := origin.Normalize(requestScheme(r) + "://" + r.Host); ok && self == from && OwnHost(r.Host, hosts) {
		return true
	}
	for _, a := range allowed {
		if n, ok := origin.Normalize(a); ok && n == from {
			return true
		}
	}
	return false
}

// OwnHost reports whether a Host header value names this gateway: a loopback name or
// address (localhost, *.localhost, 127.0.0.0/8, ::1), or one of hosts (compared without case
// and port), with any port. hosts are the names the gateway is reached under besides
// loopback ones (see Options.Hosts). It is the one rule for "our own host": the Origin check
// uses it, and so does the gateway's /openapi.json, which builds absolute server URLs only
// for such hosts.
func OwnHost(hostport string, hosts []string) bool {
	h := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		h = hh
	}
	h = strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, o := range hosts {
		if strings.EqualFold(strings.TrimSuffix(o, "."), h) {
			return true
		}
	}
	return false
}

// requestScheme is "https" when the request came over TLS or a proxy says so in
// X-Forwarded-Proto, else "http". Trusting the header is harmless here: it can only flip the
// scheme of the request's own host, never make a foreign host look like ours.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); strings.EqualFold(strings.TrimSpace(p), "https") {
		return "https"
	}
	return "http"
}
