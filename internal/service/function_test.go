package service

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

func TestParseGrace(t *testing.T) {
	for s, want := range map[string]time.Duration{"0": 0, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": MaxGrace} {
		if g, ok := ParseGrace(s); !ok || g != want {
			t.Errorf("ParseGrace(%q) = %v, %v; want %v", s, g, ok, want)
		}
	}
	for _, s := range []string{"", "-1h", "31d", "soon"} {
		if _, ok := ParseGrace(s); ok {
			t.Errorf("ParseGrace(%q) accepted", s)
		}
	}
}

func TestRefreshRotateDelete(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fetch := func(context.Context, store.Function) ([]string, error) { return nil, errors.New("down") }
	if _, err := Refresh(ctx, st, "shop", fetch); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Refresh of an unknown function = %v, want store.ErrNotFound", err)
	}
	if _, err := Deploy(ctx, st, DeployParams{Name: "shop", Upstream: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	res, err := Refresh(ctx, st, "shop", fetch)
	if err != nil || res.Tools == nil || res.FetchErr == nil {
		t.Errorf("Refresh with a failing fetch = %+v, %v; want empty tools and the fetch error", res, err)
	}
	before, _ := st.GetFunction(ctx, "shop")
	f, err := RotateSecret(ctx, st, "shop", time.Hour)
	if err != nil || f.SigningSecret == "" || f.SigningSecret == before.SigningSecret || len(f.PreviousSecrets) != 1 || f.PreviousSecrets[0].Secret != before.SigningSecret {
		t.Errorf("RotateSecret = %v; want a new secret with the old one kept", err)
	}
	if _, err := RotateSecret(ctx, st, "nope", time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RotateSecret of an unknown function = %v, want store.ErrNotFound", err)
	}
	if err := DeleteFunction(ctx, st, "shop"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteFunction(ctx, st, "shop"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a second DeleteFunction = %v, want store.ErrNotFound", err)
	}
}

// deployDuringRead is a store that, the first time Refresh reads the function, lets a deploy
// (a new upstream URL) land right after the read: what another process may do at any time.
type deployDuringRead struct {
	store.Store
	once sync.Once
	url  string
}

func (s *deployDuringRead) GetFunction(ctx context.Context, name string) (store.Function, error) {
	f, err := s.Store.GetFunction(ctx, name)
	s.once.Do(func() {
		g := f
		g.Upstream = s.url
		if _, perr := s.Store.PutFunction(ctx, g); perr != nil {
			err = perr
		}
	})
	return f, err
}

// TestRefreshKeepsConcurrentDeploy: a deploy that lands while Refresh runs is not reverted,
// and Refresh still moves UpdatedAt (which makes every server fetch the document again).
func TestRefreshKeepsConcurrentDeploy(t *testing.T) {
	ctx := context.Background()
	inner, err := store.Open(ctx, filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	if _, err := Deploy(ctx, inner, DeployParams{Name: "shop", Upstream: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	st := &deployDuringRead{Store: inner, url: "http://127.0.0.1:2"}
	fetch := func(context.Context, store.Function) ([]string, error) { return []string{"a"}, nil }
	if _, err := Refresh(ctx, st, "shop", fetch); err != nil {
		t.Fatalf("Refresh = %v", err)
	}
	deployed, err := inner.GetFunction(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if deployed.Upstream != "http://127.0.0.1:2" {
		t.Errorf("after Refresh with a deploy during it: Upstream = %q, want the deploy's %q", deployed.Upstream, "http://127.0.0.1:2")
	}
	before := deployed.UpdatedAt
	if _, err := Refresh(ctx, inner, "shop", fetch); err != nil {
		t.Fatalf("Refresh = %v", err)
	}
	after, err := inner.GetFunction(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if !after.UpdatedAt.After(before) {
		t.Errorf("Refresh left UpdatedAt at %v (was %v), want it moved forward", after.UpdatedAt, before)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"90d", 90 * 24 * time.Hour, false},
		{"1d", 24 * time.Hour, false},
		{"36h", 36 * time.Hour, false},
		{"1s", time.Second, false},
		{"d", 0, true},
		{"1.5d", 0, true},
		{"soon", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewID("tok_", 12)
		if len(id) != 16 || id[:4] != "tok_" || seen[id] {
			t.Fatalf("NewID = %q: want tok_ and 12 new characters", id)
		}
		seen[id] = true
	}
}

// Deploys that change different settings at once, as from two terminals or two consoles on
// two replicas, all take effect: none is lost to another's write-back of the whole function.
func TestConcurrentDeploysKeepEachChange(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Deploy(ctx, st, DeployParams{Name: "shop", Upstream: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	on, off, timeout, mode := true, false, 7*time.Second, "search"
	openapi, cors, toolsets := "http://127.0.0.1:1/spec.json", []string{"https://app.example.com"}, []string{"pets"}
	changes := []DeployParams{
		{Name: "shop", Public: &on}, {Name: "shop", MCP: &off}, {Name: "shop", Timeout: &timeout},
		{Name: "shop", Mode: &mode}, {Name: "shop", OpenAPI: &openapi}, {Name: "shop", CORS: &cors},
		{Name: "shop", Toolsets: &toolsets}, {Name: "shop", Upstream: "http://127.0.0.1:2/"},
	}
	for round := range 5 {
		var wg sync.WaitGroup
		for _, p := range changes {
			wg.Go(func() {
				if _, err := Deploy(ctx, st, p); err != nil {
					t.Errorf("Deploy: %v", err)
				}
			})
		}
		wg.Wait()
		f, err := st.GetFunction(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if !f.Public || f.MCP || f.Timeout != timeout || f.MCPMode != mode || f.OpenAPIURL != openapi ||
			len(f.CORSOrigins) != 1 || len(f.MCPToolsets) != 1 || f.Upstream != "http://127.0.0.1:2" {
			t.Fatalf("round %d: after concurrent deploys the function is %+v: a change was lost", round, f)
		}
		// Undo, for the next round.
		if _, err := st.PutFunction(ctx, store.Function{Name: "shop", Upstream: "http://127.0.0.1:1", Timeout: store.DefaultTimeout, MCP: true}); err != nil {
			t.Fatal(err)
		}
	}
}
