package openapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// MaxRedirects is how many redirects a document fetch follows.
const MaxRedirects = 3

// Errors of CheckRedirect, wrapped in the *url.Error the client returns.
var (
	ErrTooManyRedirects  = fmt.Errorf("the document redirected more than %d times", MaxRedirects)
	ErrCrossHostRedirect = errors.New("the document redirected to another host")
)

// CheckRedirect is the http.Client CheckRedirect of every document fetch: it follows at most
// MaxRedirects redirects, and only to the scheme, host and port of the URL first asked for. A
// document URL is configured by the operator, but its server is the function's: it must not
// steer the gateway's fetches (which run with the gateway's network reach) elsewhere.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return ErrTooManyRedirects
	}
	if len(via) > 0 && origin(req.URL) != origin(via[0].URL) {
		return fmt.Errorf("%w (%s, not %s)", ErrCrossHostRedirect, origin(req.URL), origin(via[0].URL))
	}
	return nil
}

// origin is scheme://host:port of u, in lower case and with the default port written out.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + port
}
