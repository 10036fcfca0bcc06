package gateway

import (
	"net/http"
	"strings"
	"testing"
)

func TestRoutingByPath(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	tok := h.deploy("balance", up, nil)
	h.start(nil)

	tests := []struct {
		name, path       string
		wantRequestURI   string
		wantPath, wantRQ string
	}{
		{"sub path and query", "/balance/x?y=1&z=%20", "/x?y=1&z=%20", "/x", "y=1&z=%20"},
		{"bare name", "/balance", "/", "/", ""},
		{"bare name with slash", "/balance/", "/", "/", ""},
		{"bare name with query", "/balance?q=1", "/?q=1", "/", "q=1"},
		{"nested", "/balance/a/b/c", "/a/b/c", "/a/b/c", ""},
		{"encoded slash kept", "/balance/a%2Fb", "/a%2Fb", "/a/b", ""},
		{"double slash kept", "/balance//x", "//x", "//x", ""},
		{"unparsable query kept", "/balance/q?a=%zz&b;c=1", "/q?a=%zz&b;c=1", "/q", "a=%zz&b;c=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.do(http.MethodGet, tt.path, tokenHeader(tok), nil)
			if resp.StatusCode != http.StatusOK || body != "ok" {
				t.Fatalf("GET %s = %d %q, want 200 \"ok\"", tt.path, resp.StatusCode, body)
			}
			got := up.LastCall(t)
			if got.RequestURI != tt.wantRequestURI || got.Path != tt.wantPath || got.RawQuery != tt.wantRQ {
				t.Errorf("GET %s: upstream saw RequestURI %q path %q query %q, want %q %q %q",
					tt.path, got.RequestURI, got.Path, got.RawQuery, tt.wantRequestURI, tt.wantPath, tt.wantRQ)
			}
		})
	}
}

func TestRoutingByHost(t *testing.T) {
	balance := newUpstream(t, defineDoc, nil)
	other := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	tok := h.deploy("balance", balance, nil)
	h.deploy("other", other, nil)
	h.start(func(o *Options) { o.Domain = "fn.test" })

	tests := []struct {
		name, host, path string
		wantURI          string
	}{
		{"host with port", "balance.fn.test:8080", "/x?y=1", "/x?y=1"},
		{"host without port", "balance.fn.test", "/", "/"},
		{"upper case host", "BALANCE.FN.TEST", "/a", "/a"},
		{"trailing dot", "balance.fn.test.", "/a", "/a"},
		// On a function's host, a path naming another function still belongs to this one.
		{"host wins over path", "balance.fn.test", "/other/x", "/other/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := tokenHeader(tok)
			hdr.Set("Host", tt.host)
			resp, body := h.do(http.MethodGet, tt.path, hdr, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s%s = %d %s, want 200", tt.host, tt.path, resp.StatusCode, body)
			}
			if got := balance.LastCall(t); got.RequestURI != tt.wantURI {
				t.Errorf("GET %s%s: upstream saw %q, want %q", tt.host, tt.path, got.RequestURI, tt.wantURI)
			}
		})
	}
	if n := len(other.Calls()); n != 0 {
		t.Errorf("other upstream received %d requests, want 0", n)
	}

	// The domain itself and foreign hosts route by path.
	for _, host := range []string{"fn.test", "example.com", "a.b.fn.test"} {
		hdr := tokenHeader(tok)
		hdr.Set("Host", host)
		resp, body := h.do(http.MethodGet, "/balance/p", hdr, nil)
		if resp.StatusCode != http.StatusOK || balance.LastCall(t).RequestURI != "/p" {
			t.Errorf("GET %s/balance/p = %d %s, want 200 routed by path", host, resp.StatusCode, body)
		}
	}

	// An unknown name on the domain is a 404, not a path lookup.
	hdr := http.Header{"Host": {"nope.fn.test"}}
	resp, body := h.do(http.MethodGet, "/balance/x", hdr, nil)
	want := `{"error":"Not Found","message":"No function named \"nope\" is deployed."}`
	if resp.StatusCode != http.StatusNotFound || body != want {
		t.Errorf("GET nope.fn.test/balance/x = %d %s, want 404 %s", resp.StatusCode, body, want)
	}
}

func TestUnknownFunction(t *testing.T) {
	h := newHarness(t)
	h.start(nil)
	tests := []struct{ path, want string }{
		{"/x", `{"error":"Not Found","message":"No function named \"x\" is deployed."}`},
		{"/x/deeper?q=1", `{"error":"Not Found","message":"No function named \"x\" is deployed."}`},
		{"/", `{"error":"Not Found","message":"Name a function in the path, as in /<function>/…, or in the host."}`},
		{"//x", `{"error":"Not Found","message":"Name a function in the path, as in /<function>/…, or in the host."}`},
		// A percent-encoded name is not a deployed name: the path is matched as sent.
		{"/%78/y", `{"error":"Not Found","message":"No function named \"%78\" is deployed."}`},
	}
	for _, tt := range tests {
		resp, body := h.do(http.MethodGet, tt.path, nil, nil)
		if resp.StatusCode != http.StatusNotFound || body != tt.want {
			t.Errorf("GET %s = %d %s, want 404 %s", tt.path, resp.StatusCode, body, tt.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type = %q, want application/json", tt.path, ct)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id on the 404", tt.path)
		}
	}
}

func TestHostFunction(t *testing.T) {
	g := &Gateway{domain: "fn.example.com"}
	tests := []struct {
		host, want string
		ok         bool
	}{
		{"balance.fn.example.com", "balance", true},
		{"balance.fn.example.com:443", "balance", true},
		{"Balance.FN.example.COM", "balance", true},
		{"fn.example.com", "", false},
		{".fn.example.com", "", false},
		{"a.b.fn.example.com", "", false},
		{"balancefn.example.com", "", false},
		{"balance.fn.example.org", "", false},
		{"[::1]:8080", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := g.hostFunction(tt.host)
		if got != tt.want || ok != tt.ok {
			t.Errorf("hostFunction(%q) = %q, %v, want %q, %v", tt.host, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/", true}, {"/a", true}, {"/a/", true}, {"/a/b", true},
		{"//a", false}, {"/a/../b", false}, {"/a/..", false}, {"/./a", false}, {"/a/.", false},
	}
	for _, tt := range tests {
		if got := canonical(tt.path); got != tt.want {
			t.Errorf("canonical(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// FuzzFirstSegment: a path's first segment is non-empty, has no '/', and is exactly what
// follows the leading '/' up to the next one.
func FuzzFirstSegment(f *testing.F) {
	for _, s := range []string{"/", "//x", "/a", "/a/", "/a/b/c", "a/b", "", "/%2F/x", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, ok := firstSegment(p)
		if !ok {
			if strings.HasPrefix(p, "/") && len(p) > 1 && p[1] != '/' {
				t.Fatalf("firstSegment(%q) found none", p)
			}
			return
		}
		if name == "" || strings.Contains(name, "/") || !strings.HasPrefix(p, "/"+name) {
			t.Fatalf("firstSegment(%q) = %q", p, name)
		}
		if rest := p[1+len(name):]; rest != "" && rest[0] != '/' {
			t.Fatalf("firstSegment(%q) = %q stops before %q", p, name, rest)
		}
	})
}
