package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

func testWatchReportsChanges(t *testing.T, s store.Store) {
	putFunction(t, s, "probe")
	tok := createToken(t, s, newToken("probe", "default"))
	ch := watch(t, s)

	steps := []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"PutFunction insert", func(ctx context.Context) error {
			_, err := s.PutFunction(ctx, store.Function{Name: "fresh", Upstream: "http://127.0.0.1:1", MCP: true})
			return err
		}},
		{"PutFunction update", func(ctx context.Context) error {
			_, err := s.PutFunction(ctx, store.Function{Name: "probe", Upstream: "http://127.0.0.1:2", MCP: true})
			return err
		}},
		{"CreateToken", func(ctx context.Context) error {
			return s.CreateToken(ctx, newToken("probe", "second"))
		}},
		{"RevokeToken", func(ctx context.Context) error {
			_, err := s.RevokeToken(ctx, "probe", tok.ID)
			return err
		}},
		{"DeleteFunction", func(ctx context.Context) error {
			return s.DeleteFunction(ctx, "probe")
		}},
	}
	for _, step := range steps {
		drain(ch)
		if err := step.do(t.Context()); err != nil {
			t.Fatalf("%s error = %v", step.name, err)
		}
		if err := waitSignal(ch, ChangeDeadline); err != nil {
			t.Errorf("Watch after %s: %v", step.name, err)
		}
	}
}

func testWatchIgnoresTouchTokens(t *testing.T, s store.Store) {
	putFunction(t, s, "probe")
	tok := createToken(t, s, newToken("probe", "default"))
	ch := watch(t, s)
	drain(ch)

	if err := s.TouchTokens(t.Context(), map[string]time.Time{tok.ID: time.Now()}); err != nil {
		t.Fatalf("TouchTokens error = %v", err)
	}
	// Every server flushes last-used times; if that woke Watch, every flush would make every
	// server reload its snapshot. Wait past the change deadline to be sure nothing comes.
	quiet := time.NewTimer(ChangeDeadline + ChangeDeadline/4)
	defer quiet.Stop()
	select {
	case _, ok := <-ch:
		if ok {
			t.Errorf("Watch signalled after TouchTokens, want no signal for last-used updates")
		} else {
			t.Fatalf("Watch channel closed while its context is live")
		}
	case <-quiet.C:
	}

	// The watcher is still alive: a real change still arrives.
	if err := s.CreateToken(t.Context(), newToken("probe", "second")); err != nil {
		t.Fatalf("CreateToken error = %v", err)
	}
	if err := waitSignal(ch, ChangeDeadline); err != nil {
		t.Errorf("Watch after CreateToken (following TouchTokens): %v", err)
	}
}

func testWatchEachCaller(t *testing.T, s store.Store) {
	putFunction(t, s, "probe")
	first, second := watch(t, s), watch(t, s)
	drain(first)
	drain(second)
	if err := s.CreateToken(t.Context(), newToken("probe", "default")); err != nil {
		t.Fatalf("CreateToken error = %v", err)
	}
	if err := waitSignal(first, ChangeDeadline); err != nil {
		t.Errorf("first Watch channel after CreateToken: %v", err)
	}
	if err := waitSignal(second, ChangeDeadline); err != nil {
		t.Errorf("second Watch channel after CreateToken: %v", err)
	}
}

func testWatchClosesOnCancel(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	ch := s.Watch(ctx)
	other := watch(t, s) // a watcher with a live context is unaffected
	cancel()
	deadline := time.NewTimer(ChangeDeadline)
	defer deadline.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				// Closed as required. The other watcher still works.
				putFunction(t, s, "after-cancel")
				if err := waitSignal(other, ChangeDeadline); err != nil {
					t.Errorf("Watch with a live context after another was cancelled: %v", err)
				}
				return
			}
		case <-deadline.C:
			t.Fatalf("Watch channel still open %v after its context was cancelled", ChangeDeadline)
		}
	}
}
