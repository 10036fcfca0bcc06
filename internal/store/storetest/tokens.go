package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

func testCreateTokenRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "probe")
	quito := time.FixedZone("ECT", -5*3600)
	in := newToken("probe", "ci")
	in.CreatedAt = time.Date(2025, 3, 4, 5, 6, 7, 891_234_567, quito)
	in.ExpiresAt = time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, quito)
	createToken(t, s, in)

	never := newToken("probe", "never-expires")
	never.CreatedAt = in.CreatedAt.Truncate(time.Millisecond).Add(time.Millisecond).UTC()
	createToken(t, s, never)

	ts, err := s.ListTokens(ctx, "probe")
	if err != nil {
		t.Fatalf("ListTokens(%q) error = %v", "probe", err)
	}
	if len(ts) != 2 {
		t.Fatalf("ListTokens(%q) = %d tokens, want 2", "probe", len(ts))
	}
	want := in
	want.CreatedAt = in.CreatedAt.Truncate(time.Millisecond)
	want.ExpiresAt = in.ExpiresAt.Truncate(time.Millisecond)
	if d := diffToken(ts[0], want); d != "" {
		t.Errorf("ListTokens(%q)[0] does not round-trip: %s", "probe", d)
	}
	if d := diffToken(ts[1], never); d != "" {
		t.Errorf("ListTokens(%q)[1] does not round-trip: %s", "probe", d)
	}
	for _, tm := range []struct {
		name string
		v    time.Time
	}{{"CreatedAt", ts[0].CreatedAt}, {"ExpiresAt", ts[0].ExpiresAt}} {
		if tm.v.Location() != time.UTC {
			t.Errorf("ListTokens(%q)[0].%s location = %v, want UTC", "probe", tm.name, tm.v.Location())
		}
	}
	if !ts[1].ExpiresAt.IsZero() || !ts[1].LastUsedAt.IsZero() || !ts[1].RevokedAt.IsZero() {
		t.Errorf("ListTokens(%q)[1] unset times = expires %v, last used %v, revoked %v; want all zero",
			"probe", ts[1].ExpiresAt, ts[1].LastUsedAt, ts[1].RevokedAt)
	}
}

func testCreateTokenDefaultsCreatedAt(t *testing.T, s store.Store) {
	putFunction(t, s, "probe")
	before := time.Now()
	tok := newToken("probe", "default")
	tok.CreatedAt = time.Time{}
	createToken(t, s, tok)
	ts, err := s.ListTokens(t.Context(), "probe")
	if err != nil {
		t.Fatalf("ListTokens(%q) error = %v", "probe", err)
	}
	if len(ts) != 1 {
		t.Fatalf("ListTokens(%q) = %d tokens, want 1", "probe", len(ts))
	}
	checkNow(t, "CreateToken with zero CreatedAt: stored CreatedAt", ts[0].CreatedAt, before)
}

func testCreateTokenUnknownFunction(t *testing.T, s store.Store) {
	ctx := t.Context()
	err := s.CreateToken(ctx, newToken("ghost", "default"))
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateToken for unknown function %q error = %v, want ErrNotFound", "ghost", err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot() error = %v", err)
	}
	if len(snap.Tokens) != 0 {
		t.Errorf("Snapshot() after a failed CreateToken has tokens %v, want none", tokenIDs(snap.Tokens))
	}
}

func testCreateTokenDuplicates(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "one")
	putFunction(t, s, "two")
	first := createToken(t, s, newToken("one", "default"))

	sameHash := newToken("two", "copy")
	sameHash.Hash = first.Hash
	err := s.CreateToken(ctx, sameHash)
	if err == nil {
		t.Errorf("CreateToken with another token's hash error = nil, want a uniqueness error")
	} else if errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateToken with another token's hash error = %v, want a uniqueness error, not ErrNotFound", err)
	}

	sameID := newToken("one", "copy")
	sameID.ID = first.ID
	if err := s.CreateToken(ctx, sameID); err == nil {
		t.Errorf("CreateToken with another token's id error = nil, want an error")
	}

	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot() error = %v", err)
	}
	if got, want := tokenIDs(snap.Tokens), []string{first.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Snapshot() token ids after rejected duplicates = %v, want %v", got, want)
	}
}

func testListTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "probe")
	putFunction(t, s, "other")
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)

	// Created out of order on purpose: the list is ordered by CreatedAt, not insertion.
	newest := newToken("probe", "newest")
	newest.CreatedAt = base.Add(3 * time.Minute)
	oldest := newToken("probe", "oldest")
	oldest.CreatedAt = base
	expired := newToken("probe", "expired")
	expired.CreatedAt = base.Add(time.Minute)
	expired.ExpiresAt = base.Add(2 * time.Minute) // long past
	revoked := newToken("probe", "revoked")
	revoked.CreatedAt = base.Add(2 * time.Minute)
	foreign := newToken("other", "foreign")
	foreign.CreatedAt = base
	for _, tok := range []store.Token{newest, oldest, expired, revoked, foreign} {
		createToken(t, s, tok)
	}
	if _, err := s.RevokeToken(ctx, "probe", revoked.ID); err != nil {
		t.Fatalf("RevokeToken(%q, %q) error = %v", "probe", revoked.ID, err)
	}

	ts, err := s.ListTokens(ctx, "probe")
	if err != nil {
		t.Fatalf("ListTokens(%q) error = %v", "probe", err)
	}
	want := []string{oldest.ID, expired.ID, newest.ID}
	if got := tokenIDs(ts); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ListTokens(%q) ids = %v, want %v (unrevoked, expired included, oldest first)", "probe", got, want)
	}

	putFunction(t, s, "empty")
	ts, err = s.ListTokens(ctx, "empty")
	if err != nil {
		t.Fatalf("ListTokens(%q) of a function without tokens error = %v", "empty", err)
	}
	if len(ts) != 0 {
		t.Errorf("ListTokens(%q) = %v, want none", "empty", tokenIDs(ts))
	}
}

func testListTokensUnknownFunction(t *testing.T, s store.Store) {
	_, err := s.ListTokens(t.Context(), "ghost")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListTokens(%q) of an unknown function error = %v, want ErrNotFound", "ghost", err)
	}
}

func testRevokeToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "probe")
	victim := createToken(t, s, newToken("probe", "victim"))
	bystander := createToken(t, s, newToken("probe", "bystander"))

	before := time.Now()
	got, err := s.RevokeToken(ctx, "probe", victim.ID)
	if err != nil {
		t.Fatalf("RevokeToken(%q, %q) error = %v", "probe", victim.ID, err)
	}
	checkNow(t, "RevokeToken(...).RevokedAt", got.RevokedAt, before)
	want := victim
	want.RevokedAt = got.RevokedAt
	if d := diffToken(got, want); d != "" {
		t.Errorf("RevokeToken(%q, %q) returned token: %s", "probe", victim.ID, d)
	}

	ts, err := s.ListTokens(ctx, "probe")
	if err != nil {
		t.Fatalf("ListTokens(%q) error = %v", "probe", err)
	}
	if ids, want := tokenIDs(ts), []string{bystander.ID}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("ListTokens(%q) after revoking %q = %v, want %v", "probe", victim.ID, ids, want)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot() error = %v", err)
	}
	if ids, want := tokenIDs(snap.Tokens), []string{bystander.ID}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("Snapshot() token ids after revoking %q = %v, want %v", victim.ID, ids, want)
	}
	if len(snap.Tokens) == 1 && !snap.Tokens[0].RevokedAt.IsZero() {
		t.Errorf("Snapshot() bystander RevokedAt = %v, want zero (revoking one token never affects another)", snap.Tokens[0].RevokedAt)
	}
}

func testRevokeTokenNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "probe")
	putFunction(t, s, "other")
	tok := createToken(t, s, newToken("probe", "default"))

	if _, err := s.RevokeToken(ctx, "other", tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(%q, %q) through another function error = %v, want ErrNotFound", "other", tok.ID, err)
	}
	if _, err := s.RevokeToken(ctx, "probe", "tok_unknown"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(%q, %q) of an unknown id error = %v, want ErrNotFound", "probe", "tok_unknown", err)
	}
	if _, err := s.RevokeToken(ctx, "ghost", tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(%q, %q) of an unknown function error = %v, want ErrNotFound", "ghost", tok.ID, err)
	}
	// The failed attempts left it active.
	ts, err := s.ListTokens(ctx, "probe")
	if err != nil {
		t.Fatalf("ListTokens(%q) error = %v", "probe", err)
	}
	if len(ts) != 1 {
		t.Fatalf("ListTokens(%q) after failed revokes = %d tokens, want 1", "probe", len(ts))
	}

	if _, err := s.RevokeToken(ctx, "probe", tok.ID); err != nil {
		t.Fatalf("RevokeToken(%q, %q) error = %v", "probe", tok.ID, err)
	}
	if _, err := s.RevokeToken(ctx, "probe", tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(%q, %q) twice error = %v, want ErrNotFound", "probe", tok.ID, err)
	}
}

func testTouchTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "probe")
	a := createToken(t, s, newToken("probe", "a"))
	b := createToken(t, s, newToken("probe", "b"))

	if err := s.TouchTokens(ctx, nil); err != nil {
		t.Errorf("TouchTokens(nil) error = %v", err)
	}
	used := time.Date(2025, 6, 7, 8, 9, 10, 123_456_789, time.FixedZone("X", 3600))
	err := s.TouchTokens(ctx, map[string]time.Time{a.ID: used, "tok_unknown": used})
	if err != nil {
		t.Fatalf("TouchTokens with an unknown id error = %v, want nil (unknown ids are ignored)", err)
	}
	got := tokensByID(t, s, "probe")
	if want := used.Truncate(time.Millisecond); !got[a.ID].LastUsedAt.Equal(want) {
		t.Errorf("LastUsedAt of %q after TouchTokens = %v, want %v", a.ID, got[a.ID].LastUsedAt, want)
	}
	if got[a.ID].LastUsedAt.Location() != time.UTC {
		t.Errorf("LastUsedAt of %q location = %v, want UTC", a.ID, got[a.ID].LastUsedAt.Location())
	}
	if !got[b.ID].LastUsedAt.IsZero() {
		t.Errorf("LastUsedAt of untouched %q = %v, want zero", b.ID, got[b.ID].LastUsedAt)
	}

	// A later touch moves it forward; an earlier one (a slower server's flush) does not
	// move it back.
	later := used.Add(time.Minute)
	if err := s.TouchTokens(ctx, map[string]time.Time{a.ID: later, b.ID: later}); err != nil {
		t.Fatalf("TouchTokens error = %v", err)
	}
	if err := s.TouchTokens(ctx, map[string]time.Time{a.ID: used}); err != nil {
		t.Fatalf("TouchTokens error = %v", err)
	}
	got = tokensByID(t, s, "probe")
	for _, id := range []string{a.ID, b.ID} {
		if want := later.Truncate(time.Millisecond); !got[id].LastUsedAt.Equal(want) {
			t.Errorf("LastUsedAt of %q = %v, want the latest touch %v", id, got[id].LastUsedAt, want)
		}
	}
}

func testSnapshot(t *testing.T, s store.Store) {
	ctx := t.Context()
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot() of an empty store error = %v", err)
	}
	if len(snap.Functions) != 0 || len(snap.Tokens) != 0 {
		t.Errorf("Snapshot() of an empty store = %d functions, %d tokens; want none", len(snap.Functions), len(snap.Tokens))
	}

	putFunction(t, s, "beta")
	putFunction(t, s, "alpha")
	a := createToken(t, s, newToken("alpha", "default"))
	b := createToken(t, s, newToken("beta", "default"))
	expired := newToken("beta", "expired")
	expired.ExpiresAt = time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	expired = createToken(t, s, expired)
	revoked := createToken(t, s, newToken("beta", "revoked"))
	if _, err := s.RevokeToken(ctx, "beta", revoked.ID); err != nil {
		t.Fatalf("RevokeToken(%q, %q) error = %v", "beta", revoked.ID, err)
	}

	snap, err = s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot() error = %v", err)
	}
	if got, want := functionNames(snap.Functions), []string{"alpha", "beta"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Snapshot() functions = %v, want %v", got, want)
	}
	byID := map[string]store.Token{}
	for _, tok := range snap.Tokens {
		byID[tok.ID] = tok
	}
	if len(byID) != 3 {
		t.Errorf("Snapshot() tokens = %v, want the 3 unrevoked ones (expired included)", tokenIDs(snap.Tokens))
	}
	for _, want := range []store.Token{a, b, expired} {
		got, ok := byID[want.ID]
		if !ok {
			t.Errorf("Snapshot() lacks token %q (%s of %s)", want.ID, want.Name, want.Function)
			continue
		}
		if d := diffToken(got, want); d != "" {
			t.Errorf("Snapshot() token %q: %s", want.ID, d)
		}
	}
	if _, ok := byID[revoked.ID]; ok {
		t.Errorf("Snapshot() includes revoked token %q", revoked.ID)
	}
}

func testConcurrentWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "probe")
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				tok := newToken("probe", fmt.Sprintf("w%d-%d", w, i))
				if err := s.CreateToken(ctx, tok); err != nil {
					errs <- err
					return
				}
				if err := s.TouchTokens(ctx, map[string]time.Time{tok.ID: time.Now()}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent CreateToken/TouchTokens error = %v", err)
	}
	ts, err := s.ListTokens(ctx, "probe")
	if err != nil {
		t.Fatalf("ListTokens(%q) error = %v", "probe", err)
	}
	if len(ts) != workers*each {
		t.Errorf("ListTokens(%q) after concurrent creates = %d tokens, want %d", "probe", len(ts), workers*each)
	}
}
