package openapi

import (
	"errors"
	"net/http"
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
