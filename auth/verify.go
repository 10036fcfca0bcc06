package auth

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/jfnhq/jfn/internal/httperr"
)

// DefaultMaxSignedBody bounds the body RequireSignature reads to verify when
// SignatureOptions.MaxBody is 0.
const DefaultMaxSignedBody = 10 << 20

// RequireSignature is middleware for a Go function deployed behind jfn: a request passes to
// next only with an X-Jelou-Signature that VerifyMessage accepts for secret over the request
// (its method, request-target, X-Request-Id and body; v2 only unless opts.AcceptV1);
// anything else gets 401 with a JSON error naming what was wrong. The body is read (up to
// opts.MaxBody bytes, DefaultMaxSignedBody when 0; 413 beyond) and handed to next intact.
//
//	secret := os.Getenv("JFN_SIGNING_SECRET") // from `jfn functions info NAME --show-secret`
//	http.ListenAndServe(addr, auth.RequireSignature(secret, nil, mux))
//
// During a rotation the gateway signs with both secrets, so a function holding either one
// accepts its calls.
func RequireSignature(secret string, opts *SignatureOptions, next http.Handler) http.Handler {
	var o SignatureOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxSignedBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, o.MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				httperr.Write(w, httperr.New(http.StatusRequestEntityTooLarge, "The request body is too large."))
				return
			}
			httperr.Write(w, httperr.New(http.StatusBadRequest, "The request body could not be read."))
			return
		}
		if err := VerifyMessage(secret, r.Header.Get(SignatureHeader), RequestMessage(r, body), &o); err != nil {
			httperr.Write(w, httperr.New(http.StatusUnauthorized, "Invalid request signature: "+err.Error()+"."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
