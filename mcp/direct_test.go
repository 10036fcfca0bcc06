package mcp

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// TestInitializeKeepsNoSession: an initialized session that has not opened a GET stream is
// not held by mcp-go (nothing per session in memory), and still works: tools/call, a GET
// stream, DELETE.
func TestInitializeKeepsNoSession(t *testing.T) {
	h := newHarness(t, nil)
	resp, body := h.rawRequest(t, http.MethodPost, h.tokA, "", "", initializeBody, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("initialize = %d %q %s, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	id := resp.Header.Get(mcpgo.HeaderSessionID)
	if id == "" {
		t.Fatalf("initialize: no %s header", mcpgo.HeaderSessionID)
	}
	var msg struct {
		ID     int                    `json:"id"`
		Result mcpgo.InitializeResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		t.Fatalf("initialize answer %s: %v", body, err)
	}
	caps := msg.Result.Capabilities
	if msg.ID != 1 || msg.Result.ProtocolVersion != "2025-06-18" || caps.Tools == nil || !caps.Tools.ListChanged || caps.Logging == nil {
		t.Errorf("initialize answer = %s, want id 1, version 2025-06-18, tools.listChanged and logging", body)
	}

	note := mcpgo.JSONRPCNotification{JSONRPC: mcpgo.JSONRPC_VERSION, Notification: mcpgo.Notification{Method: "notifications/message"}}
	notHeld := func(when string) {
		t.Helper()
		if err := h.bridge.srv.SendNotificationToSpecificClient(id, note.Method, nil); !errors.Is(err, server.ErrSessionNotFound) {
			t.Errorf("%s: mcp-go holds the session (SendNotificationToSpecificClient = %v, want ErrSessionNotFound)", when, err)
		}
	}
	notHeld("after initialize")

	if resp, body := h.rawRequest(t, http.MethodPost, h.tokA, id, "2025-06-18", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized = %d %s, want 202", resp.StatusCode, body)
	}
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"getPet","arguments":{"id":"1"}}}`
	resp, body = h.rawRequest(t, http.MethodPost, h.tokA, id, "2025-06-18", call, nil)
	if resp.StatusCode != http.StatusOK || !json.Valid([]byte(body)) {
		t.Fatalf("tools/call = %d %s, want 200 and JSON", resp.StatusCode, body)
	}
	var res struct {
		Result mcpgo.CallToolResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil || res.Result.IsError || res.Result.StructuredContent == nil {
		t.Errorf("tools/call getPet = %s (%v), want a structured result", body, err)
	}
	notHeld("after tools/call")

	if n := h.bridge.sessions.count(); n != 1 {
		t.Errorf("tracked sessions = %d, want 1", n)
	}
	if resp, body := h.rawRequest(t, http.MethodDelete, h.tokA, id, "2025-06-18", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE = %d %s, want 200", resp.StatusCode, body)
	}
	if resp, _ := h.rawRequest(t, http.MethodPost, h.tokA, id, "2025-06-18", call, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("tools/call after DELETE = %d, want 404", resp.StatusCode)
	}
}

// TestInitializeModernMeta: an initialize whose _meta declares the stateless revision is
// left to mcp-go, which refuses it (initialize was removed in that revision).
func TestInitializeModernMeta(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"_meta":{"` + mcpgo.MetaKeyProtocolVersion + `":"2026-07-28"},"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	if !peek([]byte(body)).modern {
		t.Fatalf("peek(%s).modern = false, want true", body)
	}
	if peek([]byte(initializeBody)).modern {
		t.Errorf("peek(%s).modern = true, want false", initializeBody)
	}
	_, got := h.rawRequest(t, http.MethodPost, h.tokA, "", "", body, nil)
	if json.Valid([]byte(got)) {
		var msg struct {
			Result *mcpgo.InitializeResult `json:"result"`
		}
		_ = json.Unmarshal([]byte(got), &msg)
		if msg.Result != nil {
			t.Errorf("initialize with a 2026-07-28 _meta = %s, want mcp-go's refusal", got)
		}
	}
}

// TestSessionTrackerExpiry: a session with no request for the tracker's TTL stops counting
// as open when a later session opens; one in use keeps counting.
func TestSessionTrackerExpiry(t *testing.T) {
	rec := newRecorder()
	var obs observerSlot
	obs.set(rec)
	var tr sessionTracker
	tr.init(&obs)
	tr.ttl = 200 * time.Millisecond

	tr.opened("idle", [32]byte{1})
	tr.opened("busy", [32]byte{1})
	for range 5 {
		time.Sleep(tr.ttl / 4)
		tr.used("busy")
	}
	tr.opened("new", [32]byte{2})
	if n := tr.count(); n != 2 {
		t.Errorf("tracked sessions = %d, want 2 (busy, new)", n)
	}
	if _, _, s, _ := rec.snapshot(); s != 2 {
		t.Errorf("Observer sessions = %d, want 2", s)
	}
	tr.ended("idle") // already expired: not counted twice
	if _, _, s, _ := rec.snapshot(); s != 2 {
		t.Errorf("Observer sessions after ending an expired one = %d, want 2", s)
	}
}

// TestDirectToolCall: the tools/call answers the Bridge writes itself are the transport's:
// JSON results, JSON-RPC errors for protocol faults, 202 for a notification.
func TestDirectToolCall(t *testing.T) {
	h := newHarness(t, nil)
	id := h.openSession(t, h.tokA)
	post := func(body string) (*http.Response, string) {
		t.Helper()
		return h.rawRequest(t, http.MethodPost, h.tokA, id, "2025-06-18", body, nil)
	}

	resp, body := post(`{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"nope","arguments":{}}}`)
	var rpc struct {
		ID    string                     `json:"id"`
		Error *mcpgo.JSONRPCErrorDetails `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &rpc); resp.StatusCode != http.StatusOK || err != nil || rpc.ID != "x" || rpc.Error == nil {
		t.Errorf("tools/call of an unknown tool = %d %s, want 200 with a JSON-RPC error for id x", resp.StatusCode, body)
	}

	resp, body = post(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"createPet","arguments":{"age":-1}}}`)
	var res struct {
		Result mcpgo.CallToolResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &res); resp.StatusCode != http.StatusOK || err != nil || !res.Result.IsError {
		t.Errorf("tools/call with invalid arguments = %d %s, want 200 with isError", resp.StatusCode, body)
	}

	if resp, body := post(`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"getPet","arguments":{"id":"1"}}}`); resp.StatusCode != http.StatusAccepted {
		t.Errorf("tools/call without an id (a notification) = %d %s, want 202", resp.StatusCode, body)
	}
	if resp, body := h.rawRequest(t, http.MethodPost, h.tokA, id, "2025-06-18", `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"getPet","arguments":{"id":"1"}}}`,
		http.Header{"Content-Type": {"text/plain"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("tools/call as text/plain = %d %s, want 400 (as mcp-go answers)", resp.StatusCode, body)
	}
}
