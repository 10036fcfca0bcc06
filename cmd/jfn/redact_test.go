package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

// closedURL returns an http URL on 127.0.0.1 where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

// TestFailedToolCallLogHasNoQuery: when a tool call cannot reach the upstream, the log line
// names the upstream without the query, whose values are the caller's arguments.
func TestFailedToolCallLogHasNoQuery(t *testing.T) {
	const secret = "sk_live_9fQx7ZpL2mVb8RtY4wKc"
	doc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"openapi":"3.1.0","info":{"title":"s","version":"1"},
		"paths":{"/search":{"get":{"operationId":"search","parameters":[
		  {"name":"api_key","in":"query","required":true,"schema":{"type":"string"}}],
		  "responses":{"200":{"description":"ok"}}}}}}`)
	}))
	t.Cleanup(doc.Close)

	s := startServer(t)
	tok := deployed(t, s.db, "search", closedURL(t), "--openapi", doc.URL+"/openapi.json")
	s.waitFunctions(t, "search")
	s.waitHealthy(t, "search")
	s.waitToken(t, s.URL()+"/search/mcp", tok)

	c := mcptest.Connect(t, s.URL()+"/search/mcp", &mcptest.Options{Token: tok, Version: sessionVersion})
	res := mcptest.CallTool(t, c, "search", map[string]any{"api_key": secret})
	if !res.IsError {
		t.Fatalf("tools/call search on a closed port: not isError, text %q", mcptest.Text(res))
	}
	if !jfntest.Poll(2*time.Second, func() bool { return strings.Contains(s.log.String(), "upstream unreachable") }) {
		t.Fatalf("no failed tool call in the log:\n%s", s.log.String())
	}
	if logs := s.log.String(); strings.Contains(logs, secret) || strings.Contains(logs, "api_key=") {
		t.Errorf("the log shows the tool call's query:\n%s", logs)
	}
	if txt := mcptest.Text(res); strings.Contains(txt, secret) {
		t.Errorf("the tool result shows the query: %q", txt)
	}
}
