package server

import (
	"net/http"
	"testing"

	"github.com/rs/zerolog"
)

// TestToolCallsIgnoreProxyEnvironment: the transport the MCP bridges send tool calls with
// takes no proxy from HTTP_PROXY/HTTPS_PROXY: upstreams are addressed directly, as the
// reverse proxy and cron address them. (Go reads the proxy variables once per process and
// never proxies loopback addresses, so the transport's Proxy field is what a test can check
// reliably.)
func TestToolCallsIgnoreProxyEnvironment(t *testing.T) {
	m := newMCPFactory(nil, nil, "http://127.0.0.1:8080", "", zerolog.Nop())
	tr, ok := m.client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("MCP client transport is %T, want *http.Transport", m.client.Transport)
	}
	if tr.Proxy != nil {
		t.Errorf("MCP client transport has a Proxy function (HTTP_PROXY/HTTPS_PROXY would be honoured), want nil")
	}
}
