package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

// MaxGrace bounds the grace period of a signing secret rotation.
const MaxGrace = 30 * 24 * time.Hour

// DefaultGrace is the grace period of a rotation that names none.
const DefaultGrace = 24 * time.Hour

// ErrRotateUnsupported is returned by RotateSecret for a store that cannot rotate secrets.
var ErrRotateUnsupported = errors.New("the store cannot rotate signing secrets")

// ParseDuration reads a number of days such as 90d, or a Go duration such as 36h.
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("invalid duration %q: want a number of days such as 90d, or a Go duration such as 36h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a number of days such as 90d, or a Go duration such as 36h", s)
	}
	return d, nil
}

// ParseGrace reads a rotation's grace period: 0, or a duration up to MaxGrace.
func ParseGrace(s string) (time.Duration, bool) {
	g, err := ParseDuration(s)
	if err != nil || g < 0 || g > MaxGrace {
		return 0, false
	}
	return g, true
}

// RefreshResult is the outcome of Refresh: the tools the document turns into now, or why it
// could not be loaded.
type RefreshResult struct {
	Tools    []string // never nil
	FetchErr error
}

// Refresh makes every running server fetch function name's OpenAPI document again (within a
// second), then fetches it with fetch and reports its tools. A function that does not exist
// is store.ErrNotFound. A document that cannot be loaded is not an error: it is
// RefreshResult.FetchErr (running servers keep their last good tools and retry).
func Refresh(ctx context.Context, st store.Store, name string, fetch func(context.Context, store.Function) ([]string, error)) (RefreshResult, error) {
	f, err := st.GetFunction(ctx, name)
	if err != nil {
		return RefreshResult{}, err
	}
	// Moving the function's UpdatedAt (and nothing else, so that a deploy landing meanwhile
	// stands) reaches every server through the change feed; a server that sees it move
	// fetches the document again. This goes first, so that servers fetch while the caller
	// does.
	if err := st.TouchFunction(ctx, name, time.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return RefreshResult{}, err
		}
		return RefreshResult{}, fmt.Errorf("cannot ask running servers to refresh %s: %w", name, err)
	}
	tools, fetchErr := fetch(ctx, f)
	if tools == nil {
		tools = []string{}
	}
	return RefreshResult{Tools: tools, FetchErr: fetchErr}, nil
}

// RotateSecret gives function name a new signing secret; the old one still signs for grace.
// It returns the function with its new secret, which the caller shows once. A function that
// does not exist is store.ErrNotFound; a store without store.Secrets is ErrRotateUnsupported.
func RotateSecret(ctx context.Context, st store.Store, name string, grace time.Duration) (store.Function, error) {
	secrets, ok := st.(store.Secrets)
	if !ok {
		return store.Function{}, ErrRotateUnsupported
	}
	if grace < 0 || grace > MaxGrace {
		return store.Function{}, errors.New("the grace period must be 0 or a duration up to 30d")
	}
	f, err := secrets.RotateSecret(ctx, name, grace)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Function{}, err
		}
		return store.Function{}, fmt.Errorf("cannot rotate the signing secret of %s: %w", name, err)
	}
	return f, nil
}

// DeleteFunction deletes function name and all its tokens; its URL answers 404 on every
// running server within a second. A function that does not exist is store.ErrNotFound.
func DeleteFunction(ctx context.Context, st store.Store, name string) error {
	if err := st.DeleteFunction(ctx, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		return fmt.Errorf("cannot delete %s: %w", name, err)
	}
	return nil
}
