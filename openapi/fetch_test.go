package openapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCheckRedirectSameOriginOnly(t *testing.T) {
	req := func(u string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := req("http://Docs.Example:80/openapi.json")
	for _, tt := range []struct {
		to   string
		hops int
		want error
	}{
		{"http://docs.example/v2/openapi.json", 1, nil},
		{"http://docs.example.:80/x", 3, nil},
		{"http://docs.example/x", 4, ErrTooManyRedirects},
		{"https://docs.example/x", 1, ErrCrossHostRedirect},
		{"http://docs.example:8080/x", 1, ErrCrossHostRedirect},
		{"http://other.example/x", 1, ErrCrossHostRedirect},
	} {
		via := []*http.Request{first}
		for len(via) < tt.hops {
			via = append(via, first)
		}
		if err := CheckRedirect(req(tt.to), via); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("CheckRedirect(%s after %d requests) = %v, want %v", tt.to, tt.hops, err, tt.want)
		}
	}
}

// TestFetchKeepsClientRedirectRule: a client with its own CheckRedirect keeps it (the
// gateway's Options.Client promises so): one that follows no redirect gets the 302 itself.
// A client without one follows redirects under CheckRedirect.
func TestFetchKeepsClientRedirectRule(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte(`{"openapi":"3.1.0"}`))
	}))
	defer srv.Close()
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, err := Fetch(context.Background(), noRedirects, srv.URL+"/a", "")
	var status *StatusError
	if !errors.As(err, &status) || status.Code != http.StatusFound {
		t.Errorf("Fetch with a client that follows no redirect = %v, want the 302", err)
	}
	if f, err := Fetch(context.Background(), &http.Client{}, srv.URL+"/a", ""); err != nil || string(f.Body) != `{"openapi":"3.1.0"}` {
		t.Errorf("Fetch with a plain client = %q, %v; want the document", f.Body, err)
	}
}
