package shop

import (
	"net/http"

	"github.com/jfnhq/jfn/auth"
)

// SignedHandler is Handler for a function that checks that its calls come from its jfn
// gateway: with secret set (the function's signing secret, as `jfn functions info shop --show-secret` prints it),
// every request must carry an X-Jelou-Signature whose v2 value auth.VerifySignature accepts
// (over the request's method, request-target, X-Request-Id and body), or gets 401. GET /openapi.json stays open, since the gateway fetches the document unsigned like any
// client. With secret "" it is Handler, and unsigned calls are accepted.
func SignedHandler(secret string) http.Handler {
	h := Handler()
	if secret == "" {
		return h
	}
	verified := auth.RequireSignature(secret, &auth.SignatureOptions{MaxBody: maxBody}, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/openapi.json" {
			h.ServeHTTP(w, r)
			return
		}
		verified.ServeHTTP(w, r)
	})
}
