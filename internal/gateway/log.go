package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/httperr"
	"github.com/rs/zerolog"
)

// Route kinds, as logged under "route".
const (
	routeProxy   = "proxy"
	routeHealth  = "health"
	routeOpenAPI = "openapi"
	routeMCP     = "mcp"
	// routePreflight is a CORS preflight the gateway answered itself.
	routePreflight = "preflight"
	routeNotFound  = "not_found"
)

// statusClientClosed is logged (never sent) when the client went away before an answer.
const statusClientClosed = 499

// reqState is what the access log knows about a request. It also wraps the ResponseWriter,
// so that one allocation serves both.
type reqState struct {
	w          logWriter
	start      time.Time
	requestID  string
	function   string
	route      string
	tokenID    string
	metrics    *fnMetrics    // the function's series; nil until a function is resolved
	upstream   time.Time     // when the proxy started the upstream call
	err        error         // the cause of a failure, logged once with the access line
	timer      *time.Timer   // the upstream timeout, stopped when the answer starts
	timeout    time.Duration // the function's timeout, for the 504 message
	fn         *function     // the proxied function, whose secrets sign the upstream request
	body       []byte        // the proxied request's buffered body, which the signature covers
	cors       bool          // the answer carries the gateway's Access-Control-Allow-Origin
	clientGone bool          // the client hung up before the answer
	stack      []byte        // of a handler's panic
}

type stateKey struct{}

// stateFrom returns the request's state, or nil outside the access log.
func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// accessLog assigns the request id, echoes it, and writes one JSON line per request with the
// keys function, route, method, path, status, duration_ms, request_id, token_id and bytes.
// It never logs the query string or any header value, so a token cannot reach the log.
func (g *Gateway) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &reqState{start: time.Now(), route: routeNotFound}
		st.w.ResponseWriter = w
		st.requestID = requestID(r.Header)
		w.Header().Set("X-Request-Id", st.requestID)
		// Before any answer, even a 404: a body nobody reads is discarded by the server
		// after the answer, and that must not wait forever on a client that stalls.
		g.bodyDeadline(w, r)
		defer func() {
			p := recover()
			switch {
			case p == nil:
				g.logRequest(st, r)
				return
			case p == http.ErrAbortHandler:
				// The proxy aborts when copying the upstream's body fails; that is normal when
				// the client hangs up, so only a failure of the upstream is an error.
				if r.Context().Err() == nil {
					st.err = errors.New("response aborted: the upstream's body failed")
				}
			default:
				st.err = fmt.Errorf("panic: %v", p)
				st.stack = debug.Stack()
				if !st.w.wroteHeader {
					fail(&st.w, st, httperr.Internal(st.err))
					g.logRequest(st, r)
					return
				}
			}
			g.logRequest(st, r)
			// The answer has started (or must be cut): abort the connection so the client
			// sees a broken response rather than a short one.
			panic(http.ErrAbortHandler)
		}()
		next.ServeHTTP(&st.w, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	})
}

// logRequest writes the access line for a finished request.
func (g *Gateway) logRequest(st *reqState, r *http.Request) {
	status := st.w.status
	if status == 0 {
		status = http.StatusOK
	}
	if st.clientGone {
		status = statusClientClosed
	}
	g.observeRequest(st, status)
	var ev *zerolog.Event
	switch {
	case st.err != nil && status >= 500:
		ev = g.log.Error()
	case st.err != nil:
		ev = g.log.Warn()
	default:
		ev = g.log.Info()
	}
	if ev == nil {
		return
	}
	if st.function != "" {
		ev = ev.Str("function", st.function)
	}
	ev = ev.Str("route", st.route).
		Str("method", r.Method).
		Str("path", redactPath(r.URL.Path)).
		Int("status", status).
		Float64("duration_ms", float64(time.Since(st.start).Microseconds())/1000).
		Str("request_id", st.requestID)
	if st.tokenID != "" {
		ev = ev.Str("token_id", st.tokenID)
	}
	ev = ev.Int64("bytes", st.w.bytes)
	if st.err != nil {
		ev = ev.Str("error", st.err.Error())
	}
	if st.stack != nil {
		ev = ev.Bytes("stack", st.stack)
	}
	ev.Msg("request")
}

// redactPath hides anything that looks like a runtime token in a path.
func redactPath(p string) string {
	const marker = "jfn_rt_"
	if !strings.Contains(p, marker) {
		return p
	}
	var b strings.Builder
	for {
		i := strings.Index(p, marker)
		if i < 0 {
			b.WriteString(p)
			return b.String()
		}
		b.WriteString(p[:i])
		b.WriteString("[redacted]")
		p = p[i+len(marker):]
		j := 0
		for j < len(p) && isAlnum(p[j]) {
			j++
		}
		p = p[j:]
	}
}

// requestID returns the caller's X-Request-Id when it is well formed (1–128 characters of
// [A-Za-z0-9._:-], sent once), else a new UUID.
func requestID(h http.Header) string {
	if vals := h["X-Request-Id"]; len(vals) == 1 && validRequestID(vals[0]) {
		return vals[0]
	}
	return uuid.NewString()
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 || strings.Contains(s, auth.Prefix) {
		// A token pasted into the wrong header must not be logged, forwarded or echoed.
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// logWriter records the status and size of the answer. It implements http.Flusher (mcp-go
// and SSE depend on it) and Unwrap, so http.ResponseController reaches the connection.
type logWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (lw *logWriter) WriteHeader(code int) {
	if !lw.wroteHeader {
		// 1xx answers (except 101) are informational: the final status comes later.
		if code >= 200 || code == http.StatusSwitchingProtocols {
			lw.status = code
			lw.wroteHeader = true
		}
	}
	lw.ResponseWriter.WriteHeader(code)
}

func (lw *logWriter) Write(b []byte) (int, error) {
	if !lw.wroteHeader {
		lw.status = http.StatusOK
		lw.wroteHeader = true
	}
	n, err := lw.ResponseWriter.Write(b)
	lw.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client.
func (lw *logWriter) Flush() {
	if !lw.wroteHeader {
		lw.status = http.StatusOK
		lw.wroteHeader = true
	}
	_ = http.NewResponseController(lw.ResponseWriter).Flush()
}

// Hijack lets protocol upgrades through for libraries that type-assert http.Hijacker.
func (lw *logWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(lw.ResponseWriter).Hijack()
	if err == nil && !lw.wroteHeader {
		lw.status = http.StatusSwitchingProtocols
		lw.wroteHeader = true
	}
	return c, rw, err
}

// Unwrap returns the wrapped ResponseWriter for http.ResponseController.
func (lw *logWriter) Unwrap() http.ResponseWriter { return lw.ResponseWriter }
