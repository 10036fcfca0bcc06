package mcp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"
)

// ErrSessionNotFound is returned by a SessionStore for an id that is unknown or has ended.
var ErrSessionNotFound = errors.New("mcp session not found")

// SessionStore keeps the MCP sessions of every function, so that any replica can check a
// session id it did not mint. A session records the function and the SHA-256 hash of the
// token that opened it (all zeros for a public function); it never holds the token itself.
type SessionStore interface {
	// Create records a new session. The id is random and never reused. A store that bounds
	// the sessions of a token (beyond a limit, the least recently used go first)
	// returns the ids it evicted to make room, so that their streams here end too.
	Create(ctx context.Context, id string, function string, tokenHash [32]byte) (evicted []string, err error)
	// Get returns the session's function and token hash, or ErrSessionNotFound when the id
	// is unknown or the session was deleted.
	Get(ctx context.Context, id string) (function string, tokenHash [32]byte, err error)
	// Delete ends a session. Deleting an unknown id returns ErrSessionNotFound or nil.
	Delete(ctx context.Context, id string) error
}

// NewMemorySessions returns a SessionStore that lives in this process only, for tests. It
// keeps every session until it is deleted: it neither expires nor bounds them.
func NewMemorySessions() SessionStore {
	return &memorySessions{m: make(map[string]memorySession)}
}

type memorySession struct {
	function string
	hash     [32]byte
}

type memorySessions struct {
	mu sync.RWMutex
	m  map[string]memorySession
}

func (s *memorySessions) Create(_ context.Context, id, function string, tokenHash [32]byte) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = memorySession{function: function, hash: tokenHash}
	return nil, nil
}

func (s *memorySessions) Get(_ context.Context, id string) (string, [32]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.m[id]
	if !ok {
		return "", [32]byte{}, ErrSessionNotFound
	}
	return v.function, v.hash, nil
}

func (s *memorySessions) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[id]; !ok {
		return ErrSessionNotFound
	}
	delete(s.m, id)
	return nil
}

// newSessionID returns 256 random bits, URL-safe, so an id can neither be guessed nor
// enumerated. The session is still bound to its token: knowing an id is not enough.
func newSessionID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// maxSessionIDLen bounds the Mcp-Session-Id values worth a store lookup.
const maxSessionIDLen = 128

// lookupSession reports whether id is a live session of function opened by the token whose
// hash is tokenHash. Both comparisons run in constant time. A store failure is returned as
// an error; an unknown, ended or foreign session is (false, nil).
func lookupSession(ctx context.Context, store SessionStore, id, function string, tokenHash [32]byte) (bool, error) {
	if id == "" || len(id) > maxSessionIDLen {
		return false, nil
	}
	fn, h, err := store.Get(ctx, id)
	if errors.Is(err, ErrSessionNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sameToken := subtle.ConstantTimeCompare(h[:], tokenHash[:])
	sameFunction := subtle.ConstantTimeCompare([]byte(fn), []byte(function))
	return sameToken&sameFunction == 1, nil
}

// The gate leaves its decisions in the request context, where the session manager below
// (called by mcp-go with the same *http.Request) finds them.
type (
	mintedKey  struct{} // string: the id created for this initialize request
	checkedKey struct{} // string: the session id the gate already validated for this request
)

// sessionResolver hands mcp-go a session manager bound to the request being served.
// mcp-go's SessionIdManager methods take no context, so the manager carries the request's.
type sessionResolver struct {
	store   SessionStore
	streams *streamRegistry
	tracker *sessionTracker
	logger  *zerolog.Logger
}

func (s sessionResolver) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	if r == nil {
		// mcp-go asks without a request when it shuts down (CloseSessions). Sessions live in a
		// shared store and may continue on another replica, so that must not delete them.
		return shutdownManager{s.tracker}
	}
	return &sessionManager{ctx: r.Context(), store: s.store, streams: s.streams, tracker: s.tracker, logger: s.logger}
}

// sessionManager implements server.SessionIdManager for one request.
type sessionManager struct {
	ctx     context.Context
	store   SessionStore
	streams *streamRegistry
	tracker *sessionTracker
	logger  *zerolog.Logger
}

// Generate returns the id the gate created in the store for this initialize request. The
// gate does the store write itself so that a store failure becomes a clean 503, which
// Generate (no error result) could not report.
func (m *sessionManager) Generate() string {
	id, _ := m.ctx.Value(mintedKey{}).(string)
	if id == "" {
		// Unreachable through Bridge.ServeHTTP: the gate answers 400 to every request that
		// would make mcp-go mint an id without one. Answering without a session is safe.
		m.logger.Error().Msg("mcp session requested outside the gate")
	}
	return id
}

// Validate accepts only the id the gate checked for this very request. The gate already
// looked the session up and compared its token; any other id is refused.
func (m *sessionManager) Validate(id string) (isTerminated bool, err error) {
	if checked, _ := m.ctx.Value(checkedKey{}).(string); checked != "" && checked == id {
		return false, nil
	}
	return false, ErrSessionNotFound
}

// Terminate ends the session for a client's DELETE, and its open GET streams on this
// replica (mcp-go forgets the session but would leave its stream open). The gate checked
// the id first.
func (m *sessionManager) Terminate(id string) (isNotAllowed bool, err error) {
	if checked, _ := m.ctx.Value(checkedKey{}).(string); checked == "" || checked != id {
		return false, ErrSessionNotFound
	}
	if err := m.store.Delete(m.ctx, id); err != nil && !errors.Is(err, ErrSessionNotFound) {
		return false, err
	}
	m.streams.closeSession(id)
	m.tracker.ended(id)
	return false, nil
}

// shutdownManager is used by mcp-go outside any request: when it shuts down, and when its
// idle sweep drops a session whose client left without DELETE. It keeps the store
// untouched (the session may go on through another replica) but no longer counts the
// session as open here.
type shutdownManager struct{ tracker *sessionTracker }

func (shutdownManager) Generate() string              { return "" }
func (shutdownManager) Validate(string) (bool, error) { return false, ErrSessionNotFound }
func (m shutdownManager) Terminate(id string) (bool, error) {
	m.tracker.ended(id)
	return false, nil
}
