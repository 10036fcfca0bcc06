package service

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
)

func TestCheckTokenName(t *testing.T) {
	for _, tt := range []struct {
		name string
		want error
	}{
		{"production", nil},
		{"", ErrTokenNameEmpty},
		{strings.Repeat("é", 65), ErrTokenNameTooLong},
		{"a\tb", ErrTokenNameNotPrint},
	} {
		if err := CheckTokenName(tt.name); !errors.Is(err, tt.want) {
			t.Errorf("CheckTokenName(%q) = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestDeployAndTokens(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Deploy(ctx, st, DeployParams{Name: "shop"}); !errors.Is(err, ErrUpstreamRequired) {
		t.Fatalf("Deploy without an upstream = %v, want ErrUpstreamRequired", err)
	}
	res, err := Deploy(ctx, st, DeployParams{Name: "shop", Upstream: "http://127.0.0.1:1/"})
	if err != nil || !res.Created || res.Function.Upstream != "http://127.0.0.1:1" || res.Function.Timeout != store.DefaultTimeout {
		t.Fatalf("Deploy = %+v, %v: want a new function with the default timeout", res, err)
	}
	if auth.Check(res.Token) != nil {
		t.Fatalf("Deploy token %q is not a runtime token", res.Token[:10])
	}
	if res, err = Deploy(ctx, st, DeployParams{Name: "shop"}); err != nil || res.Created || res.Token != "" {
		t.Fatalf("second Deploy = %+v, %v: want an update without a token", res, err)
	}
	secret, tok, err := CreateToken(ctx, st, "shop", "ci", 0)
	if err != nil || auth.Hash(secret) != tok.Hash {
		t.Fatalf("CreateToken = %v: want a token whose hash is stored", err)
	}
	if _, _, err := CreateToken(ctx, st, "shop", "ci", 0); err == nil || !strings.Contains(err.Error(), "already has a token named") {
		t.Fatalf("CreateToken with a name in use = %v, want an error naming it", err)
	}
	if _, _, err := CreateToken(ctx, st, "nope", "ci", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CreateToken for an unknown function = %v, want store.ErrNotFound", err)
	}
	if err := RevokeToken(ctx, st, "shop", tok.ID); err != nil {
		t.Fatalf("RevokeToken = %v", err)
	}
	if err := RevokeToken(ctx, st, "shop", tok.ID); !errors.Is(err, ErrNoToken) {
		t.Fatalf("RevokeToken twice = %v, want ErrNoToken", err)
	}
	if _, err := FindToken(ctx, st, "shop", tok.ID); !errors.Is(err, ErrNoToken) {
		t.Fatalf("FindToken of a revoked token = %v, want ErrNoToken", err)
	}
}
