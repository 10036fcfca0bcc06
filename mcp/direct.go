package mcp

import (
	"context"
	"encoding/json"
	"net/http"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Two messages of the session-based revisions are answered without mcp-go's HTTP transport,
// by the same MCPServer (so the same capabilities, version negotiation, tools and hooks):
//
//   - initialize. Given one, the transport keeps a full session object for the session's
//     whole life (about 10 KB of channels and maps: 100 MB for 10,000 idle sessions),
//     although nothing needs it until the session opens a GET stream, for which the
//     transport creates and registers one itself, for the stream's duration. The Bridge
//     keeps nothing but the store's record and the sessionTracker's entry.
//   - tools/call, the hot path. The transport adds, per request, a session object (the same
//     10 KB), a goroutine to forward notifications on an SSE upgrade, and parses the body
//     twice more; a tool call here sends no notification and no server request, so its
//     answer is always the plain JSON the transport would write.
//
// What a client gives up: the transport queues notifications/tools/list_changed on a
// session it holds without a GET stream and delivers it on that session's next POST. Now it
// arrives on a GET stream, where the transport specification puts it.

// serveInitialize answers the legacy initialize request body, for which the gate created
// session id, as mcp-go's transport would: a JSON answer carrying Mcp-Session-Id.
func (b *Bridge) serveInitialize(ctx context.Context, w http.ResponseWriter, id string, body []byte) {
	resp := b.srv.HandleMessage(b.srv.WithContext(ctx, newDirectSession(id)), body)
	w.Header().Set(server.HeaderKeySessionID, id)
	writeJSON(w, resp)
}

// serveToolCall answers a tools/call request of the checked session id.
func (b *Bridge) serveToolCall(ctx context.Context, w http.ResponseWriter, id string, body []byte, msg peeked) {
	if b.fastToolCall(ctx, w, msg) { // fastcall.go
		return
	}
	writeJSON(w, b.srv.HandleMessage(b.srv.WithContext(ctx, newDirectSession(id)), body))
}

// writeJSON writes a JSON-RPC answer as the transport does for the session-based revisions:
// 200 and the message, or 202 and nothing when there is no answer.
func writeJSON(w http.ResponseWriter, resp mcpgo.JSONRPCMessage) {
	if resp == nil {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
}

// directSession is the session a message answered here is handled in: an id, and room for
// one notification, which nothing sends (a full channel drops what else would come).
type directSession struct {
	id            string
	notifications chan mcpgo.JSONRPCNotification
}

func newDirectSession(id string) *directSession {
	return &directSession{id: id, notifications: make(chan mcpgo.JSONRPCNotification, 1)}
}

var _ server.ClientSession = (*directSession)(nil)

func (s *directSession) SessionID() string { return s.id }
func (s *directSession) NotificationChannel() chan<- mcpgo.JSONRPCNotification {
	return s.notifications
}
func (s *directSession) Initialize()       {}
func (s *directSession) Initialized() bool { return true }
