package mcp

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestBridgeIgnoresProxyEnvironment: a Bridge given no client, or a client without a
// transport, sends tool calls without a proxy from the environment.
func TestBridgeIgnoresProxyEnvironment(t *testing.T) {
	up := &url.URL{Scheme: "http", Host: "127.0.0.1:1"}
	for _, c := range []*http.Client{nil, {}} {
		b, err := New(&Options{Function: "f", Upstream: up, Timeout: time.Second, Sessions: NewMemorySessions(), Client: c}, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr, ok := b.client.Transport.(*http.Transport)
		if !ok || tr.Proxy != nil {
			t.Errorf("New(Client: %v): transport %T with a proxy, want an *http.Transport without one", c, b.client.Transport)
		}
		b.Close()
	}
}
