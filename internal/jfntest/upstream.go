package jfntest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// DocumentPath is where a function serves its OpenAPI document, which the gateway fetches.
const DocumentPath = "/openapi.json"

// Request is one request as an Upstream received it.
type Request struct {
	Method     string
	Path       string // r.URL.Path
	RawQuery   string // r.URL.RawQuery
	RequestURI string // the request-target exactly as sent
	Host       string
	Header     http.Header
	Body       []byte
}

// HTTPRequest rebuilds the request as the upstream's handler saw it, as far as
// auth.VerifySignature looks: method, request-target and headers.
func (r Request) HTTPRequest() *http.Request {
	return &http.Request{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header}
}

// Upstream is an httptest server that records every request it receives, whatever the
// method or path, before its handler answers it.
type Upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []Request
}

// NewUpstream starts an Upstream on 127.0.0.1:0 that answers with handler (200 and an empty
// body when nil). The handler reads the body as sent. The server is closed when the test
// ends.
func NewUpstream(t testing.TB, handler http.Handler) *Upstream {
	t.Helper()
	u := &Upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, Request{
			Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, RequestURI: r.RequestURI,
			Host: r.Host, Header: r.Header.Clone(), Body: body,
		})
		u.mu.Unlock()
		if handler == nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// Requests returns every request received so far, oldest first.
func (u *Upstream) Requests() []Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Request(nil), u.reqs...)
}

// Calls returns the requests received so far other than those for DocumentPath: the calls
// that reached the function, without the gateway's document fetches.
func (u *Upstream) Calls() []Request {
	var out []Request
	for _, r := range u.Requests() {
		if r.Path != DocumentPath {
			out = append(out, r)
		}
	}
	return out
}

// LastCall returns the last of Calls, and fails the test when there is none.
func (u *Upstream) LastCall(t testing.TB) Request {
	t.Helper()
	calls := u.Calls()
	if len(calls) == 0 {
		t.Fatalf("upstream %s received no call", u.URL)
	}
	return calls[len(calls)-1]
}
