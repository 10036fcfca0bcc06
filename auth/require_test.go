package auth

import (
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fixture struct {
	tokA, tokB, tokExpired string
	lookup                 Lookup
	now                    time.Time
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	mk := func() string {
		tok, err := New()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	f := fixture{tokA: mk(), tokB: mk(), tokExpired: mk(), now: now}
	idx := map[[sha256.Size]byte]Info{
		Hash(f.tokA):       {ID: "tok_a", Function: "alpha", Hash: Hash(f.tokA)},
		Hash(f.tokB):       {ID: "tok_b", Function: "beta", Hash: Hash(f.tokB)},
		Hash(f.tokExpired): {ID: "tok_x", Function: "alpha", Hash: Hash(f.tokExpired), ExpiresAt: now.Add(-time.Second)},
	}
	f.lookup = func(h [sha256.Size]byte) (Info, bool) {
		info, ok := idx[h]
		return info, ok
	}
	return f
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	unknown, _ := New()
	tests := []struct {
		name    string
		setup   func(r *http.Request)
		wantID  string
		wantErr bool
	}{
		{"valid", func(r *http.Request) { r.Header.Set(Header, f.tokA) }, "tok_a", false},
		{"missing", func(r *http.Request) {}, "", true},
		{"empty", func(r *http.Request) { r.Header.Set(Header, "") }, "", true},
		{"malformed", func(r *http.Request) { r.Header.Set(Header, "jfn_rt_nope") }, "", true},
		{"unknown", func(r *http.Request) { r.Header.Set(Header, unknown) }, "", true},
		{"other function", func(r *http.Request) { r.Header.Set(Header, f.tokB) }, "", true},
		{"expired", func(r *http.Request) { r.Header.Set(Header, f.tokExpired) }, "", true},
		{"bearer only", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+f.tokA) }, "", true},
		{"query only", func(r *http.Request) { r.URL.RawQuery = "token=" + f.tokA + "&X-Jelou-Token=" + f.tokA }, "", true},
		{"over 4KB", func(r *http.Request) { r.Header.Set(Header, f.tokA+strings.Repeat("a", 5<<10)) }, "", true},
		{"twice", func(r *http.Request) { r.Header.Add(Header, f.tokA); r.Header.Add(Header, f.tokA) }, "", true},
		{"padded", func(r *http.Request) { r.Header.Set(Header, " "+f.tokA) }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			tt.setup(r)
			info, err := Verify(r, "alpha", f.lookup, f.now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Verify() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && err != ErrInvalidToken {
				t.Errorf("Verify() error = %v, want ErrInvalidToken", err)
			}
			if info.ID != tt.wantID {
				t.Errorf("Verify() id = %q, want %q", info.ID, tt.wantID)
			}
		})
	}
}

func TestRequire(t *testing.T) {
	f := newFixture(t)
	var failures int
	var seen *http.Request
	h := Require("alpha", f.lookup, &Options{
		Now:       func() time.Time { return f.now },
		OnFailure: func(*http.Request) { failures++ },
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		w.WriteHeader(http.StatusNoContent)
	}))

	// Refused: exact status, content type and body.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != 401 {
		t.Fatalf("no token: status = %d, want 401", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("no token: Content-Type = %q, want application/json", ct)
	}
	if body, _ := io.ReadAll(rec.Body); string(body) != `{"error":"Unauthorized","message":"Missing or invalid X-Jelou-Token header"}` {
		t.Errorf("no token: body = %s", body)
	}
	if got, want := rec.Header().Get("WWW-Authenticate"), `ApiKey header="X-Jelou-Token"`; got != want {
		t.Errorf("no token: WWW-Authenticate = %q, want %q", got, want)
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("no token: X-Content-Type-Options = %q, want nosniff", got)
	}
	if failures != 1 || seen != nil {
		t.Errorf("no token: failures = %d, handler called = %v; want 1, false", failures, seen != nil)
	}

	// Accepted: the token is stripped and its Info is in the context.
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set(Header, f.tokA)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 204 || seen == nil {
		t.Fatalf("valid token: status = %d, handler called = %v", rec.Code, seen != nil)
	}
	if got := seen.Header.Get(Header); got != "" {
		t.Errorf("handler saw %s header %q, want it removed", Header, got)
	}
	if info, ok := FromContext(seen.Context()); !ok || info.ID != "tok_a" {
		t.Errorf("FromContext() = %+v, %v; want tok_a", info, ok)
	}

	// OPTIONS preflight passes without a token.
	seen = nil
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("OPTIONS", "/", nil))
	if rec.Code != 204 || seen == nil {
		t.Errorf("OPTIONS: status = %d, handler called = %v; want 204, true", rec.Code, seen != nil)
	}
}

func FuzzVerifyHeader(f *testing.F) {
	fx := fixture{}
	good, _ := New()
	f.Add(good)
	f.Add("")
	f.Add("Bearer " + good)
	f.Add(strings.Repeat("jfn_rt_", 700))
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["X-Jelou-Token"] = []string{v}
		calls := 0
		lookup := func(h [sha256.Size]byte) (Info, bool) {
			calls++
			return Info{ID: "t", Function: "alpha", Hash: h}, true
		}
		_, err := Verify(r, "alpha", lookup, fx.now)
		if Check(v) != nil {
			// A value that is not a well-formed token must never reach the lookup.
			if err == nil || calls != 0 {
				t.Fatalf("Verify(%q) = %v with %d lookups, want ErrInvalidToken and none", v, err, calls)
			}
		} else if err != nil {
			t.Fatalf("Verify(well-formed %q) = %v, want nil", v, err)
		}
	})
}
