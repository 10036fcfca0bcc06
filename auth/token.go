// Package auth implements jfn's runtime tokens and the middleware that enforces them.
//
// A runtime token looks like
//
//	jfn_rt_<43 random base62 characters><6 character base62 CRC-32 checksum>
//
// The random part carries at least 256 bits from crypto/rand; the checksum lets a mistyped
// or truncated token be rejected before any lookup, and lets secret scanners recognise real
// tokens. Only the SHA-256 hash of a token is ever stored, together with a display prefix
// such as "jfn_rt_AbCd..".
//
// Use New to mint a token, Hash to derive its storage key, and Require to protect the
// handlers of one function (Verify and WriteUnauthorized are its two halves, for callers
// that decide more than "token or 401", as the gateway does):
//
//	tok, _ := auth.New()
//	store.Save(auth.Hash(tok), auth.DisplayPrefix(tok))
//	h := auth.Require("shop", lookup, nil)(next)
//
// The other direction: every request the gateway sends a function carries X-Jelou-Signature,
// an HMAC-SHA256 with the function's signing secret over the request's method,
// request-target, X-Request-Id and body (Sign). A Go function checks it with
// RequireSignature, or VerifySignature on a request whose body it has read:
//
//	http.ListenAndServe(addr, auth.RequireSignature(secret, nil, mux))
//
// auth imports none of jfn's packages but one: internal/httperr, a leaf of the standard
// library only, which writes its refusals in the same JSON error shape as the rest of jfn.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"strings"
)

// Prefix starts every runtime token.
const Prefix = "jfn_rt_"

const (
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	randomLen   = 43 // 43 * log2(62) = 256.03 bits
	checksumLen = 6  // 62^6 > 2^32
	// TokenLen is the length of every token New returns.
	TokenLen = len(Prefix) + randomLen + checksumLen
)

// ErrInvalidToken reports a value that is not a well-formed runtime token.
var ErrInvalidToken = errors.New("invalid runtime token")

// New returns a fresh runtime token.
func New() (string, error) {
	var b strings.Builder
	b.Grow(TokenLen)
	b.WriteString(Prefix)
	buf := make([]byte, 64)
	for n := 0; n < randomLen; {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, c := range buf {
			// Rejection sampling keeps every character uniform: 248 = 4*62.
			if c >= 248 {
				continue
			}
			b.WriteByte(alphabet[c%62])
			n++
			if n == randomLen {
				break
			}
		}
	}
	b.WriteString(checksum(b.String()[len(Prefix):]))
	return b.String(), nil
}

// checksum encodes CRC-32 (IEEE) of the random part in checksumLen base62 characters.
func checksum(random string) string {
	sum := checksumBytes(random)
	return string(sum[:])
}

// checksumBytes is checksum without the string allocation, for Check on the hot path.
func checksumBytes(random string) [checksumLen]byte {
	v := crc32.ChecksumIEEE([]byte(random))
	var out [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[v%62]
		v /= 62
	}
	return out
}

// Check reports whether s has the shape and checksum of a runtime token. It does no lookup.
func Check(s string) error {
	if len(s) != TokenLen || !strings.HasPrefix(s, Prefix) {
		return ErrInvalidToken
	}
	body := s[len(Prefix):]
	for i := 0; i < len(body); i++ {
		if !isAlnum(body[i]) {
			return ErrInvalidToken
		}
	}
	if sum := checksumBytes(body[:randomLen]); string(sum[:]) != body[randomLen:] {
		return ErrInvalidToken
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// Hash returns the SHA-256 of a token: the only form in which a token is stored.
func Hash(token string) [sha256.Size]byte {
	return sha256.Sum256([]byte(token))
}

// DisplayPrefix returns the part of a token that may be shown: "jfn_rt_" + 4 characters + "..".
func DisplayPrefix(token string) string {
	if len(token) < len(Prefix)+4 {
		return Prefix + ".."
	}
	return token[:len(Prefix)+4] + ".."
}
