package mcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/httperr"
)

// allowedMethods is the Allow header of a 405 from /mcp.
const allowedMethods = "GET, POST, DELETE"

// ServeHTTP serves MCP Streamable HTTP behind the gate, which runs in this order:
//
//  1. Origin: absent, the request's own scheme://host when that host is ours (loopback or
//     Options.Hosts), or in AllowedOrigins; else 403.
//  2. Token: unless the function is public, the gateway's token check must have stored the
//     token's auth.Info in the request context; else 401 with auth.UnauthorizedBody.
//  3. Method: POST, GET or DELETE; else 405 with Allow.
//  4. MCP-Protocol-Version: absent or a version mcp-go knows; else 400.
//  5. Body: a POST body over 4 MiB gets 413.
//  6. Session: stateless 2026-07-28 requests (that header value, or a later one) carry none.
//     Otherwise an initialize POST opens a session bound to the function and the token's
//     hash; every other request needs Mcp-Session-Id (400 without) naming a live session of
//     this function opened by this same token (404 otherwise).
//
// Only then does mcp-go see the request: initialize and tools/call go to its MCPServer
// directly, everything else through its HTTP transport (see direct.go).
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.closed.Load() {
		httperr.Write(w, httperr.New(http.StatusNotFound, "MCP is not available for this function."))
		return
	}
	if r.Method == http.MethodOptions {
		// Preflights are the gateway's; if one gets here, answer it without a token.
		w.Header().Set("Allow", allowedMethods+", OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	info, binding, v := b.check(r)
	var (
		body []byte
		msg  peeked
	)
	if v == nil && r.Method == http.MethodPost {
		if body, v = readMessage(r); v == nil {
			msg = peek(body)
		}
	}
	ctx := r.Context()
	if v == nil {
		ctx, v = b.session(ctx, r, msg, binding)
	}
	switch {
	case v == nil:
	case v.status == http.StatusUnauthorized:
		auth.WriteUnauthorized(w)
		return
	case v.status == http.StatusMethodNotAllowed:
		httperr.Write(w, &httperr.Error{Status: v.status, Message: v.message, Header: http.Header{"Allow": {allowedMethods}}})
		return
	default:
		httperr.Write(w, httperr.New(v.status, v.message))
		return
	}
	ctx = withCaller(ctx, r, info)
	if r.Method == http.MethodPost {
		spec, err := b.parseView(r)
		if err == nil {
			_, err = b.tools.Load().view(spec)
		}
		if err != nil {
			httperr.Write(w, httperr.New(http.StatusBadRequest, err.Error()))
			return
		}
		ctx = context.WithValue(ctx, viewKey{}, spec)
	}

	checked, _ := ctx.Value(checkedKey{}).(string)
	if checked != "" {
		b.sessions.used(checked)
		b.calls.cancelled(checked, msg, body)
	}
	if r.Method == http.MethodPost && !msg.modern { // see direct.go
		if minted, _ := ctx.Value(mintedKey{}).(string); minted != "" {
			b.serveInitialize(ctx, w, minted, body)
			return
		}
		if checked != "" && msg.request && msg.method == string(mcpgo.MethodToolsCall) && isJSON(r) {
			b.serveToolCall(ctx, w, checked, body, msg)
			return
		}
	}

	if r.Method == http.MethodGet {
		// A GET stream lives until the client leaves, the token expires or the token is
		// revoked (EndTokenSessions): later requests are refused before they get here, but an
		// open stream has to be ended from this side.
		var cancel context.CancelFunc
		if !info.ExpiresAt.IsZero() {
			ctx, cancel = context.WithDeadline(ctx, info.ExpiresAt)
		} else {
			ctx, cancel = context.WithCancel(ctx)
		}
		defer cancel()
		session, _ := ctx.Value(checkedKey{}).(string) // "" for a stateless GET, refused by mcp-go
		remove, ok := b.streams.add(binding, session, cancel)
		if !ok {
			httperr.Write(w, &httperr.Error{
				Status: http.StatusTooManyRequests,
				Message: fmt.Sprintf("Too many open GET streams: at most %d per session and %d per token; close one first.",
					maxStreamsPerSession, maxStreamsPerBinding),
				Header: http.Header{"Retry-After": {"5"}},
			})
			return
		}
		defer remove()
	}

	r2 := r.WithContext(ctx)
	if r.Method == http.MethodPost {
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
	}
	b.http.ServeHTTP(w, r2)
}

// verdict is the gate's refusal of a request: a status and one sentence for the client.
type verdict struct {
	status  int
	message string
}

// check applies the rules that need nothing but the request (steps 1 to 4 of ServeHTTP).
// It returns the token the gateway verified and the hash sessions are bound to.
func (b *Bridge) check(r *http.Request) (auth.Info, [32]byte, *verdict) {
	if !originAllowed(r, b.opts.AllowedOrigins, b.opts.Hosts) {
		return auth.Info{}, [32]byte{}, &verdict{http.StatusForbidden, "Origin not allowed."}
	}
	info, hasToken := auth.FromContext(r.Context())
	if !b.opts.Public && !hasToken {
		return auth.Info{}, [32]byte{}, &verdict{http.StatusUnauthorized, ""}
	}
	var binding [32]byte // a public function's sessions are bound to "no token"
	if !b.opts.Public {
		binding = info.Hash
	}
	switch r.Method {
	case http.MethodPost, http.MethodGet, http.MethodDelete:
	default:
		return info, binding, &verdict{http.StatusMethodNotAllowed, "Use POST, GET or DELETE on /mcp."}
	}
	version := r.Header.Get(mcpgo.HeaderProtocolVersion)
	if version != "" && !mcpgo.IsValidProtocolVersion(version) && !statelessVersion(version) {
		return info, binding, &verdict{http.StatusBadRequest, "Unsupported MCP-Protocol-Version."}
	}
	return info, binding, nil
}

// statelessVersion reports whether an MCP-Protocol-Version value names the stateless
// revision 2026-07-28 or a later date. A later date is left to mcp-go, whose 400 then lists
// the versions it serves; mcp-go alone would also take any non-date string ("latest") as
// later, which the gate refuses instead.
func statelessVersion(v string) bool {
	if len(v) != len("2006-01-02") {
		return false
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return false
	}
	return mcpgo.IsModernProtocol(v)
}

// readMessage reads a POST body, at most maxRequestBody bytes of it.
func readMessage(r *http.Request) ([]byte, *verdict) {
	body, err := readBody(r.Body, maxRequestBody)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, errBodyTooLarge) || errors.As(err, &tooLarge):
		return nil, &verdict{http.StatusRequestEntityTooLarge, "The MCP message is over 4 MiB."}
	case err != nil:
		return nil, &verdict{http.StatusBadRequest, "The request body could not be read."}
	}
	return body, nil
}

// session applies the session rule (step 6 of ServeHTTP). It returns the context mcp-go
// must serve the request with: it tells the session manager (sessions.go) which id was
// created or checked here.
func (b *Bridge) session(ctx context.Context, r *http.Request, msg peeked, binding [32]byte) (context.Context, *verdict) {
	switch {
	case statelessVersion(r.Header.Get(mcpgo.HeaderProtocolVersion)):
		// Stateless revision: mcp-go ignores Mcp-Session-Id and answers GET and DELETE with
		// 405 itself, so there is no session to check. The token was checked already.
		return ctx, nil
	case r.Method == http.MethodPost && isJSON(r) && msg.method == string(mcpgo.MethodInitialize):
		id := newSessionID()
		evicted, err := b.opts.Sessions.Create(ctx, id, b.opts.Function, binding)
		if err != nil {
			b.logger.Error().Err(err).Msg("create mcp session")
			return ctx, &verdict{http.StatusServiceUnavailable, "The session could not be created; try again."}
		}
		// Sessions evicted to make room are refused by the lookup below from now on, on every
		// replica; their open GET streams on this replica end now. One open on another
		// replica lasts until its client leaves, but every request of that session gets 404.
		for _, old := range evicted {
			b.streams.closeSession(old)
			b.sessions.ended(old)
		}
		b.sessions.opened(id, binding)
		return context.WithValue(ctx, mintedKey{}, id), nil
	}
	id := r.Header.Get(mcpgo.HeaderSessionID)
	if id == "" {
		return ctx, &verdict{http.StatusBadRequest, "Missing Mcp-Session-Id header; send initialize first."}
	}
	ok, err := lookupSession(ctx, b.opts.Sessions, id, b.opts.Function, binding)
	if err != nil {
		b.logger.Error().Err(err).Msg("look up mcp session")
		return ctx, &verdict{http.StatusServiceUnavailable, "The session could not be checked; try again."}
	}
	if !ok {
		return ctx, &verdict{http.StatusNotFound, "Unknown or ended MCP session; initialize a new one."}
	}
	return context.WithValue(ctx, checkedKey{}, id), nil
}

// isJSON reports whether r declares a JSON body; mcp-go refuses other POSTs with 400, and
// the gate must not open a session for a request mcp-go will refuse.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// caller is what a tool call needs to know about the HTTP request that carried it.
type caller struct {
	trigger        string // X-Jelou-Trigger; "" is "mcp"
	tokenID        string
	forwardedFor   string
	forwardedHost  string
	forwardedProto string
}

type callerKey struct{}

// withCaller records the forwarding facts of r, computed as httputil.ProxyRequest's
// SetXForwarded does for the gateway's proxy, so tool calls carry the same headers.
func withCaller(ctx context.Context, r *http.Request, info auth.Info) context.Context {
	c := caller{tokenID: info.ID, forwardedHost: r.Host, forwardedProto: "http"}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.forwardedFor = ip
	}
	if r.TLS != nil {
		c.forwardedProto = "https"
	}
	return context.WithValue(ctx, callerKey{}, c)
}

func callerFrom(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}
