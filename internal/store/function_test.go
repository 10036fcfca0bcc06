package store_test

import (
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

func TestFunctionEffectiveTimeout(t *testing.T) {
	tests := []struct{ in, want time.Duration }{
		{0, store.DefaultTimeout},
		{-time.Second, store.DefaultTimeout},
		{time.Second, time.Second},
		{store.MaxTimeout, store.MaxTimeout},
		{time.Hour, store.MaxTimeout},
	}
	for _, tt := range tests {
		f := store.Function{Timeout: tt.in}
		if got := f.EffectiveTimeout(); got != tt.want {
			t.Errorf("Function{Timeout: %v}.EffectiveTimeout() = %v, want %v", tt.in, got, tt.want)
		}
	}
	if store.DefaultTimeout != 30*time.Second || store.MaxTimeout != 120*time.Second {
		t.Errorf("DefaultTimeout, MaxTimeout = %v, %v; want 30s, 2m0s", store.DefaultTimeout, store.MaxTimeout)
	}
}

func TestFunctionDocumentURL(t *testing.T) {
	tests := []struct {
		upstream, openapi string
		want              string
	}{
		{"http://u:1", "", "http://u:1/openapi.json"},
		{"http://u:1/", "", "http://u:1/openapi.json"},
		{"http://u:1/base/", "", "http://u:1/base/openapi.json"},
		{"http://u:1", "/spec.yaml", "http://u:1/spec.yaml"},
		{"http://u:1/base", "/docs/spec.json", "http://u:1/base/docs/spec.json"},
		{"http://u:1/base/", "/spec.json", "http://u:1/base/spec.json"},
		{"http://u:1", "https://docs.example/x.json", "https://docs.example/x.json"},
		// A network-path reference is not a path under the upstream: it is kept as given.
		{"http://u:1", "//docs.example/x.json", "//docs.example/x.json"},
	}
	for _, tt := range tests {
		f := store.Function{Upstream: tt.upstream, OpenAPIURL: tt.openapi}
		if got := f.DocumentURL(); got != tt.want {
			t.Errorf("Function{Upstream: %q, OpenAPIURL: %q}.DocumentURL() = %q, want %q", tt.upstream, tt.openapi, got, tt.want)
		}
	}
}
