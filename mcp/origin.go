package mcp

import (
	"net"
	"net/http"
	"net/url"
	"strings"
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
	origin, ok := normalizeOrigin(vals[0])
	if !ok {
		return false
	}
	if self, ok := normalizeOrigin(requestScheme(r) + "://" + r.Host); ok && self == origin && OwnHost(r.Host, hosts) {
		return true
	}
	for _, a := range allowed {
		if n, ok := normalizeOrigin(a); ok && n == origin {
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

// normalizeOrigin reduces an origin to lowercase scheme://host[:port] with the default port
// dropped. It refuses anything with a path, query, user info or a scheme other than http(s).
func normalizeOrigin(s string) (string, bool) {
	if len(s) > 2048 {
		return "", false
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		(u.Path != "" && u.Path != "/") || u.Opaque != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", false
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host, true
}

// NormalizeOrigin is the origin rule's normal form, for the gateway's CORS lists: lowercase
// scheme://host[:port] with the default port dropped; false for anything that is not an
// http(s) origin (a path, query, user info, another scheme, "null").
func NormalizeOrigin(s string) (string, bool) { return normalizeOrigin(s) }
