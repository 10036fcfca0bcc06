package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
	"github.com/jfnhq/jfn/openapi"
)

// TestMCPBridgeThroughGateway drives the real mcp.Bridge behind the gateway with plain
// JSON-RPC over HTTP: the gateway's token check feeds the bridge's session binding.
func TestMCPBridgeThroughGateway(t *testing.T) {
	up := newUpstream(t, appDoc, nil)
	sessions := mcp.NewMemorySessions()
	factory := func(fn store.Function, spec *openapi.Spec) MCPHandler {
		u, err := url.Parse(fn.Upstream)
		if err != nil {
			t.Errorf("parse upstream: %v", err)
			return nil
		}
		b, err := mcp.New(&mcp.Options{Function: fn.Name, Upstream: u, Sessions: sessions, Public: fn.Public, Timeout: fn.EffectiveTimeout()}, spec)
		if err != nil {
			t.Errorf("mcp.New = %v", err)
			return nil
		}
		return b
	}
	h := newHarness(t)
	tok := h.deploy("shop", up, nil)
	other, _ := h.store.addToken(t, "shop", time.Time{})
	h.start(func(o *Options) { o.MCP = factory })

	post := func(token, session, body string) (*http.Response, string) {
		hdr := http.Header{
			"Content-Type": {"application/json"},
			"Accept":       {"application/json, text/event-stream"},
		}
		if token != "" {
			hdr.Set(auth.Header, token)
		}
		if session != "" {
			hdr.Set("Mcp-Session-Id", session)
		}
		return h.do(http.MethodPost, "/shop/mcp", hdr, strings.NewReader(body))
	}
	const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`

	if resp, body := post("", "", initialize); resp.StatusCode != 401 || body != auth.UnauthorizedBody {
		t.Fatalf("initialize without token = %d %s, want 401", resp.StatusCode, body)
	}
	resp, body := post(tok, "", initialize)
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || session == "" {
		t.Fatalf("initialize = %d session %q %s, want 200 with a session", resp.StatusCode, session, body)
	}
	if resp, body := post(tok, session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); resp.StatusCode != 202 {
		t.Fatalf("notifications/initialized = %d %s, want 202", resp.StatusCode, body)
	}
	jfntest.Eventually(t, 3*time.Second, "tools listed", func() bool {
		resp, body := post(tok, session, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
		if resp.StatusCode != 200 {
			return false
		}
		return strings.Contains(body, "listProducts") && strings.Contains(body, "getHook")
	})
	// The session belongs to the token that opened it.
	if resp, body := post(other, session, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`); resp.StatusCode != 404 {
		t.Errorf("tools/list with another token's session = %d %s, want 404", resp.StatusCode, body)
	}
	// A tool call goes upstream with the gateway's forwarding headers and no token.
	resp, body = post(tok, session, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"listProducts","arguments":{}}}`)
	if resp.StatusCode != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("tools/call = %d %s, want 200 with the upstream's answer", resp.StatusCode, body)
	}
	got := up.LastCall(t)
	if got.Path != "/products" || got.Header.Get(auth.Header) != "" || got.Header.Get("X-Jelou-Trigger") != "mcp" {
		t.Errorf("upstream saw %s token %q trigger %q, want /products, no token, mcp",
			got.Path, got.Header.Get(auth.Header), got.Header.Get("X-Jelou-Trigger"))
	}
	var line struct {
		Route string `json:"route"`
	}
	for _, l := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		if strings.Contains(l, `"path":"/shop/mcp"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil || line.Route != "mcp" {
				t.Errorf("access line for /mcp = %s, want route mcp", l)
			}
		}
	}
}
