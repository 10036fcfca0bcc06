package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
)

// TestSignatureBoundToRequest: a proxied request's X-Jelou-Signature is the v2 HMAC over
// "<t>\n<METHOD>\n<request-target>\n<X-Request-Id>\n<body>" exactly as the upstream receives
// them, computed here from the contract rather than by the auth package. So two empty-body
// requests in the same second carry different signatures, and a captured signature is no
// proof for another method, path, query, request id or body.
func TestSignatureBoundToRequest(t *testing.T) {
	const secret = "jfn_ss_bound_to_the_request"
	h := newHarness(t)
	up := newUpstream(t, appDoc, nil)
	h.deploy("shop", up, func(f *store.Function) { f.Public, f.SigningSecret = true, secret })
	h.deploy("based", up, func(f *store.Function) {
		f.Upstream, f.Public, f.SigningSecret = up.URL+"/base", true, secret
	})
	h.start(nil)

	send := func(method, path, body string) jfntest.Request {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		resp, text := h.do(method, path, nil, rd)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s = %d %s, want 200", method, path, resp.StatusCode, text)
		}
		// The request the upstream received under the id the gateway answered with (the
		// upstream also serves document fetches meanwhile).
		id := resp.Header.Get("X-Request-Id")
		for _, r := range up.Requests() {
			if id != "" && r.Header.Get("X-Request-Id") == id {
				return r
			}
		}
		t.Fatalf("%s %s: the upstream received no request with X-Request-Id %q", method, path, id)
		return jfntest.Request{}
	}

	// Two empty-body requests within one second: before signatures were bound to the
	// request, both carried the same value.
	var a, b jfntest.Request
	for i := 0; i < 5; i++ {
		a, b = send("GET", "/shop/a", ""), send("GET", "/shop/b", "")
		if tsOf(t, a) == tsOf(t, b) {
			break
		}
	}
	if ha, hb := a.Header.Get(auth.SignatureHeader), b.Header.Get(auth.SignatureHeader); ha == hb {
		t.Errorf("GET /shop/a and GET /shop/b in the same second both carry X-Jelou-Signature %q, want different values", ha)
	}

	tests := []struct {
		method, path, body string
		wantTarget         string // the request-target the upstream receives
	}{
		{"GET", "/shop/a", "", "/a"},
		{"GET", "/shop/products?b=2&a=1&a=%20&x", "", "/products?b=2&a=1&a=%20&x"},
		{"POST", "/shop/orders?id=7", `{"amount":12.5,"note":"ñandú"}`, "/orders?id=7"},
		{"DELETE", "/shop/a%2Fb/c%41?q=%2F", "", "/a%2Fb/c%41?q=%2F"},
		{"GET", "/based/items?x=1", "", "/base/items?x=1"},
		{"PUT", "/based/a%2Fb", "payload", "/base/a%2Fb"},
		{"GET", "/based", "", "/base/"},
	}
	for _, tt := range tests {
		r := send(tt.method, tt.path, tt.body)
		name := tt.method + " " + tt.path
		if r.RequestURI != tt.wantTarget {
			t.Errorf("%s: upstream request-target %q, want %q", name, r.RequestURI, tt.wantTarget)
		}
		header := r.Header.Get(auth.SignatureHeader)
		ts, v2, v1 := signatureFields(header)
		id := r.Header.Get("X-Request-Id")
		if id == "" {
			t.Errorf("%s: the upstream got no X-Request-Id", name)
		}
		if len(v1) != 0 {
			t.Errorf("%s: X-Jelou-Signature %q carries v1 values; want them only with --signature-compat v1", name, header)
		}
		want := contractV2(secret, ts, r.Method, r.RequestURI, id, string(r.Body))
		if len(v2) != 1 || v2[0] != want {
			t.Errorf("%s: X-Jelou-Signature %q, want t=%s,v2=%s (over %q %q %q and the body)", name, header, ts, want, r.Method, r.RequestURI, id)
		}
		// The same header is no proof for any other request.
		for what, other := range map[string]string{
			"method":     contractV2(secret, ts, otherMethod(r.Method), r.RequestURI, id, string(r.Body)),
			"path":       contractV2(secret, ts, r.Method, "/other"+r.RequestURI, id, string(r.Body)),
			"query":      contractV2(secret, ts, r.Method, strings.SplitN(r.RequestURI, "?", 2)[0]+"?admin=1", id, string(r.Body)),
			"request id": contractV2(secret, ts, r.Method, r.RequestURI, id+"0", string(r.Body)),
			"body":       contractV2(secret, ts, r.Method, r.RequestURI, id, string(r.Body)+" "),
		} {
			for _, got := range v2 {
				if got == other {
					t.Errorf("%s: its signature also matches another %s", name, what)
				}
			}
		}
	}
}

// contractV2 is the v2 value the contract defines, in hex.
func contractV2(secret, ts, method, target, requestID, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, ts+"\n"+method+"\n"+target+"\n"+requestID+"\n"+body)
	return hex.EncodeToString(m.Sum(nil))
}

func otherMethod(m string) string {
	if m == "GET" {
		return "POST"
	}
	return "GET"
}

// signatureFields splits an X-Jelou-Signature value into its t and its v2 and v1 values.
func signatureFields(header string) (ts string, v2, v1 []string) {
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v2":
			v2 = append(v2, v)
		case "v1":
			v1 = append(v1, v)
		}
	}
	return ts, v2, v1
}

func tsOf(t *testing.T, r jfntest.Request) string {
	t.Helper()
	ts, _, _ := signatureFields(r.Header.Get(auth.SignatureHeader))
	if ts == "" {
		t.Fatalf("%s %s: no X-Jelou-Signature timestamp in %q", r.Method, r.RequestURI, r.Header.Get(auth.SignatureHeader))
	}
	return ts
}

// TestSignatureCompatV1: with SignatureCompatV1 (--signature-compat v1) the header carries
// the v2 values first and then the legacy body-only v1 values, one per secret, so functions
// not yet upgraded keep verifying while upgraded ones check v2.
func TestSignatureCompatV1(t *testing.T) {
	const secret = "jfn_ss_compat"
	h := newHarness(t)
	up := newUpstream(t, appDoc, nil)
	h.deploy("shop", up, func(f *store.Function) { f.Public, f.SigningSecret = true, secret })
	h.start(func(o *Options) { o.SignatureCompatV1 = true })

	body := `{"n":1}`
	if resp, text := h.do("POST", "/shop/orders?id=1", nil, strings.NewReader(body)); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /shop/orders = %d %s, want 200", resp.StatusCode, text)
	}
	r := up.LastCall(t)
	header := r.Header.Get(auth.SignatureHeader)
	ts, v2, v1 := signatureFields(header)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, ts+"."+body)
	wantV1 := hex.EncodeToString(mac.Sum(nil))
	wantV2 := contractV2(secret, ts, "POST", "/orders?id=1", r.Header.Get("X-Request-Id"), body)
	if want := "t=" + ts + ",v2=" + wantV2 + ",v1=" + wantV1; header != want || len(v2) != 1 || len(v1) != 1 {
		t.Errorf("X-Jelou-Signature = %q, want %q (v2 first, then v1)", header, want)
	}
	if err := auth.VerifySignature(secret, r.HTTPRequest(), r.Body, 0); err != nil {
		t.Errorf("VerifySignature(v2 and v1) = %v, want nil", err)
	}
}
