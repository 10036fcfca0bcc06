package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the gateway's proof that a request came from it.
const SignatureHeader = "X-Jelou-Signature"

// MaxSignatureHeaderLen bounds the X-Jelou-Signature values VerifySignature parses.
const MaxSignatureHeaderLen = 1 << 10

// DefaultTolerance is how far a signature's timestamp may be from the verifier's clock.
const DefaultTolerance = 5 * time.Minute

// Signature errors. VerifySignature wraps none of them: callers branch with errors.Is.
var (
	ErrNoSignature       = errors.New("missing X-Jelou-Signature header")
	ErrBadSignatureValue = errors.New("malformed X-Jelou-Signature header")
	ErrStaleSignature    = errors.New("X-Jelou-Signature timestamp outside the tolerance")
	ErrSignatureMismatch = errors.New("X-Jelou-Signature does not match the body")
)

// Sign returns the X-Jelou-Signature value for body at t: "t=<unix seconds>,v1=<hex>" with
// one v1 per secret, each the HMAC-SHA256 of "<t>.<body>" keyed with the secret's bytes.
// During a secret rotation the gateway passes the new secret first and the old one second,
// so that functions holding either secret accept the call.
func Sign(t time.Time, body []byte, secrets ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac(s, ts, body)))
	}
	return b.String()
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// ParseSignature splits a header value into its timestamp and v1 signatures. Unknown
// fields (other schemes) are ignored; a value without t or without any v1 is malformed.
func ParseSignature(header string) (ts int64, sigs [][]byte, err error) {
	if header == "" {
		return 0, nil, ErrNoSignature
	}
	if len(header) > MaxSignatureHeaderLen {
		return 0, nil, ErrBadSignatureValue
	}
	haveT := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, ErrBadSignatureValue
		}
		switch k {
		case "t":
			if haveT {
				return 0, nil, ErrBadSignatureValue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return 0, nil, ErrBadSignatureValue
			}
			ts, haveT = n, true
		case "v1":
			s, err := hex.DecodeString(v)
			if err != nil || len(s) != sha256.Size {
				return 0, nil, ErrBadSignatureValue
			}
			sigs = append(sigs, s)
		}
	}
	if !haveT || len(sigs) == 0 {
		return 0, nil, ErrBadSignatureValue
	}
	return ts, sigs, nil
}

// VerifySignature checks an X-Jelou-Signature header value against the raw request body
// with the function's signing secret (the string `jfn functions info NAME --show-secret`
// prints). It rejects a missing or malformed header, a timestamp more than tolerance away
// from now (DefaultTolerance when tolerance is 0), and a body or secret that does not match.
//
//	body, _ := io.ReadAll(r.Body)
//	if err := auth.VerifySignature(secret, r.Header.Get(auth.SignatureHeader), body, 0); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
func VerifySignature(secret, header string, body []byte, tolerance time.Duration) error {
	return verifySignature(secret, header, body, tolerance, time.Now())
}

func verifySignature(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	ts, sigs, err := ParseSignature(header)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStaleSignature
	}
	want := mac(secret, strconv.FormatInt(ts, 10), body)
	// Check every v1 value, so the time taken does not reveal which one matched.
	match := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			match = true
		}
	}
	if !match {
		return ErrSignatureMismatch
	}
	return nil
}
