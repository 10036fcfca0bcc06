package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
)

// countRenders counts the documents /openapi.json renders until the test ends.
func countRenders(t *testing.T) *atomic.Int64 {
	var n atomic.Int64
	prev := publishAPISpec
	publishAPISpec = func(raw []byte, server string, public bool) ([]byte, error) {
		n.Add(1)
		return prev(raw, server, public)
	}
	t.Cleanup(func() { publishAPISpec = prev })
	return &n
}

// TestOpenAPIIgnoresUnknownHost: without a public URL, /openapi.json names the Host the
// client used only when that Host is the gateway's own (loopback, <name>.<domain>); any other
// Host gets a relative server, rendered once, so that cycling Host values neither puts a
// forged name in the document nor renders it again and again.
func TestOpenAPIIgnoresUnknownHost(t *testing.T) {
	renders := countRenders(t)
	app := newUpstream(t, appDoc, nil)
	h := newHarness(t)
	h.deploy("shop", app, nil)
	h.start(func(o *Options) { o.PublicURL, o.Domain = "", "fn.test" })

	server := func(path, host string) string {
		t.Helper()
		resp, body := h.do(http.MethodGet, path, http.Header{"Host": {host}}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s (Host %s) = %d %s, want 200", path, host, resp.StatusCode, body)
		}
		var d struct {
			Servers []struct{ URL string } `json:"servers"`
		}
		if err := json.Unmarshal([]byte(body), &d); err != nil || len(d.Servers) != 1 {
			t.Fatalf("GET %s (Host %s): servers of %.200s: %v", path, host, body, err)
		}
		return d.Servers[0].URL
	}

	for _, tt := range []struct{ path, host, want string }{
		{"/shop/openapi.json", "evil.example", "/shop"},
		{"/shop/openapi.json", "evil.example:8080", "/shop"},
		{"/shop/openapi.json", "shop.fn.test.evil.example", "/shop"},
		{"/shop/openapi.json", "127.0.0.1:8080", "http://127.0.0.1:8080/shop"},
		{"/shop/openapi.json", "127.9.9.9", "http://127.9.9.9/shop"},
		{"/shop/openapi.json", "[::1]:8080", "http://[::1]:8080/shop"},
		{"/shop/openapi.json", "localhost:8080", "http://localhost:8080/shop"},
		{"/openapi.json", "shop.fn.test:8443", "http://shop.fn.test:8443"},
	} {
		if got := server(tt.path, tt.host); got != tt.want {
			t.Errorf("GET %s (Host %s): servers = %q, want %q", tt.path, tt.host, got, tt.want)
		}
	}

	// 100 foreign names cost at most one more render (the relative document is cached).
	before := renders.Load()
	named := 0
	for i := range 100 {
		if server("/shop/openapi.json", fmt.Sprintf("h%d.attacker.example", i)) != "/shop" {
			named++
		}
	}
	if named > 0 {
		t.Errorf("%d of 100 unknown Hosts were named in servers, want none", named)
	}
	if n := renders.Load() - before; n > 1 {
		t.Errorf("100 unknown Hosts caused %d renders, want at most 1", n)
	}

	// Cycling the port of our own names is bounded too: past the cache, the relative document.
	before = renders.Load()
	for i := range 100 {
		server("/shop/openapi.json", fmt.Sprintf("127.0.0.1:%d", 10000+i))
		server("/openapi.json", fmt.Sprintf("shop.fn.test:%d", 10000+i))
	}
	if n := renders.Load() - before; n > maxPublished+2 {
		t.Errorf("200 own Hosts with cycling ports caused %d renders, want at most %d", n, maxPublished+2)
	}
	if got := server("/openapi.json", "shop.fn.test:20000"); got != "/" {
		t.Errorf("GET /openapi.json (Host shop.fn.test:20000) with a full cache: servers = %q, want /", got)
	}
}
