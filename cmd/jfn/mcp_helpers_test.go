package main

// Helpers for the MCP end-to-end tests: servers on a given store, the revisions the tests
// pin, and raw /mcp requests for the status-code rules (mcptest holds the mcp-go client).

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/examples/shop"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/server"
)

// sessionVersion is the session-based revision the session tests pin: mcp-go's client
// negotiates the stateless 2026-07-28 revision by default, which has no sessions.
const sessionVersion = "2025-06-18"

// statelessVersion is the stateless revision.
const statelessVersion = "2026-07-28"

// startServerOn starts 'jfn serve' in-process on 127.0.0.1:0 with the store db (a SQLite
// path or a postgres:// URL). tune, when set, adjusts the configuration before Open.
func startServerOn(t testing.TB, db string, tune func(*server.Config), flags ...string) *testServer {
	t.Helper()
	args := []string{"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--shutdown-timeout", "1s"}
	cfg, err := parseServeConfig(mapEnv("JFN_DB", db), append(args, flags...))
	if err != nil {
		t.Fatalf("parseServeConfig: %v", err)
	}
	logs := &jfntest.SyncBuffer{}
	if tune != nil {
		tune(&cfg)
	}
	logger, logWriter := server.NewLogger(logs)
	s := server.New(cfg, logger)
	if err := s.Open(context.Background()); err != nil {
		t.Fatalf("Server.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Server.Close: %v", err)
		}
		_ = logWriter.Close()
	})
	return &testServer{Server: s, log: &serverLog{logs, logWriter}, db: db}
}

// shopUpstream runs examples/shop.
func shopUpstream(t *testing.T) *httptest.Server {
	up := httptest.NewServer(shop.Handler())
	t.Cleanup(up.Close)
	return up
}

// waitHealthy waits until the function's document has loaded on s (its /__health answers
// 200), so that its MCP tools are in place.
func (s *testServer) waitHealthy(t testing.TB, name string) {
	t.Helper()
	if !jfntest.Poll(5*time.Second, func() bool {
		code, _, _ := call(t, "GET", s.URL()+"/"+name+"/__health", nil, "")
		return code == http.StatusOK
	}) {
		_, _, body := call(t, "GET", s.URL()+"/"+name+"/__health", nil, "")
		t.Fatalf("%s/__health never answered 200 within 5 s; last body %s", name, body)
	}
}

// structured returns a tool result's structuredContent re-encoded as JSON.
func structured(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if res.StructuredContent == nil {
		return ""
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatalf("structuredContent %#v: %v", res.StructuredContent, err)
	}
	return string(b)
}

// mcpRequest is one raw HTTP request to an /mcp endpoint. Empty fields leave their header out.
type mcpRequest struct {
	method, token, session, version, origin, body string
	host                                          string      // Host header; the URL's when empty
	header                                        http.Header // more headers
}

// do sends r to url and returns the status, headers and body.
func (r mcpRequest) do(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if r.body != "" {
		rd = strings.NewReader(r.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range map[string]string{
		auth.Header: r.token, mcp.HeaderSessionID: r.session,
		mcp.HeaderProtocolVersion: r.version, "Origin": r.origin,
	} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if r.host != "" {
		req.Host = r.host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var rawID atomic.Int64

// rpc returns a JSON-RPC request body.
func rpc(method string, params any) string {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": rawID.Add(1), "method": method, "params": params})
	return string(b)
}

// stateless returns a request of the stateless revision: the version in the header and in
// _meta, and the Mcp-Method (and Mcp-Name) headers it requires.
func stateless(token, method, name string, params map[string]any) mcpRequest {
	if params == nil {
		params = map[string]any{}
	}
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    statelessVersion,
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "raw", "version": "1"},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
	}
	h := http.Header{"Mcp-Method": {method}}
	if name != "" {
		h.Set("Mcp-Name", name)
	}
	return mcpRequest{method: "POST", token: token, version: statelessVersion, body: rpc(method, params), header: h}
}

// toolsList is a tools/list request body.
func toolsList() string { return rpc("tools/list", map[string]any{}) }

// initializeOnly opens a session with a bare initialize and returns its id: unlike
// openRawSession it sends no notifications/initialized, so the session has seen no request
// after initialize.
func initializeOnly(t *testing.T, url, token string) string {
	t.Helper()
	code, hdr, body := mcpRequest{method: "POST", token: token, body: rpc("initialize", map[string]any{
		"protocolVersion": sessionVersion, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "raw", "version": "1"},
	})}.do(t, url)
	id := hdr.Get(mcp.HeaderSessionID)
	if code != http.StatusOK || id == "" {
		t.Fatalf("initialize on %s = %d (session %q) %s, want 200 with a session id", url, code, id, body)
	}
	return id
}

// openRawSession initializes a session with raw requests and returns its id.
func openRawSession(t *testing.T, url, token string) string {
	t.Helper()
	id := initializeOnly(t, url, token)
	code, _, body := mcpRequest{method: "POST", token: token, session: id, version: sessionVersion,
		body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`}.do(t, url)
	if code != http.StatusAccepted {
		t.Fatalf("notifications/initialized on %s = %d %s, want 202", url, code, body)
	}
	return id
}

// roundRobin is a reverse proxy that sends each request to the next of its backends in turn,
// like a plain load balancer with no stickiness. It keeps the path and the headers.
type roundRobin struct {
	*httptest.Server
	backends []string
	next     atomic.Uint64
	hits     []atomic.Int64
}

func newRoundRobin(t *testing.T, backends ...string) *roundRobin {
	rr := &roundRobin{backends: backends, hits: make([]atomic.Int64, len(backends))}
	rr.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int((rr.next.Add(1) - 1) % uint64(len(rr.backends)))
		rr.hits[i].Add(1)
		out, err := http.NewRequestWithContext(r.Context(), r.Method, rr.backends[i]+r.URL.RequestURI(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		out.ContentLength = r.ContentLength
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		// Copy with a flush after each read, so SSE answers stream through.
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				_, _ = w.Write(buf[:n])
				w.(http.Flusher).Flush()
			}
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(func() {
		rr.CloseClientConnections()
		rr.Close()
	})
	return rr
}
