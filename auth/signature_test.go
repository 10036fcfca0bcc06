package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestVerifyMessage(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := Message{Method: "POST", Target: "/orders?id=7", RequestID: "req-1", Body: []byte(`{"order_id":"ord-1","status":"paid"}`)}
	with := func(f func(*Message)) Message {
		c := m
		f(&c)
		return c
	}
	good := Sign(now, m, "s3cret")
	legacy := withoutV2(SignWithV1(now, m, "s3cret"))
	tests := []struct {
		name     string
		secret   string
		header   string
		m        Message
		at       time.Time
		acceptV1 bool
		wantErr  error
	}{
		{"valid", "s3cret", good, m, now, false, nil},
		{"valid within tolerance", "s3cret", good, m, now.Add(4 * time.Minute), false, nil},
		{"tampered body", "s3cret", good, with(func(c *Message) { c.Body = []byte(`{"order_id":"ord-1","status":"PAID"}`) }), now, false, ErrSignatureMismatch},
		{"other method", "s3cret", good, with(func(c *Message) { c.Method = "DELETE" }), now, false, ErrSignatureMismatch},
		{"other path", "s3cret", good, with(func(c *Message) { c.Target = "/refunds?id=7" }), now, false, ErrSignatureMismatch},
		{"other query", "s3cret", good, with(func(c *Message) { c.Target = "/orders?id=8" }), now, false, ErrSignatureMismatch},
		{"other request id", "s3cret", good, with(func(c *Message) { c.RequestID = "req-2" }), now, false, ErrSignatureMismatch},
		{"fields shifted across the separator", "s3cret", good, with(func(c *Message) { c.Target, c.RequestID = "/orders?id=7\nreq-1", "" }), now, false, ErrSignatureMismatch},
		{"wrong secret", "other", good, m, now, false, ErrSignatureMismatch},
		{"missing header", "s3cret", "", m, now, false, ErrNoSignature},
		{"stale", "s3cret", good, m, now.Add(6 * time.Minute), false, ErrStaleSignature},
		{"future", "s3cret", good, m, now.Add(-6 * time.Minute), false, ErrStaleSignature},
		{"no value", "s3cret", "t=1800000000", m, now, false, ErrBadSignatureValue},
		{"no t", "s3cret", strings.SplitN(good, ",", 2)[1], m, now, false, ErrBadSignatureValue},
		{"short v2", "s3cret", "t=1800000000,v2=abcd", m, now, false, ErrBadSignatureValue},
		{"garbage", "s3cret", "hello", m, now, false, ErrBadSignatureValue},
		{"two t", "s3cret", "t=1," + good, m, now, false, ErrBadSignatureValue},
		{"too long", "s3cret", good + strings.Repeat(",x=y", MaxSignatureHeaderLen/4), m, now, false, ErrBadSignatureValue},
		{"timestamp swapped", "s3cret", strings.Replace(good, "t=1800000000", "t=1800000001", 1), m, now, false, ErrSignatureMismatch},
		{"v1 only, refused by default", "s3cret", legacy, m, now, false, ErrSignatureV1Only},
		{"v1 only, accepted when asked", "s3cret", legacy, m, now, true, nil},
		{"v1 only, replayed to another path, accepted when asked", "s3cret", legacy, with(func(c *Message) { c.Target = "/admin" }), now, true, nil},
		{"v1 only, other body", "s3cret", legacy, with(func(c *Message) { c.Body = nil }), now, true, ErrSignatureMismatch},
		{"v2 and v1", "s3cret", SignWithV1(now, m, "s3cret"), m, now, false, nil},
		{"v2 and v1, other path: judged by v2", "s3cret", SignWithV1(now, m, "s3cret"), with(func(c *Message) { c.Target = "/admin" }), now, true, ErrSignatureMismatch},
		{"unknown scheme ignored", "s3cret", good + ",v9=zz", m, now, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &SignatureOptions{AcceptV1: tt.acceptV1, Now: func() time.Time { return tt.at }}
			err := VerifyMessage(tt.secret, tt.header, tt.m, opts)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("VerifyMessage(%q, %q, %+v) = %v, want %v", tt.secret, tt.header, tt.m, err, tt.wantErr)
			}
		})
	}
}

// TestSignatureBoundToRequest: VerifySignature reads the method, request-target and request
// id from the request a function received, so a signature captured from one request does not
// verify for the same body sent with another method, path, query or request id.
func TestSignatureBoundToRequest(t *testing.T) {
	newReq := func(method, target, id string) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		r.Header.Set("X-Request-Id", id)
		return r
	}
	body := []byte(`{"amount":10}`)
	orig := newReq("POST", "/pay?to=alice", "req-1")
	header := Sign(time.Now(), RequestMessage(orig, body), "s3cret")
	for _, tt := range []struct {
		name string
		r    *http.Request
		body []byte
		want error
	}{
		{"the signed request", orig, body, nil},
		{"other method", newReq("PUT", "/pay?to=alice", "req-1"), body, ErrSignatureMismatch},
		{"other path", newReq("POST", "/refund?to=alice", "req-1"), body, ErrSignatureMismatch},
		{"other query", newReq("POST", "/pay?to=mallory", "req-1"), body, ErrSignatureMismatch},
		{"other request id", newReq("POST", "/pay?to=alice", "req-2"), body, ErrSignatureMismatch},
		{"other body", orig, []byte(`{"amount":1000}`), ErrSignatureMismatch},
	} {
		tt.r.Header.Set(SignatureHeader, header)
		if err := VerifySignature("s3cret", tt.r, tt.body, 0); !errors.Is(err, tt.want) {
			t.Errorf("VerifySignature(%s: %s %s id %s) = %v, want %v", tt.name, tt.r.Method, tt.r.RequestURI, tt.r.Header.Get("X-Request-Id"), err, tt.want)
		}
	}

	// Two empty-body requests in the same second are signed differently.
	at := time.Now()
	a := Sign(at, RequestMessage(newReq("GET", "/a", "req-1"), nil), "s3cret")
	b := Sign(at, RequestMessage(newReq("GET", "/b", "req-1"), nil), "s3cret")
	if a == b {
		t.Errorf("Sign(GET /a) = Sign(GET /b) = %q, want different values", a)
	}
}

func TestRequestMessage(t *testing.T) {
	// A received request: RequestURI as it came, percent-encodings kept.
	in := httptest.NewRequest("GET", "/a%2Fb?q=%20&q=2", nil)
	in.Header.Set("X-Request-Id", "id-1")
	if got := RequestMessage(in, nil); got.Method != "GET" || got.Target != "/a%2Fb?q=%20&q=2" || got.RequestID != "id-1" {
		t.Errorf("RequestMessage(received) = %+v, want GET /a%%2Fb?q=%%20&q=2 id-1", got)
	}
	// A request built to be sent: what the client will write on the wire.
	out, err := http.NewRequest("DELETE", "http://up.example/base/a%2Fb?x=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := RequestMessage(out, nil); got.Target != "/base/a%2Fb?x=1" {
		t.Errorf("RequestMessage(built).Target = %q, want /base/a%%2Fb?x=1", got.Target)
	}
}

func TestSignatureRotation(t *testing.T) {
	now := time.Now()
	m := Message{Method: "POST", Target: "/", RequestID: "r", Body: []byte("{}")}
	// During the grace period the gateway signs with the new and the old secret.
	both := Sign(now, m, "new", "old")
	for _, s := range []string{"new", "old"} {
		if err := VerifyMessage(s, both, m, nil); err != nil {
			t.Errorf("VerifyMessage(%q, both) = %v, want nil", s, err)
		}
	}
	// After it, only the new one.
	onlyNew := Sign(now, m, "new")
	if err := VerifyMessage("old", onlyNew, m, nil); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("VerifyMessage(old, new only) = %v, want ErrSignatureMismatch", err)
	}
	if err := VerifyMessage("new", onlyNew, m, nil); err != nil {
		t.Errorf("VerifyMessage(new, new only) = %v, want nil", err)
	}
}

func TestSignKnownAnswer(t *testing.T) {
	m := Message{Method: "POST", Target: "/orders?id=7", RequestID: "req-1", Body: []byte("{}")}
	// Computed independently:
	//   printf '1\nPOST\n/orders?id=7\nreq-1\n{}' | openssl dgst -sha256 -hmac key
	//   printf '1.{}' | openssl dgst -sha256 -hmac key
	const v2 = "b6f17ea4b0cf3236962b62edf7e43119f971f5e8d51640c03d81ad70b462dc87"
	const v1 = "1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
	if got, want := Sign(time.Unix(1, 0), m, "key"), "t=1,v2="+v2; got != want {
		t.Errorf("Sign(1, m, key) = %q, want %q", got, want)
	}
	if got, want := SignWithV1(time.Unix(1, 0), m, "key", "key"), "t=1,v2="+v2+",v2="+v2+",v1="+v1+",v1="+v1; got != want {
		t.Errorf("SignWithV1(1, m, key, key) = %q, want %q", got, want)
	}
}

func FuzzParseSignature(f *testing.F) {
	m := Message{Method: "GET", Target: "/", RequestID: "r"}
	f.Add(Sign(time.Unix(1_800_000_000, 0), m, "a", "b"))
	f.Add(SignWithV1(time.Unix(1_800_000_000, 0), m, "a", "b"))
	f.Add("")
	f.Add("t=,v2=")
	f.Add("t=1,v1=zz,v0=abc")
	f.Add("t=1,v2=" + strings.Repeat("0", 64) + ",t=2")
	f.Fuzz(func(t *testing.T, h string) {
		sig, err := ParseSignature(h)
		if err != nil {
			return
		}
		if sig.Timestamp <= 0 || len(sig.V2)+len(sig.V1) == 0 || len(h) > MaxSignatureHeaderLen {
			t.Fatalf("ParseSignature(%q) = %+v, nil: accepted an invalid value", h, sig)
		}
		for _, s := range append(sig.V2, sig.V1...) {
			if len(s) != 32 {
				t.Fatalf("ParseSignature(%q) returned a %d-byte signature", h, len(s))
			}
		}
	})
}

// withoutV2 drops the v2 values of a header, leaving what an older gateway sent.
func withoutV2(header string) string {
	var kept []string
	for _, part := range strings.Split(header, ",") {
		if !strings.HasPrefix(part, "v2=") {
			kept = append(kept, part)
		}
	}
	return strings.Join(kept, ",")
}
