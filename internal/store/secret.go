package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"time"
)

// SigningSecretPrefix starts every signing secret the store creates.
const SigningSecretPrefix = "jfn_ss_"

// Secrets rotates functions' signing secrets. Both implementations satisfy it alongside
// Store; it is separate so that Store fakes in other packages' tests keep compiling.
type Secrets interface {
	// RotateSecret gives function a new random signing secret and returns the function as
	// stored. The secret it replaces becomes the first of PreviousSecrets, until now+grace,
	// so that the gateway signs with both meanwhile; the previous secrets whose grace has not
	// ended stay after it (at most MaxPreviousSecrets in all, the oldest dropped first), so
	// rotating again during a grace period does not cut it short. With grace <= 0 the
	// replaced secret and every previous one stop at once: only the new secret signs.
	// Concurrent rotations of one function take turns. Servers see the change through Watch.
	// ErrNotFound when the function does not exist.
	RotateSecret(ctx context.Context, function string, grace time.Duration) (Function, error)
}

// MaxPreviousSecrets bounds how many replaced secrets a function keeps signing with, so that
// however often it is rotated, X-Jelou-Signature stays a few hundred bytes.
const MaxPreviousSecrets = 10

// rotatedSecrets is what a rotation at now with grace leaves as PreviousSecrets, given the
// secret it replaces and the previous ones: the replaced secret until now+grace, then those
// whose grace lasts past now, at most MaxPreviousSecrets. None when grace <= 0.
func rotatedSecrets(now time.Time, grace time.Duration, replaced string, previous []PreviousSecret) []PreviousSecret {
	if grace <= 0 {
		return nil
	}
	var kept []PreviousSecret
	if replaced != "" {
		kept = append(kept, PreviousSecret{Secret: replaced, ExpiresAt: now.Add(grace)})
	}
	for _, p := range previous {
		if len(kept) == MaxPreviousSecrets {
			break
		}
		if p.Secret != "" && now.Before(p.ExpiresAt) {
			kept = append(kept, p)
		}
	}
	return kept
}

// previousSecretJSON is one PreviousSecret in the previous_secrets column of both stores: a
// JSON array, newest first, with times in unix milliseconds; "" when there are none.
type previousSecretJSON struct {
	Secret    string `json:"secret"`
	ExpiresAt int64  `json:"expires_at"`
}

func encodePreviousSecrets(ps []PreviousSecret) string {
	if len(ps) == 0 {
		return ""
	}
	js := make([]previousSecretJSON, len(ps))
	for i, p := range ps {
		js[i] = previousSecretJSON{Secret: p.Secret, ExpiresAt: p.ExpiresAt.UnixMilli()}
	}
	b, _ := json.Marshal(js) // strings and numbers only: it cannot fail
	return string(b)
}

func decodePreviousSecrets(s string) ([]PreviousSecret, error) {
	if s == "" {
		return nil, nil
	}
	var js []previousSecretJSON
	if err := json.Unmarshal([]byte(s), &js); err != nil {
		return nil, fmt.Errorf("stored previous secrets: %w", err)
	}
	ps := make([]PreviousSecret, len(js))
	for i, j := range js {
		ps[i] = PreviousSecret{Secret: j.Secret, ExpiresAt: fromMillis(j.ExpiresAt)}
	}
	return ps, nil
}

// newSigningSecret returns SigningSecretPrefix followed by 32 random bytes in base62 (43
// characters of [0-9A-Za-z], so that a double-click selects the whole secret).
func newSigningSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	s := new(big.Int).SetBytes(b[:]).Text(62)
	for len(s) < 43 {
		s = "0" + s
	}
	return SigningSecretPrefix + s
}
