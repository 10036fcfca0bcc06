package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/jfnhq/jfn/internal/httperr"
)

// Header is the only place a runtime token is read from.
const Header = "X-Jelou-Token"

// MaxHeaderLen bounds the X-Jelou-Token value; longer values are refused with the usual 401.
const MaxHeaderLen = 4 << 10

// UnauthorizedBody is the exact body of every 401, whatever the reason.
const UnauthorizedBody = `{"error":"Unauthorized","message":"Missing or invalid X-Jelou-Token header"}`

// Info describes the token a request was authenticated with. It never holds the secret.
type Info struct {
	ID        string // the token's id, safe to log and forward
	Function  string // the function the token belongs to
	Hash      [sha256.Size]byte
	ExpiresAt time.Time // zero when the token never expires
}

// Lookup finds an active (not revoked) token by the SHA-256 hash of its secret. It must not
// touch a database on the hot path: jfn keeps an in-memory index.
type Lookup func(hash [sha256.Size]byte) (Info, bool)

// Verify applies the token rule to r for function and returns the token it carries.
// It reads only the X-Jelou-Token header. Every failure returns ErrInvalidToken, so that
// callers cannot leak why a token was refused.
func Verify(r *http.Request, function string, lookup Lookup, now time.Time) (Info, error) {
	vals := r.Header.Values(Header)
	if len(vals) != 1 {
		return Info{}, ErrInvalidToken
	}
	tok := vals[0]
	if len(tok) > MaxHeaderLen {
		return Info{}, ErrInvalidToken
	}
	if err := Check(tok); err != nil {
		return Info{}, ErrInvalidToken
	}
	h := Hash(tok)
	info, ok := lookup(h)
	if !ok {
		return Info{}, ErrInvalidToken
	}
	// The map lookup already matched; compare again in constant time so that the decision
	// never depends on a variable-time comparison of secret-derived bytes.
	if subtle.ConstantTimeCompare(info.Hash[:], h[:]) != 1 {
		return Info{}, ErrInvalidToken
	}
	if subtle.ConstantTimeCompare([]byte(info.Function), []byte(function)) != 1 {
		return Info{}, ErrInvalidToken
	}
	if !info.ExpiresAt.IsZero() && !now.Before(info.ExpiresAt) {
		return Info{}, ErrInvalidToken
	}
	return info, nil
}

// errUnauthorized is the 401 of the token rule; its body is UnauthorizedBody.
var errUnauthorized = &httperr.Error{
	Status:  http.StatusUnauthorized,
	Message: "Missing or invalid X-Jelou-Token header",
	Header:  http.Header{"Www-Authenticate": {`ApiKey header="X-Jelou-Token"`}},
}

// WriteUnauthorized writes the 401 answer of the token rule: UnauthorizedBody, with
// WWW-Authenticate naming the header.
func WriteUnauthorized(w http.ResponseWriter) {
	httperr.Write(w, errUnauthorized)
}

// Options tunes Require. A nil *Options means the defaults.
type Options struct {
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// OnFailure is called for every refused request (for metrics); it never sees the token.
	OnFailure func(r *http.Request)
}

// Require returns middleware that lets a request through only with a valid token of
// function. OPTIONS requests pass without one. The token's Info is stored in the request
// context (see FromContext) and the X-Jelou-Token header is removed before next runs.
func Require(function string, lookup Lookup, opts *Options) func(http.Handler) http.Handler {
	now := time.Now
	var onFailure func(*http.Request)
	if opts != nil {
		if opts.Now != nil {
			now = opts.Now
		}
		onFailure = opts.OnFailure
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			info, err := Verify(r, function, lookup, now())
			if err != nil {
				if onFailure != nil {
					onFailure(r)
				}
				WriteUnauthorized(w)
				return
			}
			r.Header.Del(Header)
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), info)))
		})
	}
}

type ctxKey struct{}

// NewContext returns a context carrying info.
func NewContext(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// FromContext returns the token Info stored by Require, if any.
func FromContext(ctx context.Context) (Info, bool) {
	info, ok := ctx.Value(ctxKey{}).(Info)
	return info, ok
}
