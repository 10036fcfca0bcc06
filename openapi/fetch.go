package openapi

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// ErrDocumentTooLarge is Fetch's error for a document over MaxDocumentSize.
var ErrDocumentTooLarge = fmt.Errorf("the document is larger than %d bytes", MaxDocumentSize)

// StatusError is Fetch's error for an answer that is not 2xx (nor a 304 it asked for).
type StatusError struct {
	Code   int
	Status string // e.g. "404 Not Found"
}

func (e *StatusError) Error() string { return "HTTP " + e.Status }

// Fetched is a document Fetch read.
type Fetched struct {
	Body []byte
	// NotModified: the server answered 304 to the etag Fetch sent; Body is nil.
	NotModified bool
	// ETag and CacheControl are the answer's headers, for the caller's refresh rule.
	ETag, CacheControl string
}

// Fetch GETs the OpenAPI document at rawURL as every part of jfn does (the gateway's
// refresh, the CLI's commands and `jfn tools URL`): without credentials, asking for JSON
// then YAML, following redirects under the client's own CheckRedirect (CheckRedirect when it
// has none), taking any 2xx answer, and reading at most MaxDocumentSize bytes. A non-empty etag is sent as
// If-None-Match, and a 304 then reads as NotModified. The client's errors are returned as
// it gives them (a *url.Error names the URL, credentials included: see RedactError); an
// invalid URL is a *url.Error whose Op is "parse".
func Fetch(ctx context.Context, client *http.Client, rawURL, etag string) (Fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Fetched{}, err
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
	req.Header.Set("User-Agent", "jfn")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	c := *client
	if c.CheckRedirect == nil {
		c.CheckRedirect = CheckRedirect
	}
	resp, err := c.Do(req)
	if err != nil {
		return Fetched{}, err
	}
	defer resp.Body.Close()
	res := Fetched{ETag: resp.Header.Get("ETag"), CacheControl: resp.Header.Get("Cache-Control")}
	if resp.StatusCode == http.StatusNotModified && etag != "" {
		res.NotModified = true
		return res, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return res, &StatusError{Code: resp.StatusCode, Status: resp.Status}
	}
	if res.Body, err = io.ReadAll(io.LimitReader(resp.Body, MaxDocumentSize+1)); err != nil {
		return Fetched{}, fmt.Errorf("read the document: %w", err)
	}
	if len(res.Body) > MaxDocumentSize {
		return Fetched{}, ErrDocumentTooLarge
	}
	return res, nil
}
