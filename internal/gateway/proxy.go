package gateway

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/httperr"
	"github.com/jfnhq/jfn/openapi"
)

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
	// The body is already read and buffered (body.go): a 100-continue handshake with the
	// upstream would only delay the call.
	delete(h, "Expect")
	tokenless := st == nil || st.tokenID == ""
	for k := range h {
		if openapi.GatewayHeader(k) || (tokenless && openapi.MethodOverrideHeader(k)) {
			delete(h, k) // h is the proxy's own copy of the client's headers
		}
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
	if fn.basePath && hasDotSegment(lenientUnescape(t.path)) {
		fail(w, st, errDotSegment)
		return
	}
	// The signature covers the exact body, so it is read first (body.go).
	body, held, err := g.readBody(w, r, st)
	if err != nil {
		if !st.clientGone {
			fail(w, st, err)
		}
		return
	}
	defer g.inflight.give(held)
	if err := tokenlessLimits(r, st, body); err != nil {
		fail(w, st, err)
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

// tokenlessLimits applies the rules that keep a request the gateway let through without a
// token (a public function or operation) to what was checked, and strips protocol switches
// that would let later bytes bypass the gateway:
//   - "Upgrade: h2c" (and HTTP2-Settings) is always removed: after an h2c upgrade the
//     upstream reads every later byte as HTTP/2 requests to any route, none of which the
//     gateway sees (h2c smuggling); the request goes on as plain HTTP/1.1;
//   - without a token, any upgrade but WebSocket is removed the same way;
//   - without a token, a "_method" override in the query or the body is refused (Rails,
//     Laravel and Symfony run another method's handler for it; override.go), as the
//     method-override headers are stripped in rewrite.
func tokenlessLimits(r *http.Request, st *reqState, body []byte) error {
	tokenless := st.tokenID == ""
	if up := r.Header.Get("Upgrade"); up != "" {
		proto, _, _ := strings.Cut(up, "/")
		proto = strings.TrimSpace(proto)
		if strings.EqualFold(proto, "h2c") || (tokenless && !strings.EqualFold(proto, "websocket")) {
			r.Header.Del("Upgrade")
			r.Header.Del("Http2-Settings")
		}
	}
	if !tokenless {
		return nil
	}
	if hasMethodParam(r.URL.RawQuery) || hasMethodField(strings.Join(r.Header.Values("Content-Type"), ", "), body) {
		return errMethodOverride
	}
	return nil
}

// errDotSegment answers a path with "." or ".." segments (hasDotSegment) on
// a function whose upstream has a base path: the upstream may resolve "/base/../other"
// outside its base.
var errDotSegment = httperr.New(http.StatusBadRequest,
	`The path has a "." or ".." segment; this function's upstream has a base path, so such paths are refused.`)

// hasDotSegment reports whether the path p has a "." or ".." segment, with '/' or a
// backslash (which some servers read as '/') between segments, and a segment read up to a
// ';' (Tomcat and Spring drop ";params") or a NUL. The caller decodes p first, as often and
// as leniently as an upstream might (lenientUnescape).
func hasDotSegment(p string) bool {
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' || p[i] == '\\' {
			seg := p[start:i]
			if k := strings.IndexAny(seg, ";\x00"); k >= 0 {
				seg = seg[:k]
			}
			if seg == "." || seg == ".." {
				return true
			}
			start = i + 1
		}
	}
	return false
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
	st.observeUpstream()
	res.Header["X-Request-Id"] = []string{st.requestID}
	if st.cors {
		// The gateway's CORS answer stands; copies from the upstream would duplicate it.
		for _, k := range corsAnswerHeaders {
			delete(res.Header, k)
		}
	}
	return nil
}

// observeUpstream records the time the proxy's upstream call took, once.
func (st *reqState) observeUpstream() {
	if st.metrics != nil && !st.upstream.IsZero() {
		st.metrics.proxyTime.Observe(time.Since(st.upstream).Seconds())
		st.upstream = time.Time{}
	}
}

// proxyError classifies a failed upstream call: timeout → 504, client gone → nothing to
// answer, anything else → 502. (Bodies are read, and held to the limit, before the call.)
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateFrom(r.Context())
	if r.Context().Err() == nil || errors.Is(context.Cause(r.Context()), errUpstreamTimeout) {
		st.observeUpstream() // a failed call took time too; a client that left did not wait
	}
	switch {
	case errors.Is(err, errUpstreamTimeout) || errors.Is(context.Cause(r.Context()), errUpstreamTimeout):
		fail(w, st, errTimeout(st.timeout))
	case r.Context().Err() != nil:
		// The client hung up: there is no one to answer, and it is not the upstream's fault.
		st.clientGone = true
	default:
		fail(w, st, errUnreachable(openapi.RedactError(err)))
	}
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
