package mcp

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// An idle session costs no memory here: serveInitialize answers initialize itself.
//
// mcp-go's transport, given an initialize, keeps a full session object for the session's
// whole life (about 10 KB of channels and maps, 100 MB for 10,000 idle sessions) although
// nothing needs it until the session opens a GET stream: mcp-go then creates and registers
// one for the stream's duration, and serves every POST of a session it does not hold on a
// session object that lives as long as the request. So the Bridge answers initialize with
// the same MCPServer (same capabilities, version negotiation and hooks) and keeps nothing
// but the store's record and the sessionTracker's entry.
//
// What a client gives up: mcp-go would queue notifications/tools/list_changed on a
// registered session with no GET stream and deliver it on that session's next POST. Without
// a GET stream it now arrives only on a stream, where the transport specification puts it.

// serveInitialize answers the legacy initialize request body, for which the gate created
// session id, as mcp-go's transport would: a JSON answer carrying Mcp-Session-Id.
func (b *Bridge) serveInitialize(ctx context.Context, w http.ResponseWriter, id string, body []byte) {
	sess := &initSession{id: id, notifications: make(chan mcp.JSONRPCNotification, 1)}
	resp := b.srv.HandleMessage(b.srv.WithContext(ctx, sess), body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(server.HeaderKeySessionID, id)
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
}

// modernBody reports whether a message declares the stateless revision in its
// params._meta, which makes mcp-go treat it as stateless whatever the headers say (as its
// transport decides; an initialize then fails there, as it must).
func modernBody(body []byte) bool {
	var wrapper struct {
		Params struct {
			Meta *mcp.Meta `json:"_meta"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &wrapper) != nil || wrapper.Params.Meta == nil {
		return false
	}
	return mcp.IsModernProtocol(wrapper.Params.Meta.ProtocolVersion())
}

// initSession is the session an initialize request is handled in: it only has an id.
type initSession struct {
	id            string
	notifications chan mcp.JSONRPCNotification
}

var _ server.ClientSession = (*initSession)(nil)

func (s *initSession) SessionID() string { return s.id }
func (s *initSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return s.notifications
}
func (s *initSession) Initialize()       {}
func (s *initSession) Initialized() bool { return true }
