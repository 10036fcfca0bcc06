package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/rs/zerolog"
)

// TestEndToEndSQLite runs the gateway on the real SQLite store while a second handle on the
// same file plays the CLI: deploys, token creation and revocation made there take effect on
// the running server within a second, and last use is written back.
func TestEndToEndSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jfn.db")
	serverStore, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("OpenSQLite(%q) = %v", path, err)
	}
	defer serverStore.Close()
	cli, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("OpenSQLite(%q) second handle = %v", path, err)
	}
	defer cli.Close()

	shop := newUpstream(t, appDoc, nil)
	newToken := func(function string, expires time.Time) (secret, id string) {
		t.Helper()
		secret, err := auth.New()
		if err != nil {
			t.Fatal(err)
		}
		id = "t" + strings.ToLower(secret[7:19])
		err = cli.CreateToken(ctx, store.Token{ID: id, Function: function, Name: id, Hash: auth.Hash(secret),
			Prefix: auth.DisplayPrefix(secret), ExpiresAt: expires})
		if err != nil {
			t.Fatalf("CreateToken(%q) = %v", function, err)
		}
		return secret, id
	}
	if _, err := cli.PutFunction(ctx, store.Function{Name: "shop", Upstream: shop.URL, MCP: true}); err != nil {
		t.Fatal(err)
	}
	tok, tokID := newToken("shop", time.Time{})
	expired, _ := newToken("shop", time.Now().Add(-time.Hour))

	logs := &jfntest.SyncBuffer{}
	srv := httptest.NewUnstartedServer(nil)
	gw, err := New(ctx, &Options{Store: serverStore, Logger: zerolog.New(logs), PublicURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	srv.Config.Handler = gw.Handler()
	srv.Start()
	defer srv.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- gw.Run(runCtx) }()

	do := func(method, path, token string) (int, string) {
		t.Helper()
		hdr := http.Header{}
		if token != "" {
			hdr.Set(auth.Header, token)
		}
		resp, body := doRequest(t, srv, method, path, hdr, nil)
		return resp.StatusCode, body
	}
	within := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		jfntest.Eventually(t, time.Second, what, cond)
		t.Logf("%s after %s", what, time.Since(start).Round(time.Millisecond))
	}

	if code, body := do("GET", "/shop/products", ""); code != 401 || body != auth.UnauthorizedBody {
		t.Errorf("no token = %d %s, want 401", code, body)
	}
	if code, _ := do("GET", "/shop/products", tok); code != 200 {
		t.Errorf("valid token = %d, want 200", code)
	}
	if code, _ := do("GET", "/shop/products", expired); code != 401 {
		t.Errorf("expired token = %d, want 401", code)
	}
	if got := shop.LastCall(t); got.Header.Get(auth.Header) != "" || got.Header.Get("X-Jelou-Token-Id") != tokID {
		t.Errorf("upstream saw token %q id %q, want none and %q", got.Header.Get(auth.Header), got.Header.Get("X-Jelou-Token-Id"), tokID)
	}
	if code, body := do("GET", "/shop/__health", ""); code != 200 || !strings.Contains(body, `"mode":"app"`) {
		t.Errorf("/__health = %d %s, want 200 app", code, body)
	}
	if code, body := do("GET", "/shop/openapi.json", ""); code != 200 || !strings.Contains(body, "jelouToken") {
		t.Errorf("/openapi.json = %d %s, want 200 with jelouToken", code, body)
	}
	if code, _ := do("POST", "/shop/hooks/x", ""); code != 200 {
		t.Errorf("public operation = %d, want 200", code)
	}

	// Created through the other handle: works within a second.
	fresh, freshID := newToken("shop", time.Time{})
	within("created token accepted", func() bool { code, _ := do("GET", "/shop/products", fresh); return code == 200 })
	// Revoked through the other handle: refused within a second; the first token still works.
	if _, err := cli.RevokeToken(ctx, "shop", freshID); err != nil {
		t.Fatal(err)
	}
	within("revoked token refused", func() bool { code, _ := do("GET", "/shop/products", fresh); return code == 401 })
	if code, _ := do("GET", "/shop/products", tok); code != 200 {
		t.Errorf("unrevoked token after a revocation = %d, want 200", code)
	}

	// A function deployed public through the other handle.
	open := newUpstream(t, defineDoc, nil)
	if _, err := cli.PutFunction(ctx, store.Function{Name: "open", Upstream: open.URL, Public: true}); err != nil {
		t.Fatal(err)
	}
	within("public function routed", func() bool { code, _ := do("POST", "/open/", ""); return code == 200 })
	// /readyz below needs every function's document loaded once; on a busy machine the new
	// function's first fetch may still be under way, so wait for it (not timed: no contract).
	jfntest.Eventually(t, 10*time.Second, "public function's document loaded", func() bool {
		code, _ := do("GET", "/open/__health", "")
		return code == 200
	})

	// Shutdown flushes last use to the file.
	stop()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
	toks, err := cli.ListTokens(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if tk.ID == tokID && (tk.LastUsedAt.IsZero() || time.Since(tk.LastUsedAt) > time.Minute) {
			t.Errorf("token %s last used %v after shutdown, want about now", tk.ID, tk.LastUsedAt)
		}
	}
	if strings.Contains(logs.String(), tok) || strings.Contains(logs.String(), fresh) {
		t.Errorf("log contains a token")
	}

	// Readiness follows the store.
	admin := gw.AdminHandler()
	rec := httptest.NewRecorder()
	admin.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("/readyz with the store open = %d, want 200", rec.Code)
	}
	serverStore.Close()
	rec = httptest.NewRecorder()
	admin.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Errorf("/readyz with the store closed = %d %s, want 503", rec.Code, rec.Body)
	}
}
