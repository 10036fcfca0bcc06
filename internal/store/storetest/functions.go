package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

func testPutFunctionCreates(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := store.Function{
		Name:        "probe",
		Upstream:    "http://127.0.0.1:9001",
		OpenAPIURL:  "http://127.0.0.1:9001/spec.json",
		Public:      true,
		Timeout:     1500 * time.Millisecond,
		MCP:         false,
		CORSOrigins: []string{"https://app.example.com", "http://127.0.0.1:3000"},
		MCPMode:     "search",
		MCPToolsets: []string{"issues", "pulls"},
	}
	before := time.Now()
	created, err := s.PutFunction(ctx, f)
	if err != nil {
		t.Fatalf("PutFunction(%q) error = %v", f.Name, err)
	}
	if !created {
		t.Errorf("PutFunction(%q) on a new name: created = false, want true", f.Name)
	}
	got, err := s.GetFunction(ctx, f.Name)
	if err != nil {
		t.Fatalf("GetFunction(%q) error = %v", f.Name, err)
	}
	if d := diffFunction(got, f); d != "" {
		t.Errorf("GetFunction(%q) differs from what was put: %s", f.Name, d)
	}
	checkNow(t, "GetFunction CreatedAt", got.CreatedAt, before)
	checkNow(t, "GetFunction UpdatedAt", got.UpdatedAt, before)

	// Defaults stay as given: the store does not invent an OpenAPI URL or a timeout.
	g := store.Function{Name: "plain", Upstream: "http://127.0.0.1:9002", MCP: true}
	if _, err := s.PutFunction(ctx, g); err != nil {
		t.Fatalf("PutFunction(%q) error = %v", g.Name, err)
	}
	got, err = s.GetFunction(ctx, g.Name)
	if err != nil {
		t.Fatalf("GetFunction(%q) error = %v", g.Name, err)
	}
	if d := diffFunction(got, g); d != "" {
		t.Errorf("GetFunction(%q) differs from what was put: %s", g.Name, d)
	}
}

func testPutFunctionUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := store.Function{Name: "probe", Upstream: "http://127.0.0.1:9001", Timeout: 30 * time.Second, MCP: true}
	if _, err := s.PutFunction(ctx, f); err != nil {
		t.Fatalf("PutFunction(%q) error = %v", f.Name, err)
	}
	first, err := s.GetFunction(ctx, f.Name)
	if err != nil {
		t.Fatalf("GetFunction(%q) error = %v", f.Name, err)
	}

	// Let the clock move on, so that overwriting created_at with "now" would show.
	time.Sleep(5 * time.Millisecond)
	f.Upstream = "http://127.0.0.1:9009"
	f.OpenAPIURL = "http://127.0.0.1:9009/openapi.yaml"
	f.Public = true
	f.Timeout = 120 * time.Second
	f.MCP = false
	f.CORSOrigins = []string{"*"}
	f.MCPMode = "all"
	f.MCPToolsets = []string{"repos"}
	f.CreatedAt = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC) // must be ignored on update
	created, err := s.PutFunction(ctx, f)
	if err != nil {
		t.Fatalf("PutFunction(%q) again error = %v", f.Name, err)
	}
	if created {
		t.Errorf("PutFunction(%q) on an existing name: created = true, want false", f.Name)
	}
	got, err := s.GetFunction(ctx, f.Name)
	if err != nil {
		t.Fatalf("GetFunction(%q) error = %v", f.Name, err)
	}
	if d := diffFunction(got, f); d != "" {
		t.Errorf("GetFunction(%q) after update: %s", f.Name, d)
	}
	if !got.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("GetFunction(%q).CreatedAt after update = %v, want the original %v", f.Name, got.CreatedAt, first.CreatedAt)
	}
	if got.UpdatedAt.Before(first.UpdatedAt) {
		t.Errorf("GetFunction(%q).UpdatedAt after update = %v, before the first put's %v", f.Name, got.UpdatedAt, first.UpdatedAt)
	}
	fs, err := s.ListFunctions(ctx)
	if err != nil {
		t.Fatalf("ListFunctions() error = %v", err)
	}
	if len(fs) != 1 {
		t.Errorf("ListFunctions() after two puts of one name = %d functions, want 1", len(fs))
	}
}

func testGetFunctionUnknown(t *testing.T, s store.Store) {
	_, err := s.GetFunction(t.Context(), "nope")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetFunction(%q) error = %v, want ErrNotFound", "nope", err)
	}
}

func testListFunctions(t *testing.T, s store.Store) {
	ctx := t.Context()
	fs, err := s.ListFunctions(ctx)
	if err != nil {
		t.Fatalf("ListFunctions() on an empty store error = %v", err)
	}
	if len(fs) != 0 {
		t.Errorf("ListFunctions() on an empty store = %d functions, want 0", len(fs))
	}
	for _, name := range []string{"zeta", "alpha", "mid-1", "beta"} {
		putFunction(t, s, name)
	}
	fs, err = s.ListFunctions(ctx)
	if err != nil {
		t.Fatalf("ListFunctions() error = %v", err)
	}
	want := []string{"alpha", "beta", "mid-1", "zeta"}
	if got := functionNames(fs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ListFunctions() names = %v, want %v (ordered by name)", got, want)
	}
}

func testDeleteFunction(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "keep")
	putFunction(t, s, "gone")
	if err := s.DeleteFunction(ctx, "gone"); err != nil {
		t.Fatalf("DeleteFunction(%q) error = %v", "gone", err)
	}
	if _, err := s.GetFunction(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetFunction(%q) after delete error = %v, want ErrNotFound", "gone", err)
	}
	if _, err := s.GetFunction(ctx, "keep"); err != nil {
		t.Errorf("GetFunction(%q) after deleting another function error = %v", "keep", err)
	}
	if err := s.DeleteFunction(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteFunction(%q) twice error = %v, want ErrNotFound", "gone", err)
	}
	if err := s.DeleteFunction(ctx, "never"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteFunction(%q) of an unknown function error = %v, want ErrNotFound", "never", err)
	}
}

func testDeleteFunctionCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "gone")
	putFunction(t, s, "keep")
	doomed := createToken(t, s, newToken("gone", "default"))
	kept := createToken(t, s, newToken("keep", "default"))

	if err := s.DeleteFunction(ctx, "gone"); err != nil {
		t.Fatalf("DeleteFunction(%q) error = %v", "gone", err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot() error = %v", err)
	}
	if got, want := tokenIDs(snap.Tokens), []string{kept.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Snapshot() token ids after deleting %q = %v, want %v", "gone", got, want)
	}
	// Redeploying the name must not resurrect the old tokens.
	putFunction(t, s, "gone")
	ts, err := s.ListTokens(ctx, "gone")
	if err != nil {
		t.Fatalf("ListTokens(%q) after redeploy error = %v", "gone", err)
	}
	if len(ts) != 0 {
		t.Errorf("ListTokens(%q) after delete and redeploy = %v, want none", "gone", tokenIDs(ts))
	}
	// The rows are really gone: their id and hash are free again.
	if err := s.CreateToken(ctx, doomed); err != nil {
		t.Errorf("CreateToken with a deleted token's id and hash error = %v, want nil", err)
	}
}

// testTouchFunction: TouchFunction moves only UpdatedAt (what 'jfn functions refresh'
// writes), so a deploy that lands between a refresh's read and its write survives; it wakes
// Watch, and UpdatedAt always moves forward, even for a time that is not later.
func testTouchFunction(t *testing.T, s store.Store) {
	ctx := t.Context()
	putFunction(t, s, "probe")
	read, err := s.GetFunction(ctx, "probe") // the refresh's read
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	deploy := read
	deploy.Upstream = "http://127.0.0.1:9999"
	deploy.Timeout = 5 * time.Second
	if _, err := s.PutFunction(ctx, deploy); err != nil { // a deploy meanwhile
		t.Fatalf("PutFunction(new URL) error = %v", err)
	}
	deployed, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	ch := watch(t, s)
	drain(ch)
	_ = waitSignal(ch, ChangeDeadline/4) // the put's own signal, if still in flight
	drain(ch)

	at := deployed.UpdatedAt.Add(time.Second)
	if err := s.TouchFunction(ctx, "probe", at); err != nil { // the refresh's write
		t.Fatalf("TouchFunction(probe) error = %v", err)
	}
	got, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatalf("GetFunction error = %v", err)
	}
	if d := diffFunction(got, deploy); d != "" {
		t.Errorf("GetFunction after a deploy then TouchFunction: %s (the deploy must survive)", d)
	}
	if !got.UpdatedAt.Equal(at) || !got.CreatedAt.Equal(deployed.CreatedAt) || got.SigningSecret != deployed.SigningSecret {
		t.Errorf("TouchFunction(probe, %v): UpdatedAt = %v, CreatedAt kept %v, secret kept %v; want UpdatedAt %v and the rest kept",
			at, got.UpdatedAt, got.CreatedAt.Equal(deployed.CreatedAt), got.SigningSecret == deployed.SigningSecret, at)
	}
	if err := waitSignal(ch, ChangeDeadline); err != nil {
		t.Errorf("Watch after TouchFunction: %v", err)
	}

	// A time that is not later (another replica's clock, or the same millisecond) still moves
	// UpdatedAt, by a millisecond: servers notice a refresh by UpdatedAt changing.
	for _, earlier := range []time.Time{at, at.Add(-time.Hour)} {
		before, err := s.GetFunction(ctx, "probe")
		if err != nil {
			t.Fatalf("GetFunction error = %v", err)
		}
		if err := s.TouchFunction(ctx, "probe", earlier); err != nil {
			t.Fatalf("TouchFunction(probe, %v) error = %v", earlier, err)
		}
		after, err := s.GetFunction(ctx, "probe")
		if err != nil {
			t.Fatalf("GetFunction error = %v", err)
		}
		if want := before.UpdatedAt.Add(time.Millisecond); !after.UpdatedAt.Equal(want) {
			t.Errorf("TouchFunction(probe, %v) with UpdatedAt %v: UpdatedAt = %v, want %v", earlier, before.UpdatedAt, after.UpdatedAt, want)
		}
		if after.UpdatedAt.Location() != time.UTC {
			t.Errorf("UpdatedAt location = %v, want UTC", after.UpdatedAt.Location())
		}
	}
	if err := s.TouchFunction(ctx, "nope", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchFunction(nope) error = %v, want ErrNotFound", err)
	}
}
