package store

import (
	"context"
	"crypto/rand"
	"math/big"
	"time"
)

// SigningSecretPrefix starts every signing secret the store creates.
const SigningSecretPrefix = "jfn_ss_"

// Secrets rotates functions' signing secrets. Both implementations satisfy it alongside
// Store; it is separate so that Store fakes in other packages' tests keep compiling.
type Secrets interface {
	// RotateSecret gives function a new random signing secret and returns the function as
	// stored. The secret it replaces becomes PreviousSecret until now+grace, so that the
	// gateway signs with both meanwhile; with grace <= 0 it stops at once. Only one previous
	// secret is kept: rotating again during a grace period drops the older one. Servers see
	// the change through Watch. ErrNotFound when the function does not exist.
	RotateSecret(ctx context.Context, function string, grace time.Duration) (Function, error)
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
