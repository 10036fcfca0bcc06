package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the gateway's proof that a request came from it.
const SignatureHeader = "X-Jelou-Signature"

// MaxSignatureHeaderLen bounds the X-Jelou-Signature values ParseSignature accepts.
const MaxSignatureHeaderLen = 1 << 10

// DefaultTolerance is how far a signature's timestamp may be from the verifier's clock.
const DefaultTolerance = 5 * time.Minute

// Signature errors. The verifiers wrap none of them: callers branch with errors.Is.
var (
	ErrNoSignature       = errors.New("missing X-Jelou-Signature header")
	ErrBadSignatureValue = errors.New("malformed X-Jelou-Signature header")
	ErrStaleSignature    = errors.New("X-Jelou-Signature timestamp outside the tolerance")
	ErrSignatureMismatch = errors.New("X-Jelou-Signature does not match the request")
	// ErrSignatureV1Only refuses a header with only body-only v1 values (an older gateway),
	// unless the verifier opted in with SignatureOptions.AcceptV1.
	ErrSignatureV1Only = errors.New("X-Jelou-Signature has only v1 (body-only) values, which are not accepted")
)

// Message is what a v2 signature covers: the request exactly as the function receives it.
type Message struct {
	Method string // "GET", "POST", …
	// Target is the request-target: the path and query exactly as sent, such as
	// "/orders?id=7" (Go's r.RequestURI, Node's req.url).
	Target    string
	RequestID string // the X-Request-Id header
	Body      []byte // the raw body, empty for none
}

// RequestMessage returns the Message of r with its raw body: r.Method, r.RequestURI (or
// r.URL.RequestURI() when r is a request built to be sent, whose RequestURI is empty) and
// r's X-Request-Id header.
func RequestMessage(r *http.Request, body []byte) Message {
	target := r.RequestURI
	if target == "" && r.URL != nil {
		target = r.URL.RequestURI()
	}
	return Message{Method: r.Method, Target: target, RequestID: r.Header.Get("X-Request-Id"), Body: body}
}

// Sign returns the X-Jelou-Signature value of m at t: "t=<unix seconds>" followed by one
// ",v2=<hex>" per secret, each the HMAC-SHA256, keyed with the secret's bytes, of
//
//	<t>\n<METHOD>\n<request-target>\n<X-Request-Id>\n<raw body>
//
// During a secret rotation the gateway passes the new secret first and the old one second,
// so that functions holding either secret accept the call.
func Sign(t time.Time, m Message, secrets ...string) string {
	return sign(t, m, false, secrets)
}

// SignWithV1 returns Sign's value followed by one legacy ",v1=<hex>" per secret, the
// HMAC-SHA256 of "<t>.<raw body>". A v1 value covers the body only, so it can be replayed to
// any method, path or query for as long as the tolerance allows; the gateway adds it only
// when it runs with --signature-compat v1, for functions that do not verify v2 yet.
func SignWithV1(t time.Time, m Message, secrets ...string) string {
	return sign(t, m, true, secrets)
}

func sign(t time.Time, m Message, v1 bool, secrets []string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	n := len(secrets)
	if v1 {
		n *= 2
	}
	b.Grow(len("t=") + len(ts) + n*(len(",v2=")+2*sha256.Size))
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		b.WriteString(",v2=")
		b.WriteString(hex.EncodeToString(macV2(s, ts, m)))
	}
	if v1 {
		for _, s := range secrets {
			b.WriteString(",v1=")
			b.WriteString(hex.EncodeToString(macV1(s, ts, m.Body)))
		}
	}
	return b.String()
}

func macV2(secret, ts string, m Message) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	for _, field := range [...]string{ts, m.Method, m.Target, m.RequestID} {
		io.WriteString(h, field)
		h.Write([]byte{'\n'})
	}
	h.Write(m.Body)
	return h.Sum(nil)
}

func macV1(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	io.WriteString(h, ts)
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Signature is a parsed X-Jelou-Signature value.
type Signature struct {
	Timestamp int64    // t, Unix seconds
	V2        [][]byte // the v2 values in order, 32 bytes each
	V1        [][]byte // the legacy v1 values in order, 32 bytes each
}

// ParseSignature splits a header value into its timestamp and its v2 and v1 values. Unknown
// fields (other schemes) are ignored; a value longer than MaxSignatureHeaderLen, or without
// t, or without any v2 or v1 value, is malformed.
func ParseSignature(header string) (Signature, error) {
	if header == "" {
		return Signature{}, ErrNoSignature
	}
	if len(header) > MaxSignatureHeaderLen {
		return Signature{}, ErrBadSignatureValue
	}
	var sig Signature
	haveT := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Signature{}, ErrBadSignatureValue
		}
		switch k {
		case "t":
			if haveT {
				return Signature{}, ErrBadSignatureValue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return Signature{}, ErrBadSignatureValue
			}
			sig.Timestamp, haveT = n, true
		case "v2", "v1":
			s, err := hex.DecodeString(v)
			if err != nil || len(s) != sha256.Size {
				return Signature{}, ErrBadSignatureValue
			}
			if k == "v2" {
				sig.V2 = append(sig.V2, s)
			} else {
				sig.V1 = append(sig.V1, s)
			}
		}
	}
	if !haveT || len(sig.V2)+len(sig.V1) == 0 {
		return Signature{}, ErrBadSignatureValue
	}
	return sig, nil
}

// SignatureOptions tunes VerifyMessage and RequireSignature. A nil *SignatureOptions means
// the defaults.
type SignatureOptions struct {
	// Tolerance is how far the timestamp may be from now; DefaultTolerance when 0.
	Tolerance time.Duration
	// AcceptV1 also accepts a header that carries only legacy v1 values (a body-only HMAC
	// that can be replayed to another method or path within the tolerance). Leave it off
	// unless the function sits behind a gateway older than v2 signatures. A header with v2
	// values is always judged by them alone.
	AcceptV1 bool
	// MaxBody bounds the body RequireSignature reads (413 beyond it); DefaultMaxSignedBody
	// when 0. VerifyMessage ignores it.
	MaxBody int64
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// VerifySignature checks r's X-Jelou-Signature header with the function's signing secret
// (the string `jfn functions info NAME --show-secret` prints) against r's method, its
// request-target (r.RequestURI), its X-Request-Id and body, the raw body the caller read.
// It accepts v2 values only, and rejects a missing or malformed header, a timestamp more than
// tolerance away from now (DefaultTolerance when tolerance is 0), and a request or secret
// that does not match. VerifyMessage offers the same check over explicit fields, with options.
//
//	body, _ := io.ReadAll(r.Body)
//	if err := auth.VerifySignature(secret, r, body, 0); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//
// A signature stays valid for the tolerance: a function that must not act twice on one
// call remembers the request ids it accepted for that long.
func VerifySignature(secret string, r *http.Request, body []byte, tolerance time.Duration) error {
	return VerifyMessage(secret, r.Header.Get(SignatureHeader), RequestMessage(r, body), &SignatureOptions{Tolerance: tolerance})
}

// VerifyMessage checks the X-Jelou-Signature value header against m with secret. It returns
// ErrNoSignature or ErrBadSignatureValue for a missing or malformed header,
// ErrStaleSignature for a timestamp outside the tolerance, ErrSignatureV1Only for a header
// without v2 values (unless opts.AcceptV1), and ErrSignatureMismatch when no value matches.
// Every value is compared, in constant time, so the time taken does not tell which matched.
func VerifyMessage(secret, header string, m Message, opts *SignatureOptions) error {
	var o SignatureOptions
	if opts != nil {
		o = *opts
	}
	if o.Tolerance <= 0 {
		o.Tolerance = DefaultTolerance
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	sig, err := ParseSignature(header)
	if err != nil {
		return err
	}
	if len(sig.V2) == 0 && !o.AcceptV1 {
		return ErrSignatureV1Only
	}
	if d := now().Sub(time.Unix(sig.Timestamp, 0)); d > o.Tolerance || d < -o.Tolerance {
		return ErrStaleSignature
	}
	ts := strconv.FormatInt(sig.Timestamp, 10)
	values, want := sig.V2, []byte(nil)
	if len(values) > 0 {
		want = macV2(secret, ts, m)
	} else {
		values, want = sig.V1, macV1(secret, ts, m.Body)
	}
	match := false
	for _, v := range values {
		if hmac.Equal(v, want) {
			match = true
		}
	}
	if !match {
		return ErrSignatureMismatch
	}
	return nil
}
