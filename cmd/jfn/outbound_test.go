package main

import (
	"net/http"
	"testing"
)

// TestToolCallsIgnoreProxyEnvironment: the transport a running server's MCP bridges send
// tool calls with takes no proxy from HTTP_PROXY/HTTPS_PROXY: upstreams are addressed
// directly, as the reverse proxy and cron address them. (Go reads the proxy variables once
// per process and never proxies loopback addresses, so the transport's Proxy field is what a
// test can check reliably.)
func TestToolCallsIgnoreProxyEnvironment(t *testing.T) {
	s := startServer(t)
	tr, ok := s.mcp.client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("MCP client transport is %T, want *http.Transport", s.mcp.client.Transport)
	}
	if tr.Proxy != nil {
		t.Errorf("MCP client transport has a Proxy function (HTTP_PROXY/HTTPS_PROXY would be honoured), want nil")
	}
}
