package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
)

// TestProxySignsAndRotates runs the gateway on the real SQLite store: proxied calls carry an
// X-Jelou-Signature that VerifySignature accepts with the function's secret (over the exact
// body, and over the empty body of a GET), a signature sent by the client never reaches the
// upstream, and after RotateSecret both secrets verify during the grace period and only the
// new one after it.
func TestProxySignsAndRotates(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	up := newUpstream(t, appDoc, nil)
	if _, err := st.PutFunction(ctx, store.Function{Name: "shop", Upstream: up.URL, Public: true}); err != nil {
		t.Fatal(err)
	}
	fn, err := st.GetFunction(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	logs := &jfntest.SyncBuffer{}
	gw, err := New(ctx, &Options{Store: st, Logger: zerolog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- gw.Run(runCtx) }()
	defer func() { stop(); <-done }()

	verify := func(what, secret string, r jfntest.Request) error {
		t.Helper()
		return auth.VerifySignature(secret, r.HTTPRequest(), r.Body, 0)
	}
	body := `{"amount":12.5,"note":"ñandú"}`
	hdr := http.Header{auth.SignatureHeader: {"t=1,v2=" + strings.Repeat("ab", 32) + ",v1=" + strings.Repeat("ab", 32)}, "Content-Type": {"application/json"}}
	if resp, _ := doRequest(t, srv, "POST", "/shop/products?x=1", hdr, strings.NewReader(body)); resp.StatusCode != 200 {
		t.Fatalf("POST /shop/products = %d, want 200", resp.StatusCode)
	}
	got := up.LastCall(t)
	if string(got.Body) != body {
		t.Errorf("upstream body = %q, want %q byte for byte", got.Body, body)
	}
	if err := verify("POST", fn.SigningSecret, got); err != nil {
		t.Errorf("VerifySignature(proxied POST) = %v, want nil", err)
	}
	if h := got.Header.Get(auth.SignatureHeader); strings.Count(h, "v2=") != 1 || strings.Contains(h, "v1=") {
		t.Errorf("signature %q: want exactly one v2 and no v1 (the client's is dropped)", h)
	}
	if err := verify("POST", "jfn_ss_wrong", got); !errors.Is(err, auth.ErrSignatureMismatch) {
		t.Errorf("VerifySignature(wrong secret) = %v, want ErrSignatureMismatch", err)
	}
	tampered := got
	tampered.Body = []byte(strings.Replace(body, "12.5", "99", 1))
	if err := verify("POST", fn.SigningSecret, tampered); !errors.Is(err, auth.ErrSignatureMismatch) {
		t.Errorf("VerifySignature(tampered body) = %v, want ErrSignatureMismatch", err)
	}
	if resp, _ := doRequest(t, srv, "GET", "/shop/products", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("GET /shop/products = %d, want 200", resp.StatusCode)
	}
	if got := up.LastCall(t); len(got.Body) != 0 || verify("GET", fn.SigningSecret, got) != nil {
		t.Errorf("GET: body %q, VerifySignature = %v; want an empty body that verifies", got.Body, verify("GET", fn.SigningSecret, got))
	}

	// Rotation with a grace period: both secrets verify until it ends.
	grace := 2 * time.Second
	rotated, err := st.RotateSecret(ctx, "shop", grace)
	if err != nil {
		t.Fatal(err)
	}
	var during jfntest.Request
	jfntest.Eventually(t, 2*time.Second, "the gateway signs with the new secret", func() bool {
		doRequest(t, srv, "POST", "/shop/products", nil, strings.NewReader(body))
		during = up.LastCall(t)
		return verify("POST", rotated.SigningSecret, during) == nil
	})
	if n := strings.Count(during.Header.Get(auth.SignatureHeader), "v2="); n != 2 {
		t.Errorf("signature during the grace period has %d v2 values, want 2", n)
	}
	if err := verify("POST", fn.SigningSecret, during); err != nil {
		t.Errorf("VerifySignature(old secret, during grace) = %v, want nil", err)
	}
	time.Sleep(time.Until(rotated.PreviousSecrets[0].ExpiresAt) + 50*time.Millisecond)
	doRequest(t, srv, "POST", "/shop/products", nil, strings.NewReader(body))
	after := up.LastCall(t)
	if err := verify("POST", rotated.SigningSecret, after); err != nil {
		t.Errorf("VerifySignature(new secret, after grace) = %v, want nil", err)
	}
	if err := verify("POST", fn.SigningSecret, after); !errors.Is(err, auth.ErrSignatureMismatch) {
		t.Errorf("VerifySignature(old secret, after grace) = %v, want ErrSignatureMismatch", err)
	}

	// Sign (the MCP bridge's signer) uses the current secrets too.
	req, err := http.NewRequest("POST", "http://up/base/x%2Fy?q=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-Id", "req-1")
	gw.Sign("shop", req, []byte(body))
	m := auth.Message{Method: "POST", Target: "/base/x%2Fy?q=1", RequestID: "req-1", Body: []byte(body)}
	if err := auth.VerifyMessage(rotated.SigningSecret, req.Header.Get(auth.SignatureHeader), m, nil); err != nil {
		t.Errorf("VerifyMessage(Sign, %+v) = %v, want nil", m, err)
	}
	for _, s := range []string{fn.SigningSecret, rotated.SigningSecret} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log contains a signing secret")
		}
	}
}

// TestProxySignsWithEveryPreviousSecret: rotating twice within the first grace period
// keeps the first secret, so a function that still holds it keeps verifying calls until its
// own grace period ends, even after the second one's has.
func TestProxySignsWithEveryPreviousSecret(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "jfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	up := newUpstream(t, appDoc, nil)
	if _, err := st.PutFunction(ctx, store.Function{Name: "shop", Upstream: up.URL, Public: true}); err != nil {
		t.Fatal(err)
	}
	first, err := st.GetFunction(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(ctx, &Options{Store: st, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- gw.Run(runCtx) }()
	defer func() { stop(); <-done }()

	second, err := st.RotateSecret(ctx, "shop", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	third, err := st.RotateSecret(ctx, "shop", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	call := func() jfntest.Request {
		t.Helper()
		if resp, _ := doRequest(t, srv, "POST", "/shop/products", nil, strings.NewReader(`{}`)); resp.StatusCode != 200 {
			t.Fatalf("POST /shop/products = %d, want 200", resp.StatusCode)
		}
		return up.LastCall(t)
	}
	verifies := func(secret string, r jfntest.Request) bool {
		return auth.VerifySignature(secret, r.HTTPRequest(), r.Body, 0) == nil
	}
	var r jfntest.Request
	jfntest.Eventually(t, 2*time.Second, "the gateway signs with the newest secret", func() bool {
		r = call()
		return verifies(third.SigningSecret, r)
	})
	if !verifies(second.SigningSecret, r) || !verifies(first.SigningSecret, r) {
		t.Errorf("after two rotations: the second secret verifies %v, the first %v; want both during their grace periods",
			verifies(second.SigningSecret, r), verifies(first.SigningSecret, r))
	}
	firstEnds, secondEnds := second.PreviousSecrets[0].ExpiresAt, third.PreviousSecrets[0].ExpiresAt
	time.Sleep(time.Until(secondEnds) + 50*time.Millisecond)
	r = call()
	if !verifies(third.SigningSecret, r) || verifies(second.SigningSecret, r) || !verifies(first.SigningSecret, r) {
		t.Errorf("after the second secret's grace: third %v, second %v, first %v; want true, false, true",
			verifies(third.SigningSecret, r), verifies(second.SigningSecret, r), verifies(first.SigningSecret, r))
	}
	time.Sleep(time.Until(firstEnds) + 50*time.Millisecond)
	r = call()
	if !verifies(third.SigningSecret, r) || verifies(first.SigningSecret, r) {
		t.Errorf("after the first secret's grace: third %v, first %v; want true, false",
			verifies(third.SigningSecret, r), verifies(first.SigningSecret, r))
	}
}
