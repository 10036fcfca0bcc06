package gateway

import (
	"net/http"
	"strings"
	"testing"
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
	for _, s := range []string{"", "abc", "a b", strings.Repeat("x", 129), "0b7c6c1e-3c5f-4c1b-9c6b-3f1f0b8f7d2a", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sent string) {
		got := requestID(http.Header{"X-Request-Id": {sent}})
		if !validRequestID(got) {
			t.Errorf("requestID(%q) = %q, not well formed", sent, got)
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
