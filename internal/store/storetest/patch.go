package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

func ptr[T any](v T) *T { return &v }

// testPatchFunction: a patch creates a function from the defaults, changes only what it
// names, keeps the signing secret, and refuses an unknown name unless it may create.
func testPatchFunction(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, _, err := s.PatchFunction(ctx, "ghost", store.FunctionPatch{Public: ptr(true)}, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PatchFunction(ghost, create false) error = %v, want ErrNotFound", err)
	}
	f, created, err := s.PatchFunction(ctx, "probe", store.FunctionPatch{Upstream: ptr("http://127.0.0.1:9001")}, true)
	if err != nil || !created {
		t.Fatalf("PatchFunction(probe, create) = created %v, error %v; want created", created, err)
	}
	want := store.Function{Name: "probe", Upstream: "http://127.0.0.1:9001", Timeout: store.DefaultTimeout, MCP: true}
	if d := diffFunction(f, want); d != "" {
		t.Errorf("created function: %s", d)
	}
	if f.SigningSecret == "" {
		t.Errorf("created function has no signing secret")
	}
	got, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffFunction(got, f); d != "" || got.SigningSecret != f.SigningSecret {
		t.Errorf("GetFunction after PatchFunction differs from what it returned: %s", d)
	}

	f2, created, err := s.PatchFunction(ctx, "probe", store.FunctionPatch{Public: ptr(true), MCPToolsets: ptr([]string{"a", "b"})}, true)
	if err != nil || created {
		t.Fatalf("PatchFunction(probe) again = created %v, error %v; want an update", created, err)
	}
	want.Public, want.MCPToolsets = true, []string{"a", "b"}
	if d := diffFunction(f2, want); d != "" {
		t.Errorf("patched function: %s", d)
	}
	if f2.SigningSecret != f.SigningSecret {
		t.Errorf("a patch changed the signing secret")
	}
	if !f2.UpdatedAt.After(f.UpdatedAt) && !f2.UpdatedAt.Equal(f.UpdatedAt) {
		t.Errorf("UpdatedAt went back: %v after %v", f2.UpdatedAt, f.UpdatedAt)
	}
}

// patches are eight changes to different settings.
var patches = []store.FunctionPatch{
	{OpenAPIURL: ptr("http://127.0.0.1:9001/spec.json")},
	{Public: ptr(true)},
	{Timeout: ptr(7 * time.Second)},
	{MCP: ptr(false)},
	{CORSOrigins: ptr([]string{"https://app.example.com"})},
	{MCPMode: ptr("search")},
	{MCPToolsets: ptr([]string{"pets"})},
	{Upstream: ptr("http://127.0.0.1:9009")},
}

// patched is a function with all of patches applied.
func patched(name string) store.Function {
	return store.Function{
		Name: name, Upstream: "http://127.0.0.1:9009", OpenAPIURL: "http://127.0.0.1:9001/spec.json",
		Public: true, Timeout: 7 * time.Second, MCP: false, CORSOrigins: []string{"https://app.example.com"},
		MCPMode: "search", MCPToolsets: []string{"pets"},
	}
}

// testPatchFunctionConcurrently: changes to different settings landing at once, as two
// deploys from two replicas would, all take effect; none is lost to another's write-back.
func testPatchFunctionConcurrently(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, _, err := s.PatchFunction(ctx, "probe", store.FunctionPatch{Upstream: ptr("http://127.0.0.1:9001")}, true); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(patches))
	for _, p := range patches {
		wg.Go(func() {
			if _, _, err := s.PatchFunction(ctx, "probe", p, false); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("PatchFunction: %v", err)
	}
	got, err := s.GetFunction(ctx, "probe")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffFunction(got, patched("probe")); d != "" {
		t.Errorf("after concurrent patches, some were lost: %s", d)
	}

	// Creating at once: one patch creates, the others update, and none is lost.
	var mu sync.Mutex
	var creators []int
	for i, p := range patches {
		p.Upstream = ptr("http://127.0.0.1:9009")
		wg.Go(func() {
			_, created, err := s.PatchFunction(ctx, "fresh", p, true)
			if err != nil {
				t.Errorf("PatchFunction(fresh, create): %v", err)
			}
			if created {
				mu.Lock()
				creators = append(creators, i)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(creators) != 1 {
		t.Errorf("%d patches reported creating the function (%v), want 1", len(creators), creators)
	}
	got, err = s.GetFunction(ctx, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffFunction(got, patched("fresh")); d != "" {
		t.Errorf("after concurrent creating patches, some were lost: %s", d)
	}
}
