package mcp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/openapi"
)

const (
	heartbeat = 30 * time.Second
	idleTTL   = time.Hour
)

// Options configures a Bridge. Function, Upstream, Timeout and Sessions are required.
type Options struct {
	// Function is the function's name; it goes upstream in X-Jelou-Function.
	Function string
	// Upstream is the function's base URL; tool calls are built relative to it.
	Upstream *url.URL
	// Timeout bounds each tool call, from sending the request to reading the whole
	// response: the function's own timeout, which the caller knows (the bridge has no
	// default of its own, so that one rule decides it).
	Timeout time.Duration
	// Client sends tool calls upstream. When it is nil, or has no Transport, a transport
	// like http.DefaultTransport but without HTTP_PROXY/HTTPS_PROXY is used: upstreams are
	// addressed directly, as the gateway's proxy does. Its own Timeout, if any, applies as
	// well. Redirects are never followed unless the client has its own CheckRedirect: like
	// the proxy, a tool call reports a 3xx as it is.
	Client *http.Client
	// Sessions keeps the MCP sessions, shared by every replica.
	Sessions SessionStore
	// AllowedOrigins lists browser origins (scheme://host[:port]) allowed besides the
	// request's own.
	AllowedOrigins []string
	// Hosts lists the host names (without port) under which this gateway is reached, besides
	// loopback names: the public URL's host and, with a domain, <function>.<domain>. A
	// browser Origin equal to the request's own scheme and host passes only when the Host is
	// one of these or a loopback name, so a DNS-rebinding page (whose Origin and Host are both
	// the attacker's name) is refused.
	Hosts []string
	// Public marks a function that needs no token. Its sessions are bound to "no token".
	Public bool
	// Logger receives one line per failed tool call and per skipped tool.
	Logger zerolog.Logger
	// Signer, when set, signs every request sent upstream (X-Jelou-Signature); it gets the
	// finished request (method, URL, X-Request-Id and the other headers as they will be
	// sent; the request-target is r.URL.RequestURI()) and its exact body.
	Signer func(r *http.Request, body []byte)
	// Observer, when set, receives tool calls, sessions and streams for metrics (see
	// Observer); Bridge.SetObserver replaces it.
	Observer Observer
	// Mode is the default catalogue mode: "auto" (or ""), "all" or "search". A connection's
	// ?mode= overrides it.
	Mode string
	// Toolsets are the default toolsets (OpenAPI tags as catalog.Toolsets names them); none:
	// every tool. A connection's ?toolsets= overrides them. Defaults the document does not
	// have are ignored.
	Toolsets []string
}

// directTransport sends the tool calls of Bridges given no transport: http.DefaultTransport's
// settings, without a proxy from the environment.
var directTransport = func() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return tr
}()

// Bridge serves one function's OpenAPI operations as MCP tools over Streamable HTTP.
// It is an http.Handler meant to be mounted at the function's /mcp path, behind the token
// check (see the package documentation for what the gateway must do before it).
type Bridge struct {
	opts    Options
	timeout time.Duration
	client  *http.Client
	logger  zerolog.Logger

	srv  *server.MCPServer
	http *server.StreamableHTTPServer

	defaultView viewSpec // the catalogue of a URL without a query (catalogue.go)

	mu    sync.Mutex // serialises SetSpec
	tools atomic.Pointer[toolSet]

	obs      observerSlot
	calls    callsInFlight // the hot path's tool calls, for notifications/cancelled
	streams  streamRegistry
	sessions sessionTracker
	closed   atomic.Bool
}

// New returns a Bridge serving the tools of spec (which may be nil: no tools until SetSpec).
func New(opts *Options, spec *openapi.Spec) (*Bridge, error) {
	if opts == nil {
		return nil, errors.New("mcp: nil options")
	}
	if opts.Function == "" {
		return nil, errors.New("mcp: options need a function name")
	}
	if opts.Upstream == nil || opts.Upstream.Scheme == "" || opts.Upstream.Host == "" {
		return nil, errors.New("mcp: options need an absolute upstream URL")
	}
	if opts.Timeout <= 0 {
		return nil, errors.New("mcp: options need a positive timeout")
	}
	if opts.Sessions == nil {
		return nil, errors.New("mcp: options need a session store")
	}
	b := &Bridge{
		opts:    *opts,
		timeout: opts.Timeout,
		logger:  opts.Logger.With().Str("function", opts.Function).Logger(),
	}
	client := http.Client{}
	if opts.Client != nil {
		client = *opts.Client
	}
	if client.Transport == nil {
		client.Transport = directTransport
	}
	if client.CheckRedirect == nil {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	b.client = &client
	b.obs.set(opts.Observer)
	b.streams.init(&b.obs)
	b.sessions.init(&b.obs)
	b.tools.Store(newToolSet())
	b.defaultView = b.defaultViewSpec()

	// Input validation stays off in mcp-go: the handler validates with openapi's Validate,
	// whose messages name each bad field in plain words. Output validation is
	// done by the handler too, so that a mismatch can carry the body (see result.go).
	b.srv = server.NewMCPServer(opts.Function, "1",
		server.WithToolCapabilities(true),
		server.WithToolFilter(b.filterTools), // the connection's catalogue (catalogue.go)
		server.WithLogging(),
		server.WithRecovery(),
	)
	b.http = server.NewStreamableHTTPServer(b.srv,
		server.WithDisableLocalhostProtection(true), // our own Origin rule replaces it
		server.WithSessionIdManagerResolver(sessionResolver{store: opts.Sessions, streams: &b.streams, tracker: &b.sessions, logger: &b.logger}),
		// A ping on idle GET streams keeps proxies from cutting them, and marks the session
		// active for the idle sweep, which frees mcp-go's memory of sessions whose client
		// left without DELETE (the store keeps the session itself).
		server.WithHeartbeatInterval(heartbeat),
		server.WithSessionIdleTTL(idleTTL),
	)
	if spec != nil {
		b.SetSpec(spec)
	}
	return b, nil
}

// SetSpec replaces the tool set with the tools of spec. When the visible set (names,
// titles, descriptions, schemas, annotations) changed, every open session gets
// notifications/tools/list_changed and SetSpec reports true. A tool whose schema is not
// usable is left out and logged; it never takes the others down.
func (b *Bridge) SetSpec(spec *openapi.Spec) (changed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return false
	}
	var defs []openapi.Tool
	if spec != nil {
		defs = spec.Tools()
	}
	next := b.buildTools(defs)
	prev := b.tools.Load()
	// The handler finds tools through b.tools, so storing it first means a call never sees a
	// tool listed but unknown to the handler for longer than this function runs.
	b.tools.Store(next)
	if prev.fingerprint == next.fingerprint {
		return false
	}
	b.logSkipped(next) // once per change, not on every refresh
	b.register(next)
	return true
}

// Close ends every open stream and releases the bridge's resources. Sessions stay in the
// store (another replica may carry them on); requests after Close get 404.
func (b *Bridge) Close() {
	if b.closed.Swap(true) {
		return
	}
	b.streams.closeAll()
	b.sessions.endAll()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.http.Shutdown(ctx) // no http.Server of its own: this only closes its sessions
}

// EndTokenSessions closes the open streams of every session this replica serves for the
// token with hash tokenHash. The gateway calls it when that token is revoked or expires,
// so that a GET stream opened before the revocation stops too; every later request of that
// token is refused by the token check before it reaches the Bridge. Its sessions no longer
// count as open (Observer.Sessions).
func (b *Bridge) EndTokenSessions(tokenHash [32]byte) {
	b.streams.closeToken(tokenHash)
	b.sessions.endToken(tokenHash)
}

// Bounds on open GET streams, which hold a connection and goroutines until the client
// leaves: per session (a client needs one; the spec allows a few), and per binding (a token,
// or a public function's tokenless sessions), as the session cap bounds sessions.
const (
	maxStreamsPerSession = 4
	maxStreamsPerBinding = 1000
)

// streamRegistry tracks the open GET streams by token, so they can be ended at once, and
// reports them to the Observer.
type streamRegistry struct {
	obs  *observerSlot
	mu   sync.Mutex
	next uint64
	m    map[[32]byte]map[uint64]openStream
}

type openStream struct {
	session string
	cancel  context.CancelFunc
}

func (s *streamRegistry) init(obs *observerSlot) {
	s.obs = obs
	s.m = make(map[[32]byte]map[uint64]openStream)
}

// add registers a stream of session under hash and returns the function that removes it,
// or false when the session or the binding already has as many streams as allowed.
func (s *streamRegistry) add(hash [32]byte, session string, cancel context.CancelFunc) (remove func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.m[hash]
	if len(set) >= maxStreamsPerBinding {
		return nil, false
	}
	n := 0
	for _, st := range set {
		if st.session == session {
			n++
		}
	}
	if n >= maxStreamsPerSession {
		return nil, false
	}
	s.next++
	id := s.next
	if s.m[hash] == nil {
		s.m[hash] = make(map[uint64]openStream)
	}
	s.m[hash][id] = openStream{session, cancel}
	s.obs.get().Streams(1)
	return func() {
		s.mu.Lock()
		delete(s.m[hash], id)
		if len(s.m[hash]) == 0 {
			delete(s.m, hash)
		}
		s.mu.Unlock()
		s.obs.get().Streams(-1)
	}, true
}

func (s *streamRegistry) closeToken(hash [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.m[hash] {
		st.cancel()
	}
}

// closeSession ends the streams of one session, after its DELETE.
func (s *streamRegistry) closeSession(session string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, set := range s.m {
		for _, st := range set {
			if st.session == session {
				st.cancel()
			}
		}
	}
}

func (s *streamRegistry) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, set := range s.m {
		for _, st := range set {
			st.cancel()
		}
	}
}
