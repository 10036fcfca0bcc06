// Package mcp serves a function's OpenAPI operations as MCP tools over the Streamable HTTP
// transport. It is the only package that imports mcp-go, with its subpackage mcptest, the
// mcp-go client that tests connect with.
//
// A Bridge is built per function from Options and the function's loaded document:
//
//	b, err := mcp.New(&mcp.Options{
//		Function: "shop",
//		Upstream: upstreamURL,
//		Timeout:  30 * time.Second, // the function's own timeout: each tool call's bound
//		Sessions: sessions, // shared by every replica; mcp.NewMemorySessions() for one process
//		Logger:   logger,
//	}, spec)
//	…
//	mux.Handle("/shop/mcp", auth.Require("shop", lookup, nil)(b)) // the token check runs first
//	…
//	b.SetSpec(newSpec) // after a refresh: open sessions get notifications/tools/list_changed
//	b.Close()          // when the function is deleted or its MCP endpoint turned off
//
// # What the gateway does before the Bridge
//
// The Bridge never reads X-Jelou-Token. For a function that is not public, a token check must
// run first: it refuses a missing, unknown, revoked or expired token with 401, removes the
// header, and stores the token's auth.Info in the request context (auth.NewContext). The
// gateway does this itself before it hands /mcp over (auth.Verify, then auth.NewContext); a
// Bridge served on its own can sit behind auth.Require, which does the same. The Bridge refuses a request without that Info (401), and binds every session to
// the hash of the token that opened it: another token, even a valid one, gets 404 for it.
//
// Because the token is checked on every request and a session is never trusted on its own,
// a revoked token's sessions stop at once: its next POST, GET or DELETE is refused by the
// token check before it reaches the Bridge. A GET stream that was already open is ended by
// EndTokenSessions, which the gateway calls when it learns of the revocation; a stream also
// ends by itself when its token expires.
//
// # Sessions and revisions
//
// The session-based revisions (2025-03-26, 2025-06-18, 2025-11-25) and the stateless
// 2026-07-28 revision share the endpoint. A request whose MCP-Protocol-Version header is
// 2026-07-28 (or later) is stateless: it carries no session, and mcp-go answers its GET and
// DELETE with 405. Every other request goes through the session gate described on
// Bridge.ServeHTTP. Session ids are 256 random bits and live in the SessionStore with the
// function and the token hash, so any replica can check them; mcp-go keeps only stream
// state in memory.
//
// # Tool calls
//
// Arguments are validated with openapi.Tool.Validate first (an invalid call is a tool
// result with isError that names each field, and nothing goes upstream). The request is
// built by openapi.Tool.NewRequest under the function's timeout and the caller's context,
// carries X-Request-Id, X-Jelou-Function, X-Jelou-Token-Id, X-Jelou-Trigger: mcp and the
// X-Forwarded-* headers, is signed by Options.Signer, and its answer becomes a tool result
// (see mapResponse): a non-2xx answer, an unreachable upstream or a timeout is a result with
// isError and a readable text, never a JSON-RPC error.
//
// # Metrics
//
// The package imports no metrics library. Options.Observer (or Bridge.SetObserver, which the
// gateway calls) receives each finished tool call with its outcome (OutcomeOK,
// OutcomeToolError, OutcomeUpstreamError, OutcomeTimeout, OutcomeInvalidArguments) and the
// time spent upstream, the sessions this Bridge opens and ends, and its GET streams.
package mcp
