package gateway

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jfnhq/jfn/auth"
)

// Headers the gateway owns. Whatever a client sends under these names is dropped before the
// gateway sets its own, so that an upstream can trust them.
var reservedHeaders = []string{
	auth.Header,
	"X-Jelou-Token-Id",
	"X-Jelou-Function",
	"X-Jelou-Trigger",
	auth.SignatureHeader,
}

// errBodyTooLarge marks an upstream answer to a request whose body was cut at the limit.
var errBodyTooLarge = errors.New("request body over the limit")

// newTransport returns the Transport every function's proxy shares: many idle connections
// per upstream, bounded dials, no proxy from the environment (upstreams are addressed
// directly).
func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// newProxy returns the reverse proxy of the function name, whose upstream is target.
//
// FlushInterval stays 0 on purpose: ReverseProxy already flushes every write at once for
// text/event-stream answers and for answers of unknown length (chunked), which are the
// streams. A -1 would also flush each write of answers with a Content-Length, costing a
// syscall per write for nothing (measured by BenchmarkProxy).
func (g *Gateway) newProxy(name string, target *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { g.rewrite(pr, name, target) },
		Transport:      g.transport,
		FlushInterval:  0, // streams are flushed as they arrive; see above
		BufferPool:     g.bufPool,
		ErrorLog:       log.New(g.log.With().Str("function", name).Logger(), "", 0),
		ModifyResponse: modifyResponse,
		ErrorHandler:   g.proxyError,
	}
}

// rewrite builds the upstream request. pr.In already carries the path relative to the
// function (see serveProxy); method, query, body and headers go through unchanged except for
// the gateway's own headers. The signature is made last, over the request-target SetURL
// produced (the upstream's base path joined with the function-relative path, the query as
// sent), which is exactly what the transport writes and the upstream reads.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest, name string, target *url.URL) {
	st := stateFrom(pr.In.Context())
	// ReverseProxy drops query parameters it cannot parse; the upstream gets the query as sent.
	pr.Out.URL.RawQuery = pr.In.URL.RawQuery
	pr.SetURL(target)

	h := pr.Out.Header
	for _, k := range reservedHeaders {
		delete(h, k)
	}
	// Append to the caller's X-Forwarded-For, as a chain of proxies expects.
	if prior, ok := pr.In.Header["X-Forwarded-For"]; ok {
		h["X-Forwarded-For"] = prior
	}
	pr.SetXForwarded()
	// One allocation for the gateway's header values; each slice is capped so that an append
	// by anyone downstream cannot overwrite its neighbour.
	v := make([]string, 4)
	v[0], v[1] = name, "http"
	h["X-Jelou-Function"] = v[0:1:1]
	h["X-Jelou-Trigger"] = v[1:2:2]
	if st != nil {
		v[2], v[3] = st.requestID, st.tokenID
		h["X-Request-Id"] = v[2:3:3]
		if st.tokenID != "" {
			h["X-Jelou-Token-Id"] = v[3:4:4]
		}
		if st.fn != nil {
			m := auth.Message{Method: pr.Out.Method, Target: pr.Out.URL.RequestURI(), RequestID: st.requestID, Body: st.body}
			if v := g.signature(st.fn.fn, m); v != "" {
				h[auth.SignatureHeader] = []string{v}
			}
		}
	}
}

// serveProxy forwards the request to t's upstream, bounded by the function's timeout and the
// body limit.
func (g *Gateway) serveProxy(w http.ResponseWriter, r *http.Request, t target) {
	st := stateFrom(r.Context())
	fn := t.fn
	if fn.proxy == nil {
		fail(w, st, errUnreachable(fn.badURL))
		return
	}
	if r.ContentLength > g.maxBody {
		fail(w, st, errTooLarge(g.maxBody))
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, g.maxBody), st: st}
	}
	// The signature covers the exact body, so it is read first (signing.go).
	body, err := bufferBody(r, st, g.maxBody)
	if err != nil {
		if !st.clientGone {
			fail(w, st, err)
		}
		return
	}
	st.fn, st.body = fn, body // rewrite signs them

	// The timeout bounds the wait for the answer's headers, not a stream that follows them,
	// so the timer stops in modifyResponse. It cancels with a cause that proxyError turns
	// into a 504.
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	st.timeout = fn.timeout
	st.timer = time.AfterFunc(fn.timeout, func() { cancel(errUpstreamTimeout) })
	defer st.timer.Stop()

	out := r.WithContext(ctx)
	u := *r.URL
	u.Path, u.RawPath = t.path, t.raw
	out.URL = &u
	// The proxy adds the upstream's headers to w's: modifyResponse sets the id on the
	// upstream's answer instead, so that it appears once.
	w.Header().Del("X-Request-Id")
	st.upstream = time.Now()
	fn.proxy.ServeHTTP(w, out)
}

// modifyResponse runs when the upstream's headers arrive.
func modifyResponse(res *http.Response) error {
	st := stateFrom(res.Request.Context())
	if st == nil {
		return nil
	}
	if st.timer != nil && !st.timer.Stop() {
		return errUpstreamTimeout
	}
	if st.tooLarge.Load() {
		return errBodyTooLarge
	}
	st.observeUpstream()
	res.Header["X-Request-Id"] = []string{st.requestID}
	return nil
}

// observeUpstream records the time the proxy's upstream call took, once.
func (st *reqState) observeUpstream() {
	if st.metrics != nil && !st.upstream.IsZero() {
		st.metrics.proxyTime.Observe(time.Since(st.upstream).Seconds())
		st.upstream = time.Time{}
	}
}

// proxyError classifies a failed upstream call: body over the limit → 413, timeout → 504,
// client gone → nothing to answer, anything else → 502.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateFrom(r.Context())
	if r.Context().Err() == nil || errors.Is(context.Cause(r.Context()), errUpstreamTimeout) {
		st.observeUpstream() // a failed call took time too; a client that left did not wait
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || errors.Is(err, errBodyTooLarge) || st.tooLarge.Load():
		fail(w, st, errTooLarge(g.maxBody))
	case errors.Is(err, errUpstreamTimeout) || errors.Is(context.Cause(r.Context()), errUpstreamTimeout):
		fail(w, st, errTimeout(st.timeout))
	case r.Context().Err() != nil:
		// The client hung up: there is no one to answer, and it is not the upstream's fault.
		st.clientGone = true
	default:
		fail(w, st, errUnreachable(redactError(err)))
	}
}

// limitedBody notes when the request body hit the limit, so that an upstream that answered
// before reading all of it does not hide the 413.
type limitedBody struct {
	io.ReadCloser
	st *reqState
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			b.st.tooLarge.Store(true)
		}
	}
	return n, err
}

// bufferPool recycles the proxy's copy buffers without allocating on Put.
type bufferPool struct{ p sync.Pool }

const proxyBufSize = 32 << 10

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { return new([proxyBufSize]byte) }}}
}

func (b *bufferPool) Get() []byte { return b.p.Get().(*[proxyBufSize]byte)[:] }

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) >= proxyBufSize {
		b.p.Put((*[proxyBufSize]byte)(buf[:proxyBufSize]))
	}
}

// stateFlags are reqState fields written from the transport's goroutines.
type stateFlags struct {
	tooLarge atomic.Bool
}
