// Package store keeps jfn's state: functions, their runtime tokens and the MCP sessions
// opened with them, and the runs of their cron schedules. The embedded implementation is SQLite (pure Go, WAL mode), which
// the CLI and a running server share through one file. A PostgreSQL implementation satisfies
// the same Store interface for running several replicas.
//
// Servers do not query the store on the hot path: they load a Snapshot into memory and
// reload it whenever Watch reports a change.
package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"time"
)

// ErrNotFound is returned when a function or token does not exist (or a token is revoked
// and the call needs an active one).
var ErrNotFound = errors.New("not found")

// ErrUnreachable wraps errors that mean the database could not be reached.
var ErrUnreachable = errors.New("store unreachable")

// Function is a deployed function and its settings.
type Function struct {
	Name       string
	Upstream   string        // base URL of the function, e.g. http://127.0.0.1:9001
	OpenAPIURL string        // its OpenAPI document: a URL, a path under Upstream, or "" (see DocumentURL)
	Public     bool          // no token needed on any route
	Timeout    time.Duration // per-request upstream timeout; see EffectiveTimeout
	MCP        bool          // serve /mcp
	// CORSOrigins are the browser origins ("https://app.example.com", or "*" for any) whose
	// CORS preflights the gateway allows and whose responses carry
	// Access-Control-Allow-Origin. Empty: none.
	CORSOrigins []string
	// MCPMode is the default catalogue mode of /mcp: "auto" (or "" for it), "all" or
	// "search". A connection may override it with ?mode=.
	MCPMode string
	// MCPToolsets are the default toolsets of /mcp (OpenAPI tags); none: every tool. A
	// connection may override them with ?toolsets=.
	MCPToolsets []string
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// SigningSecret is the key the gateway signs every upstream request with
	// (X-Jelou-Signature): the HMAC key is this string's bytes. The store creates it with the
	// function and only RotateSecret changes it. It is a key the gateway must use, so it is
	// stored as is; it is never logged.
	SigningSecret string
	// PreviousSecrets are the secrets earlier rotations replaced whose grace periods had not
	// ended at the latest rotation, the most recently replaced first. Each still signs until
	// its own ExpiresAt. Empty when there are none.
	PreviousSecrets []PreviousSecret
}

// PreviousSecret is a signing secret that a rotation replaced, still used to sign until
// ExpiresAt (the end of that rotation's grace period).
type PreviousSecret struct {
	Secret    string
	ExpiresAt time.Time
}

// joinOrigins and splitOrigins convert CORSOrigins and MCPToolsets to and from their
// columns: origins and toolset names hold no commas, so a comma-separated list is exact. nil
// and empty both store "".
func joinOrigins(origins []string) string { return strings.Join(origins, ",") }

func splitOrigins(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// DefaultTimeout is the upstream timeout of a function whose Timeout is zero, and
// MaxTimeout the longest one any function gets: see Function.EffectiveTimeout.
const (
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 120 * time.Second
)

// EffectiveTimeout is how long f's upstream may take to answer a request, a tool call or a
// cron run: f.Timeout, DefaultTimeout when it is zero (or negative), and at most MaxTimeout.
func (f Function) EffectiveTimeout() time.Duration {
	switch {
	case f.Timeout <= 0:
		return DefaultTimeout
	case f.Timeout > MaxTimeout:
		return MaxTimeout
	}
	return f.Timeout
}

// DocumentURL is where f's OpenAPI document is fetched from: f.OpenAPIURL when it is a URL;
// when it is a path ("/spec.yaml"), that path under f.Upstream; when it is empty,
// <Upstream>/openapi.json. A trailing slash of Upstream is not doubled.
func (f Function) DocumentURL() string {
	base := strings.TrimRight(f.Upstream, "/")
	switch {
	case f.OpenAPIURL == "":
		return base + "/openapi.json"
	case strings.HasPrefix(f.OpenAPIURL, "/") && !strings.HasPrefix(f.OpenAPIURL, "//"):
		return base + f.OpenAPIURL
	}
	return f.OpenAPIURL
}

// SigningSecrets returns the secrets f's upstream requests are signed with at now: the
// current one first, then each previous one whose grace period lasts, the most recently
// replaced first.
func (f Function) SigningSecrets(now time.Time) []string {
	var s []string
	if f.SigningSecret != "" {
		s = append(s, f.SigningSecret)
	}
	for _, p := range f.PreviousSecrets {
		if p.Secret != "" && now.Before(p.ExpiresAt) {
			s = append(s, p.Secret)
		}
	}
	return s
}

// Token is a runtime token's stored record. The secret itself is never stored.
type Token struct {
	ID         string
	Function   string
	Name       string
	Hash       [sha256.Size]byte // SHA-256 of the secret
	Prefix     string            // display prefix, "jfn_rt_" + 4 chars + ".."
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	ExpiresAt  time.Time // zero when it never expires
	RevokedAt  time.Time // zero when active
}

// Active reports whether t can still authenticate at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// Session is an MCP session: the function it belongs to and the SHA-256 hash of the runtime
// token that opened it (all zeros for a public function). Any server sharing the store can
// check a session another one opened; the token itself is never stored.
type Session struct {
	ID         string
	Function   string
	TokenHash  [sha256.Size]byte
	CreatedAt  time.Time
	LastSeenAt time.Time // the latest use recorded by TouchSessions; CreatedAt until then
}

// Used reports whether a request after the one that created s has been recorded: a session
// is unused while LastSeenAt is not after CreatedAt, and TouchSessions always moves it past.
func (s Session) Used() bool { return s.LastSeenAt.After(s.CreatedAt) }

// DefaultSessionLimit is how many sessions one token may keep open in one function (for a
// public function, how many tokenless sessions the function may keep); opening one more
// evicts the least recently used.
// CreateSession uses it when given a limit of zero or less.
const DefaultSessionLimit = 1000

// FunctionPatch is a change to some of a function's settings: a nil field keeps the value.
type FunctionPatch struct {
	Upstream    *string
	OpenAPIURL  *string
	Public      *bool
	Timeout     *time.Duration
	MCP         *bool
	CORSOrigins *[]string
	MCPMode     *string
	MCPToolsets *[]string
}

// Apply sets the settings p names on f.
func (p FunctionPatch) Apply(f *Function) {
	set(&f.Upstream, p.Upstream)
	set(&f.OpenAPIURL, p.OpenAPIURL)
	set(&f.Public, p.Public)
	set(&f.Timeout, p.Timeout)
	set(&f.MCP, p.MCP)
	set(&f.CORSOrigins, p.CORSOrigins)
	set(&f.MCPMode, p.MCPMode)
	set(&f.MCPToolsets, p.MCPToolsets)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Snapshot is everything a server needs in memory: all functions and all unrevoked tokens.
type Snapshot struct {
	Functions []Function
	Tokens    []Token
}

// Store is the persistence interface. Implementations are safe for concurrent use. Times
// are stored to the millisecond and returned in UTC. The storetest package holds the
// behavioural suite every implementation passes.
type Store interface {
	// PutFunction inserts or updates f (matched by name) and reports whether it was created.
	// On insert the signing secret is f.SigningSecret, or a new random one when it is empty;
	// an update keeps the stored secrets (RotateSecret changes them).
	PutFunction(ctx context.Context, f Function) (created bool, err error)
	// PatchFunction changes the settings p names of function name, all in one step, so that
	// changes to different settings landing at once (two deploys, on any replicas) all take
	// effect, and returns the function. When the function does not exist it is created from
	// the defaults (DefaultTimeout, MCP on, the rest empty) and p, with a new signing secret,
	// if create is true (created is then true), and ErrNotFound otherwise. The secrets and
	// CreatedAt are never changed; UpdatedAt is now.
	PatchFunction(ctx context.Context, name string, p FunctionPatch, create bool) (f Function, created bool, err error)
	// GetFunction returns the named function or ErrNotFound.
	GetFunction(ctx context.Context, name string) (Function, error)
	// TouchFunction moves the named function's UpdatedAt to at, or a millisecond past the
	// stored one when at is not later, and writes nothing else. Servers fetch a function's
	// document again when its UpdatedAt moves, so this is a refresh that cannot undo a
	// deploy landing meanwhile, as writing the whole function back would. It wakes Watch.
	// ErrNotFound when the function does not exist.
	TouchFunction(ctx context.Context, name string, at time.Time) error
	// ListFunctions returns all functions ordered by name.
	ListFunctions(ctx context.Context) ([]Function, error)
	// DeleteFunction removes the function and all its tokens and sessions; ErrNotFound when
	// absent.
	DeleteFunction(ctx context.Context, name string) error

	// CreateToken stores t (t.ID, t.Function, t.Hash, t.Prefix and t.Name set by the caller;
	// CreatedAt defaults to now). ErrNotFound when the function does not exist.
	CreateToken(ctx context.Context, t Token) error
	// ListTokens returns the unrevoked tokens of function (expired ones included), oldest
	// first; ErrNotFound when the function does not exist.
	ListTokens(ctx context.Context, function string) ([]Token, error)
	// RevokeToken marks the token revoked and returns it; ErrNotFound when the function has no
	// such active token.
	RevokeToken(ctx context.Context, function, id string) (Token, error)
	// TouchTokens records last-used times in one batch (token id → time). Unknown ids are ignored,
	// a stored time never moves backwards, and touching does not wake Watch.
	TouchTokens(ctx context.Context, used map[string]time.Time) error

	// Snapshot returns all functions and unrevoked tokens.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Watch returns a channel that receives a value (coalesced) after any change to functions
	// or tokens made by any process sharing the store, within one second. It closes when ctx ends.
	Watch(ctx context.Context) <-chan struct{}
	// Ping checks that the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// Sessions keeps MCP sessions. Both implementations (SQLite and PostgreSQL) satisfy it
// alongside Store. Sessions are not part of Snapshot and none of these calls wakes Watch:
// servers look a session up when a request names it, so opening, using and ending sessions
// never makes every server reload.
//
// It is a separate interface for now so that in-memory Store fakes in other packages' tests
// keep compiling; Store will embed it once they implement it.
type Sessions interface {
	// CreateSession stores s (s.ID, s.Function and s.TokenHash set by the caller; CreatedAt
	// defaults to now and LastSeenAt to CreatedAt) and bounds the sessions of its function
	// and token hash to limit (DefaultSessionLimit when limit <= 0): in the same transaction
	// it deletes the least recently used others beyond limit-1, ordered by LastSeenAt, then
	// CreatedAt, then id, and returns their ids. s itself is never evicted. Concurrent calls,
	// from any number of processes sharing the store, never leave more than limit sessions.
	// It returns an error wrapping ErrNotFound when the function does not exist, and a plain
	// error when the id is taken.
	CreateSession(ctx context.Context, s Session, limit int) (evicted []string, err error)
	// GetSession returns the session with id, or ErrNotFound when it is unknown, was deleted,
	// or was removed as idle (or with its function).
	GetSession(ctx context.Context, id string) (Session, error)
	// DeleteSession removes the session; ErrNotFound when there is none with that id.
	DeleteSession(ctx context.Context, id string) error
	// TouchSessions records last-seen times in one batch (session id → time). Unknown ids and
	// zero times are ignored, and a stored time never moves backwards. A touched session is
	// Used: its LastSeenAt ends up at least a millisecond after its CreatedAt, even when the
	// time given is not.
	TouchSessions(ctx context.Context, seen map[string]time.Time) error
	// DeleteIdleSessions removes every session last seen before idleBefore, and every session
	// not Used that was created before unusedBefore (zero: none on that count), and returns
	// how many it removed.
	DeleteIdleSessions(ctx context.Context, idleBefore, unusedBefore time.Time) (int, error)
}

var (
	_ Sessions = (*SQLite)(nil)
	_ Sessions = (*Postgres)(nil)
	_ Secrets  = (*SQLite)(nil)
	_ Secrets  = (*Postgres)(nil)
	_ CronRuns = (*SQLite)(nil)
	_ CronRuns = (*Postgres)(nil)
)
