package gateway

import (
	"net/http"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
)

// Every request the gateway sends upstream carries X-Jelou-Signature, made with the
// function's signing secrets (store.Function.SigningSecrets: the current one, and the
// previous one during a rotation's grace period) over the request exactly as sent: method,
// request-target, X-Request-Id and body (auth.Sign). The proxy reads the body into memory
// (bodies are bounded by MaxBodyBytes) and signs in rewrite, once the upstream URL is built;
// the MCP bridge signs through Sign; the cron scheduler signs its own calls with the secrets
// Cron.Sync carries. With Options.SignatureCompatV1 the legacy body-only v1 values follow.

// Sign sets X-Jelou-Signature on r, a request built for function's upstream whose body is
// body, with the function's current signing secrets. It covers r.Method, the request-target
// r.URL.RequestURI() (what the client writes) and r's X-Request-Id, so it runs once r is
// otherwise complete. mcp.Options.Signer uses it, so that a secret rotated while a bridge
// serves is picked up at once.
func (g *Gateway) Sign(function string, r *http.Request, body []byte) {
	r.Header.Del(auth.SignatureHeader)
	if fn := g.idx.Load().functions[function]; fn != nil {
		m := auth.Message{Method: r.Method, Target: r.URL.RequestURI(), RequestID: r.Header.Get("X-Request-Id"), Body: body}
		if v := g.signature(fn.fn, m); v != "" {
			r.Header.Set(auth.SignatureHeader, v)
		}
	}
}

// signature is the X-Jelou-Signature value for m, "" when f has no secret.
func (g *Gateway) signature(f store.Function, m auth.Message) string {
	now := time.Now()
	secrets := f.SigningSecrets(now)
	if len(secrets) == 0 {
		return ""
	}
	if g.signV1 {
		return auth.SignWithV1(now, m, secrets...)
	}
	return auth.Sign(now, m, secrets...)
}
