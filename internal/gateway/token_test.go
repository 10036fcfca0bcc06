package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
)

func TestTokenRule(t *testing.T) {
	up := newUpstream(t, appDoc, nil)
	other := newUpstream(t, appDoc, nil)
	h := newHarness(t)
	tok := h.deploy("shop", up, nil)
	otherTok := h.deploy("other", other, nil)
	expired, _ := h.store.addToken(t, "shop", time.Now().Add(-time.Minute))
	revoked, revokedID := h.store.addToken(t, "shop", time.Time{})
	if _, err := h.store.RevokeToken(context.Background(), "shop", revokedID); err != nil {
		t.Fatalf("RevokeToken = %v", err)
	}
	unknown, _ := auth.New()
	h.start(nil)

	tests := []struct {
		name   string
		path   string
		header http.Header
	}{
		{"missing", "/shop/products", nil},
		{"empty", "/shop/products", http.Header{"X-Jelou-Token": {""}}},
		{"malformed", "/shop/products", tokenHeader("jfn_rt_nope")},
		{"bad checksum", "/shop/products", tokenHeader(tok[:len(tok)-1] + flip(tok[len(tok)-1]))},
		{"unknown", "/shop/products", tokenHeader(unknown)},
		{"revoked", "/shop/products", tokenHeader(revoked)},
		{"expired", "/shop/products", tokenHeader(expired)},
		{"query string only", "/shop/products?X-Jelou-Token=" + tok + "&token=" + tok, nil},
		{"bearer only", "/shop/products", http.Header{"Authorization": {"Bearer " + tok}}},
		{"5 KB header", "/shop/products", tokenHeader(tok + strings.Repeat("a", 5<<10))},
		{"token of another function", "/shop/products", tokenHeader(otherTok)},
		{"two token headers", "/shop/products", http.Header{"X-Jelou-Token": {tok, tok}}},
		{"token with spaces", "/shop/products", tokenHeader(" " + tok + " x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(up.Calls())
			resp, body := h.do(http.MethodGet, tt.path, tt.header, nil)
			if resp.StatusCode != http.StatusUnauthorized || body != auth.UnauthorizedBody {
				t.Errorf("GET %s = %d %s, want 401 %s", tt.path, resp.StatusCode, body, auth.UnauthorizedBody)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("GET %s: Content-Type = %q, want application/json", tt.path, ct)
			}
			if n := len(up.Calls()); n != before {
				t.Errorf("GET %s: upstream received the refused request", tt.path)
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		resp, body := h.do(http.MethodGet, "/shop/products", tokenHeader(tok), nil)
		if resp.StatusCode != http.StatusOK || body != "ok" {
			t.Errorf("GET /shop/products with token = %d %s, want 200 ok", resp.StatusCode, body)
		}
	})
	t.Run("OPTIONS without token", func(t *testing.T) {
		before := len(up.Calls())
		hdr := http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}}
		resp, _ := h.do(http.MethodOptions, "/shop/products", hdr, nil)
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("preflight OPTIONS /shop/products = %d, want 204 from the gateway", resp.StatusCode)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from an unlisted origin: Access-Control-Allow-Origin = %q, want none", resp.Header.Get("Access-Control-Allow-Origin"))
		}
		resp, body := h.do(http.MethodOptions, "/shop/products", nil, nil)
		if resp.StatusCode != http.StatusUnauthorized || body != auth.UnauthorizedBody {
			t.Errorf("plain OPTIONS /shop/products without token = %d %s, want the 401", resp.StatusCode, body)
		}
		if n := len(up.Calls()); n != before {
			t.Errorf("upstream received %d tokenless OPTIONS requests, want none", n-before)
		}
	})
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func TestPublicFunction(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	tok := h.deploy("open", up, func(f *store.Function) { f.Public = true })
	h.start(nil)

	resp, body := h.do(http.MethodPost, "/open/anything?x=1", nil, strings.NewReader("{}"))
	if resp.StatusCode != http.StatusOK || body != "ok" {
		t.Fatalf("POST /open/anything without token = %d %s, want 200", resp.StatusCode, body)
	}
	// A token sent to a public function is still never forwarded, nor its id.
	hdr := tokenHeader(tok)
	hdr.Set("X-Jelou-Token-Id", "spoofed")
	h.do(http.MethodGet, "/open/x", hdr, nil)
	got := up.LastCall(t)
	if got.Header.Get("X-Jelou-Token") != "" || got.Header.Get("X-Jelou-Token-Id") != "" {
		t.Errorf("upstream saw X-Jelou-Token %q, X-Jelou-Token-Id %q; want neither",
			got.Header.Get("X-Jelou-Token"), got.Header.Get("X-Jelou-Token-Id"))
	}
}

func TestPublicOperation(t *testing.T) {
	up := newUpstream(t, appDoc, nil)
	h := newHarness(t)
	tok := h.deploy("shop", up, nil)
	h.start(nil)

	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/shop/hooks/github", http.StatusOK},
		{http.MethodPost, "/shop/hooks/github?x=1", http.StatusOK},
		{http.MethodGet, "/shop/hooks/github", http.StatusUnauthorized}, // same path, protected method
		{http.MethodGet, "/shop/products", http.StatusUnauthorized},
		{http.MethodPost, "/shop/hooks", http.StatusUnauthorized},
		{http.MethodPost, "/shop/hooks/a/b", http.StatusUnauthorized},
		// Paths the upstream could normalise into another operation never borrow the exemption.
		{http.MethodPost, "/shop/hooks/..", http.StatusUnauthorized},
		{http.MethodPost, "/shop/hooks/%2e%2e", http.StatusUnauthorized},
		{http.MethodPost, "/shop/hooks/a%2Fb", http.StatusUnauthorized},
		{http.MethodPost, "/shop//hooks/x", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		resp, body := h.do(tt.method, tt.path, nil, strings.NewReader(`{"event":"push"}`))
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s without token = %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.want)
		}
	}
	// A public call carries no token id upstream.
	h.do(http.MethodPost, "/shop/hooks/github", nil, strings.NewReader("{}"))
	if got := up.LastCall(t); got.Header.Get("X-Jelou-Token-Id") != "" || got.Header.Get("X-Jelou-Trigger") != "http" {
		t.Errorf("public call: upstream saw token id %q trigger %q, want none and http",
			got.Header.Get("X-Jelou-Token-Id"), got.Header.Get("X-Jelou-Trigger"))
	}
	// With a token, the protected operation works.
	if resp, body := h.do(http.MethodGet, "/shop/hooks/github", tokenHeader(tok), nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /shop/hooks/github with token = %d %s, want 200", resp.StatusCode, body)
	}
}
