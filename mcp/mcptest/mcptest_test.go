package mcptest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/jfnhq/jfn/auth"
)

// seen is the method and X-Jelou-Token of one request the test server received.
type seen struct{ method, token string }

// echoServer serves mcp-go's own MCP server with one tool, echo, and records the method and
// token of every request.
func echoServer(t *testing.T) (*httptest.Server, func() []seen) {
	s := server.NewMCPServer("echo", "1", server.WithToolCapabilities(false))
	s.AddTool(mcpgo.NewTool("echo", mcpgo.WithString("say")), func(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		return mcpgo.NewToolResultText(req.GetString("say", "")), nil
	})
	h := server.NewStreamableHTTPServer(s)
	var mu sync.Mutex
	var reqs []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, seen{r.Method, r.Header.Get(auth.Header)})
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(reqs)
	}
}

func TestConnectSendsTheTokenOnEveryRequest(t *testing.T) {
	srv, requests := echoServer(t)
	const tok = "jfn_rt_test"
	c := Connect(t, srv.URL, &Options{Token: tok, Version: "2025-06-18"})
	if c.Initialized.ProtocolVersion != "2025-06-18" || c.GetSessionId() == "" {
		t.Fatalf("Connect = version %q, session %q; want 2025-06-18 and a session", c.Initialized.ProtocolVersion, c.GetSessionId())
	}
	if got := ToolNames(t, c); !slices.Equal(got, []string{"echo"}) {
		t.Errorf("ToolNames = %v, want [echo]", got)
	}
	if res := CallTool(t, c, "echo", map[string]any{"say": "hi"}); res.IsError || Text(res) != "hi" {
		t.Errorf("CallTool(echo hi) = isError %v, text %q; want hi", res.IsError, Text(res))
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	reqs := requests()
	if len(reqs) == 0 || reqs[len(reqs)-1].method != http.MethodDelete {
		t.Fatalf("requests = %v, want the session's DELETE last", reqs)
	}
	for _, r := range reqs {
		if r.token != tok {
			t.Errorf("%s request: X-Jelou-Token %q, want %q", r.method, r.token, tok)
		}
	}
}

func TestConnectWithoutToken(t *testing.T) {
	srv, requests := echoServer(t)
	c := Connect(t, srv.URL, nil)
	if res := CallTool(t, c, "echo", map[string]any{"say": "hi"}); Text(res) != "hi" {
		t.Errorf("CallTool(echo hi) text %q, want hi", Text(res))
	}
	for _, r := range requests() {
		if r.token != "" {
			t.Errorf("%s request: X-Jelou-Token %q, want none", r.method, r.token)
		}
	}
}

func TestText(t *testing.T) {
	res := &mcpgo.CallToolResult{Content: []mcpgo.Content{
		mcpgo.NewTextContent("a"), mcpgo.NewImageContent("AAAA", "image/png"), mcpgo.NewTextContent("b"),
	}}
	if got := Text(res); got != "a\nb" {
		t.Errorf("Text(a, image, b) = %q, want a\\nb", got)
	}
	if got := Text(&mcpgo.CallToolResult{}); got != "" {
		t.Errorf("Text(no content) = %q, want empty", got)
	}
}
