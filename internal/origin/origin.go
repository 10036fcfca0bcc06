// Package origin holds the one rule for browser origins: their normal form, which the MCP
// Origin check and the functions' CORS lists compare, and the parsing of a function's list
// of them ('jfn deploy --cors-origins', the console's settings).
package origin

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Normalize reduces an origin to lowercase scheme://host[:port] with the default port
// dropped. It refuses anything with a path, query, user info or a scheme other than http(s).
func Normalize(s string) (string, bool) {
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

// ParseList parses the comma-separated value of 'jfn deploy --cors-origins': "*", or
// http(s) origins (scheme://host[:port], no path). It returns them normalised, without
// duplicates; "" gives none.
func ParseList(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		n := o
		if o != "*" {
			var ok bool
			if n, ok = Normalize(o); !ok {
				return nil, fmt.Errorf("%q is not an origin: want scheme://host[:port] such as https://app.example.com, or *", o)
			}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}
