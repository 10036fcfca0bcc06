package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jfnhq/jfn/internal/origin"
)

// FuzzRedactPath checks that no runtime-token marker survives redaction.
func FuzzRedactPath(f *testing.F) {
	for _, s := range []string{"/a/b", "/jfn_rt_abc/x", "jfn_jfn_rt_rt_x", "/x/jfn_rt_", "jfn_rt_jfn_rt_a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := redactPath(p)
		if strings.Contains(got, "jfn_rt_") {
			t.Errorf("redactPath(%q) = %q, still holds a token marker", p, got)
		}
		if !strings.Contains(p, "jfn_rt_") && got != p {
			t.Errorf("redactPath(%q) = %q, changed a path without a token", p, got)
		}
	})
}

// FuzzRequestID checks that the id the gateway uses is always well formed, and is the
// caller's exactly when the caller's is.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a b", strings.Repeat("x", 129), "0b7c6c1e-3c5f-4c1b-9c6b-3f1f0b8f7d2a", "\x00", "jfn_rt_abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sent string) {
		got := requestID(http.Header{"X-Request-Id": {sent}})
		if !validRequestID(got) || strings.Contains(got, "jfn_rt_") {
			t.Errorf("requestID(%q) = %q, not well formed or holds a token marker", sent, got)
		}
		if validRequestID(sent) != (got == sent) {
			t.Errorf("requestID(%q) = %q; valid %v", sent, got, validRequestID(sent))
		}
	})
}

// FuzzHostFunction checks that a host is routed to a function only when it is exactly
// <label>.<domain>, whatever the case and port.
func FuzzHostFunction(f *testing.F) {
	for _, s := range []string{"a.fn.test", "a.fn.test:80", "A.FN.TEST.", "fn.test", "a.b.fn.test", "[::1]:80", ".fn.test"} {
		f.Add(s)
	}
	g := &Gateway{domain: "fn.test"}
	f.Fuzz(func(t *testing.T, host string) {
		name, ok := g.hostFunction(host)
		if !ok {
			return
		}
		if name == "" || strings.ContainsAny(name, ".:") || name != strings.ToLower(name) {
			t.Errorf("hostFunction(%q) = %q, want a lower-case label", host, name)
		}
		if !strings.HasPrefix(strings.ToLower(host), name+".fn.test") {
			t.Errorf("hostFunction(%q) = %q, not the host's first label", host, name)
		}
	})
}

// FuzzPreflight checks the gateway's answer to any CORS preflight: always a 204 that reaches
// no upstream, Access-Control-Allow-Origin only for a listed origin and then exactly it, and
// an Access-Control-Allow-Headers of bounded size made of header-name characters only (the
// browser's Access-Control-Request-Headers is echoed only when it is a clean list).
func FuzzPreflight(f *testing.F) {
	for _, s := range [][2]string{
		{"https://app.example.com", "content-type, x-jelou-token"},
		{"https://APP.example.com:443", ""},
		{"https://evil.example", "x\r\nSet-Cookie: a=b"},
		{"null", strings.Repeat("a,", 600)},
		{"https://app.example.com/", "a\x00b"},
	} {
		f.Add(s[0], s[1])
	}
	p := newCORSPolicy([]string{"https://app.example.com", "http://127.0.0.1:3000"})
	f.Fuzz(func(t *testing.T, from, requested string) {
		r, _ := http.NewRequest(http.MethodOptions, "http://gw/fn/x", nil)
		r.Header["Origin"] = []string{from}
		r.Header["Access-Control-Request-Method"] = []string{"POST"}
		r.Header["Access-Control-Request-Headers"] = []string{requested}
		w := httptest.NewRecorder()
		servePreflight(w, r, p)
		if w.Code != http.StatusNoContent {
			t.Fatalf("preflight from %q = %d, want 204", from, w.Code)
		}
		acao := w.Header().Get("Access-Control-Allow-Origin")
		n, listed := origin.Normalize(from)
		listed = listed && (n == "https://app.example.com" || n == "http://127.0.0.1:3000")
		if (acao != "") != listed || (listed && acao != from) {
			t.Fatalf("preflight from %q: Access-Control-Allow-Origin = %q (listed: %v)", from, acao, listed)
		}
		ah := w.Header().Get("Access-Control-Allow-Headers")
		if len(ah) > len(corsBaseHeaders)+2+maxRequestHeaders {
			t.Fatalf("Access-Control-Allow-Headers is %d bytes for a %d-byte request", len(ah), len(requested))
		}
		for i := 0; i < len(ah); i++ {
			if c := ah[i]; c != ',' && c != ' ' && !isTokenChar(c) {
				t.Fatalf("Access-Control-Allow-Headers %q holds %q", ah, c)
			}
		}
	})
}

// FuzzDotSegment checks hasDotSegment against its definition: some segment between '/' or
// '\' separators, read up to a ';' or a NUL, is "." or "..".
func FuzzDotSegment(f *testing.F) {
	for _, s := range []string{"/a/../b", "/..", "/a\\..\\b", "/a/.b", "/.../x", "", "/./", "/..;/x", "/.;a/", "/..\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		want := false
		for _, seg := range strings.FieldsFunc("/"+p+"/", func(r rune) bool { return r == '/' || r == '\\' }) {
			seg, _, _ = strings.Cut(seg, ";")
			seg, _, _ = strings.Cut(seg, "\x00")
			want = want || seg == "." || seg == ".."
		}
		if got := hasDotSegment(p); got != want {
			t.Fatalf("hasDotSegment(%q) = %v, want %v", p, got, want)
		}
	})
}
