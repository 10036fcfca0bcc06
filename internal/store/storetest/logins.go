package storetest

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

// loginsOf returns s as a store.ConsoleLogins, failing the test when it is not one.
func loginsOf(t *testing.T, s store.Store) store.ConsoleLogins {
	t.Helper()
	cl, ok := s.(store.ConsoleLogins)
	if !ok {
		t.Fatalf("%T does not implement store.ConsoleLogins", s)
	}
	return cl
}

func testConsoleLogins(t *testing.T, s store.Store) {
	cl, ctx := loginsOf(t, s), t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	live, other, expired := sha256.Sum256([]byte("live")), sha256.Sum256([]byte("other")), sha256.Sum256([]byte("expired"))
	if _, err := cl.LoginExpiry(ctx, live); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LoginExpiry of an unknown login error = %v, want ErrNotFound", err)
	}
	if err := cl.CreateLogin(ctx, expired, now.Add(-time.Second)); err != nil {
		t.Fatalf("CreateLogin(expired) error = %v", err)
	}
	if got, err := cl.LoginExpiry(ctx, expired); err != nil || !got.Equal(now.Add(-time.Second)) {
		t.Fatalf("LoginExpiry(expired) = %v, %v; want %v (the caller compares it with now)", got, err, now.Add(-time.Second))
	}
	for _, h := range [][32]byte{live, other} {
		if err := cl.CreateLogin(ctx, h, now.Add(time.Hour)); err != nil {
			t.Fatalf("CreateLogin error = %v", err)
		}
	}
	if got, err := cl.LoginExpiry(ctx, live); err != nil || !got.Equal(now.Add(time.Hour)) {
		t.Errorf("LoginExpiry(live) = %v, %v; want %v", got, err, now.Add(time.Hour))
	}
	if _, err := cl.LoginExpiry(ctx, expired); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired login after CreateLogin: error = %v, want ErrNotFound (swept)", err)
	}
	if err := cl.CreateLogin(ctx, live, now.Add(time.Hour)); err == nil {
		t.Error("CreateLogin with a hash already stored succeeded, want an error")
	}
	if err := cl.DeleteLogin(ctx, live); err != nil {
		t.Fatalf("DeleteLogin error = %v", err)
	}
	if _, err := cl.LoginExpiry(ctx, live); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LoginExpiry after DeleteLogin error = %v, want ErrNotFound", err)
	}
	if err := cl.DeleteLogin(ctx, live); err != nil {
		t.Errorf("DeleteLogin of a login already gone = %v, want nil", err)
	}
	if _, err := cl.LoginExpiry(ctx, other); err != nil {
		t.Errorf("LoginExpiry of the other login after one was deleted = %v, want it kept", err)
	}
}

func testWatchIgnoresConsoleLogins(t *testing.T, s store.Store) {
	cl, ctx := loginsOf(t, s), t.Context()
	ch := watch(t, s)
	drain(ch)
	_ = waitSignal(ch, ChangeDeadline/4) // a signal for an earlier change still in flight (NOTIFY)
	drain(ch)
	h := sha256.Sum256([]byte("login"))
	if err := cl.CreateLogin(ctx, h, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("CreateLogin error = %v", err)
	}
	if err := cl.DeleteLogin(ctx, h); err != nil {
		t.Fatalf("DeleteLogin error = %v", err)
	}
	if waitSignal(ch, ChangeDeadline+ChangeDeadline/4) == nil {
		t.Error("Watch signalled after console logins changed, want no signal")
	}
}
