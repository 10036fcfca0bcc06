package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/mcp"
	"github.com/jfnhq/jfn/openapi"
)

// mcpFactory builds the /mcp handler of each function for gateway.Options.MCP: an
// mcp.Bridge over the shared sessions. A function whose bridge cannot be built gets no
// handler (its /mcp answers 404) and one log line; no other function is affected.
type mcpFactory struct {
	sessions       mcp.SessionStore
	client         *http.Client
	allowedOrigins []string
	publicHost     string // host name of the public URL ("" when it is a loopback address)
	domain         string // --domain: functions are also <name>.<domain>
	logger         zerolog.Logger
	// sign sets X-Jelou-Signature on a tool call's upstream request (gateway.Gateway.Sign).
	// It is set once, after the gateway is built and before anything serves.
	sign func(function string, r *http.Request, body []byte)

	mu   sync.Mutex
	live map[*mcp.Bridge]struct{} // built and not yet closed, for closeAll
}

// trackedBridge is an mcp.Bridge that leaves the factory's live set when the gateway closes
// it. Everything else the gateway uses is the Bridge's.
type trackedBridge struct {
	*mcp.Bridge
	f *mcpFactory
}

var _ gateway.MCPHandler = (*trackedBridge)(nil)

// Close releases the bridge (the gateway calls it when it stops serving one).
func (b *trackedBridge) Close() {
	b.f.mu.Lock()
	delete(b.f.live, b.Bridge)
	b.f.mu.Unlock()
	b.Bridge.Close()
}

// closeAll closes every bridge still served. Open GET streams never end on their own, so a
// server shutting down calls it to let them go instead of waiting out its shutdown timeout;
// the sessions stay in the store for another server to carry on.
func (m *mcpFactory) closeAll() {
	m.mu.Lock()
	live := m.live
	m.live = make(map[*mcp.Bridge]struct{})
	m.mu.Unlock()
	for b := range live {
		b.Close()
	}
}

// hosts lists the names the function is reached under besides loopback ones (mcp.Options.Hosts).
func (m *mcpFactory) hosts(function string) []string {
	var hs []string
	if m.publicHost != "" {
		hs = append(hs, m.publicHost)
	}
	if m.domain != "" {
		hs = append(hs, function+"."+m.domain)
	}
	return hs
}

func newMCPFactory(sessions mcp.SessionStore, allowedOrigins []string, publicURL, domain string, logger zerolog.Logger) *mcpFactory {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64 // tool calls to one upstream reuse connections under load
	tr.Proxy = nil              // upstreams are addressed directly, as the proxy and cron do
	var publicHost string
	if u, err := url.Parse(publicURL); err == nil {
		publicHost = u.Hostname()
	}
	return &mcpFactory{
		publicHost:     publicHost,
		sessions:       sessions,
		client:         &http.Client{Transport: tr},
		allowedOrigins: allowedOrigins,
		domain:         domain,
		logger:         logger,
		live:           make(map[*mcp.Bridge]struct{}),
	}
}

// handler is the gateway.Options.MCP hook.
func (m *mcpFactory) handler(fn store.Function, spec *openapi.Spec) gateway.MCPHandler {
	b, err := m.bridge(fn, spec)
	if err != nil {
		m.logger.Error().Str("function", fn.Name).Err(err).Msg("MCP endpoint unavailable")
		return nil // an untyped nil: the gateway then has no handler, not a nil *Bridge
	}
	m.mu.Lock()
	m.live[b] = struct{}{}
	m.mu.Unlock()
	return &trackedBridge{Bridge: b, f: m}
}

func (m *mcpFactory) bridge(fn store.Function, spec *openapi.Spec) (*mcp.Bridge, error) {
	up, err := url.Parse(fn.Upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return nil, fmt.Errorf("upstream %q is not an absolute http or https URL", fn.Upstream)
	}
	up.RawQuery, up.Fragment = "", ""
	return mcp.New(&mcp.Options{
		Function: fn.Name,
		Upstream: up,
		Timeout:  fn.EffectiveTimeout(),
		Client:   m.client,
		Sessions: m.sessions,
		// A function's CORS origins may call its /mcp from a browser too.
		AllowedOrigins: slices.Concat(m.allowedOrigins, fn.CORSOrigins),
		Hosts:          m.hosts(fn.Name),
		Public:         fn.Public,
		Mode:           fn.MCPMode,
		Toolsets:       fn.MCPToolsets,
		Logger:         m.logger,
		Signer: func(r *http.Request, body []byte) {
			if m.sign != nil {
				m.sign(fn.Name, r, body)
			}
		},
	}, spec)
}
