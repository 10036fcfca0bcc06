package gateway

import (
	"net/http"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// Every request the gateway sends upstream carries X-Jelou-Signature, made with the
// function's signing secrets (store.Function.SigningSecrets: the current one, and the
// previous one during a rotation's grace period) over the exact body sent. The proxy reads
// the body into memory to sign it (bodies are bounded by MaxBodyBytes); the MCP bridge signs
// through Sign; the cron scheduler signs its own calls with the secrets Cron.Sync carries.

// Cron is told about functions and their documents, so that the schedules they declare
// (x-jelou-cron) follow every change without a restart. *cron.Scheduler implements it.
// Both methods are called with the gateway's lock held, in the order the changes happened,
// and must return at once.
type Cron interface {
	// Sync gives a function's settings and its current document (nil until one loads). It
	// is called when a function appears or its settings change, and when its document changes.
	Sync(fn store.Function, spec *openapi.Spec)
	// Remove is called when a function is deleted.
	Remove(function string)
}

// syncCron tells the scheduler about fn and its current document. Called with g.mu held.
func (g *Gateway) syncCron(fn *function) {
	if g.cron == nil {
		return
	}
	var doc *apiSpec
	if s := fn.spec.current(); s != nil {
		doc = s.doc
	}
	g.cron.Sync(fn.fn, doc)
}

// Sign sets X-Jelou-Signature on r, a request for function's upstream whose body is body,
// with the function's current signing secrets. mcp.Options.Signer uses it, so that a secret
// rotated while a bridge serves is picked up at once.
func (g *Gateway) Sign(function string, r *http.Request, body []byte) {
	r.Header.Del(auth.SignatureHeader)
	if fn := g.idx.Load().functions[function]; fn != nil {
		if v := signature(fn.fn, body); v != "" {
			r.Header.Set(auth.SignatureHeader, v)
		}
	}
}

// signature is the X-Jelou-Signature value for body, "" when f has no secret.
func signature(f store.Function, body []byte) string {
	now := time.Now()
	secrets := f.SigningSecrets(now)
	if len(secrets) == 0 {
		return ""
	}
	return auth.Sign(now, body, secrets...)
}
