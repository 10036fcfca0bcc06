// Package gateway is jfn's HTTP application: it routes requests to deployed functions,
// enforces the runtime-token rule, reverse-proxies to each function's upstream, and serves
// the per-function routes that need no token (/__health and /openapi.json).
//
// A request flows through these layers, in this order:
//
//  1. the access log (log.go) assigns the request id, wraps the ResponseWriter and writes one
//     JSON line when the request ends;
//  2. route (routes.go) resolves the function from the Host
//     (<name>.<Domain>) or the first path segment (/<name>/…);
//  3. the dispatcher answers /__health and /openapi.json itself (health.go, openapi.go), hands
//     /mcp to the MCP layer (mcp.go), and sends everything else through the token check to
//     the reverse proxy (proxy.go).
//
// The admin handler (AdminHandler, admin.go) serves /healthz, /readyz and the Prometheus
// metrics at /metrics (metrics.go), from a registry of the Gateway's own.
//
// Nothing on the hot path touches the store or the network besides the upstream call: tokens
// are looked up in an in-memory index (index.go) that Run rebuilds whenever the store reports
// a change, last-use times are flushed in batches, and OpenAPI documents are fetched and
// parsed in the background.
//
// Typical wiring:
//
//	g, err := gateway.New(ctx, &gateway.Options{Store: st, Logger: log, PublicURL: "http://127.0.0.1:8080"})
//	if err != nil { … }
//	go g.Run(ctx)
//	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second}
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
	"github.com/rs/zerolog"
)

// Defaults applied by New.
const (
	DefaultSpecRefresh  = 60 * time.Second
	DefaultMaxBodyBytes = 10 << 20
)

// Options configures a Gateway. A nil *Options is an error (a Store is required); zero
// fields take the defaults documented on each.
type Options struct {
	// Store holds functions and tokens. Required.
	Store store.Store
	// Logger receives the access log and errors; it is never a global logger.
	Logger zerolog.Logger
	// Domain, when set, routes <name>.<Domain> hosts to functions (the port is ignored).
	Domain string
	// PublicURL is the base URL clients use, e.g. "http://127.0.0.1:8080". It becomes the
	// servers entry of /openapi.json (PublicURL + "/" + name). When empty, the request's own
	// scheme and Host are used if the Host is the gateway's own (loopback, <name>.<Domain>),
	// else the relative "/<name>" (see documentServer).
	PublicURL string
	// SpecRefresh is how often OpenAPI documents are re-fetched; 60 s when zero. A
	// Cache-Control max-age from the upstream overrides it per document.
	SpecRefresh time.Duration
	// Client fetches OpenAPI documents; a client with sane timeouts when nil. Unless it has
	// its own CheckRedirect, a fetch follows at most 3 redirects, all to the scheme, host and
	// port of the document URL.
	Client *http.Client
	// MaxBodyBytes bounds request bodies (413 beyond it); 10 MiB when zero.
	MaxBodyBytes int64
	// BodyTimeout is how long a request body may take to arrive (408 after it); 30 s when
	// zero.
	BodyTimeout time.Duration
	// MaxInflightBytes caps the bytes of request bodies buffered by all requests together
	// (503 with Retry-After beyond it); 256 MiB when zero.
	MaxInflightBytes int64
	// MCP builds the handler of a function's /mcp endpoint from the function and its parsed
	// document (nil while none has loaded). It is called when a function with MCP on
	// appears, and again when its MCP settings (upstream, timeout, public flag, CORS origins,
	// mode, toolsets) or its document URL change. A new document
	// goes to the running handler through its SetSpec(*openapi.Spec) bool method when it has
	// one (so sessions survive a refresh), else MCP is called again. When a token is revoked
	// or deleted, EndTokenSessions([32]byte), if present, ends its open streams; a handler
	// the gateway stops serving is released with Close(), if present, and
	// SetObserver(mcp.Observer), if present, is called before the handler serves anything so
	// that its tool calls, sessions and streams reach the metrics. mcp.Bridge has all four
	// methods.
	//
	// The handler receives requests whose path is relative to the function ("/mcp"), whose
	// X-Jelou-Token header has been checked and removed, and whose context carries the
	// token's auth.Info (auth.FromContext; absent for public functions). When MCP is nil,
	// /mcp answers 404.
	MCP func(fn store.Function, spec *openapi.Spec) MCPHandler
	// Cron, when set, is told every function's settings and document as they change (see
	// Cron in cron.go), so that a scheduler fires the schedules the documents declare.
	Cron Cron
	// SignatureCompatV1 adds the legacy body-only v1 values after the v2 ones in every
	// X-Jelou-Signature (--signature-compat v1), for functions that do not verify v2 yet.
	SignatureCompatV1 bool
}

// Gateway is the HTTP application. Create it with New, serve Handler and AdminHandler, and
// run Run in the background.
type Gateway struct {
	store       store.Store
	log         zerolog.Logger
	domain      string
	publicURL   string
	specRefresh time.Duration
	client      *http.Client
	maxBody     int64
	bodyTimeout time.Duration
	inflight    inflight // body bytes held, against MaxInflightBytes (body.go)
	mcpFactory  func(store.Function, *apiSpec) MCPHandler
	cron        Cron
	signV1      bool // Options.SignatureCompatV1

	transport *http.Transport
	bufPool   *bufferPool
	lookup    auth.Lookup
	handler   http.Handler
	admin     http.Handler

	idx        atomic.Pointer[index]
	reloadedAt atomic.Int64  // Unix nanoseconds of the last index rebuild from a snapshot
	storeDown  atomic.Bool   // the last store call that could tell failed (storecheck.go)
	storeBack  chan struct{} // wakes Run to reload when the store answers again
	metrics    *metrics

	mu    sync.Mutex            // guards the maps below and spec scheduling
	usage map[string]*usage     // token id → last use, kept across index rebuilds
	specs map[string]*specEntry // function name → its document
	fnm   map[string]*fnMetrics // function name → its metric series
	kick  chan struct{}         // wakes the spec scheduler

	fetchSem chan struct{} // bounds concurrent document fetches

	running atomic.Bool

	// Tuning knobs; tests shorten them.
	flushEvery  time.Duration
	resyncEvery time.Duration
	specWait    time.Duration // how long a request waits for a function's first document
	specTick    time.Duration
	storeCheck  time.Duration
}

// New builds a Gateway and loads the store's snapshot. It fails when the store is
// unreachable. OpenAPI documents are fetched by Run.
func New(ctx context.Context, opts *Options) (*Gateway, error) {
	if opts == nil || opts.Store == nil {
		return nil, errors.New("gateway: a store is required")
	}
	g := &Gateway{
		store:       opts.Store,
		log:         opts.Logger,
		domain:      strings.Trim(strings.ToLower(opts.Domain), "."),
		publicURL:   strings.TrimRight(opts.PublicURL, "/"),
		specRefresh: opts.SpecRefresh,
		client:      opts.Client,
		maxBody:     opts.MaxBodyBytes,
		bodyTimeout: opts.BodyTimeout,
		mcpFactory:  opts.MCP,
		cron:        opts.Cron,
		signV1:      opts.SignatureCompatV1,
		usage:       make(map[string]*usage),
		specs:       make(map[string]*specEntry),
		fnm:         make(map[string]*fnMetrics),
		kick:        make(chan struct{}, 1),
		storeBack:   make(chan struct{}, 1),
		fetchSem:    make(chan struct{}, maxSpecFetches),
		flushEvery:  5 * time.Second,
		resyncEvery: time.Minute,
		specWait:    3 * time.Second,
		specTick:    time.Second,
		storeCheck:  DefaultStoreCheck,
	}
	if g.specRefresh <= 0 {
		g.specRefresh = DefaultSpecRefresh
	}
	if g.maxBody <= 0 {
		g.maxBody = DefaultMaxBodyBytes
	}
	if g.bodyTimeout <= 0 {
		g.bodyTimeout = DefaultBodyTimeout
	}
	g.inflight.limit = opts.MaxInflightBytes
	if g.inflight.limit <= 0 {
		g.inflight.limit = DefaultMaxInflightBytes
	}
	if g.client != nil && g.client.CheckRedirect == nil {
		c := *g.client
		c.CheckRedirect = documentRedirects
		g.client = &c
	}
	if g.client == nil {
		g.client = &http.Client{
			CheckRedirect: documentRedirects,
			Timeout:       15 * time.Second,
			Transport: &http.Transport{
				DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				TLSHandshakeTimeout:   5 * time.Second,
				ResponseHeaderTimeout: 10 * time.Second,
				MaxIdleConnsPerHost:   2,
				IdleConnTimeout:       90 * time.Second,
			},
		}
	}
	g.transport = newTransport()
	g.bufPool = newBufferPool()
	g.lookup = g.lookupToken
	g.metrics = newMetrics(g)
	g.idx.Store(&index{functions: map[string]*function{}, tokens: map[[32]byte]tokenEntry{}})

	snap, err := g.store.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway: load snapshot: %w", err)
	}
	g.apply(snap)
	g.handler = g.routes()
	g.admin = g.adminRoutes()
	return g, nil
}

// Handler returns the public handler: every function's routes.
func (g *Gateway) Handler() http.Handler { return g.handler }

// AdminHandler returns the operator's handler: /healthz (the process is up), /readyz (the
// store answers and every function's OpenAPI document has loaded once) and /metrics
// (Prometheus text format; see metrics.go for the series). Serve it on a separate, private
// listener: the public handler never serves metrics.
func (g *Gateway) AdminHandler() http.Handler { return g.admin }

// Run does the background work until ctx ends: it reloads the in-memory index whenever the
// store reports a change (and on a slow periodic resync), flushes last-use times in batches,
// fetches and refreshes OpenAPI documents, and pings the store every DefaultStoreCheck to
// log an outage and the recovery (reloading at once when the store answers again). When ctx
// ends it flushes once more and returns nil. Run must be called at most once.
func (g *Gateway) Run(ctx context.Context) error {
	if !g.running.CompareAndSwap(false, true) {
		return errors.New("gateway: Run called twice")
	}
	var fetches, checker sync.WaitGroup
	checker.Go(func() { g.checkStore(ctx) })
	defer func() {
		checker.Wait()
		fetches.Wait()
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		g.flush(flushCtx)
		g.transport.CloseIdleConnections()
	}()

	watch := g.store.Watch(ctx)
	var rewatch <-chan time.Time
	flushT := time.NewTicker(g.flushEvery)
	defer flushT.Stop()
	resyncT := time.NewTicker(g.resyncEvery)
	defer resyncT.Stop()
	specT := time.NewTicker(g.specTick)
	defer specT.Stop()
	var retry <-chan time.Time // set after a failed reload

	// Reload once: the store may have changed between New and Run.
	if err := g.reload(ctx); err != nil {
		retry = time.After(time.Second)
	}
	g.scheduleSpecs(ctx, &fetches)
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-watch:
			if !ok {
				// The feed ended without ctx ending: subscribe again shortly.
				watch = nil
				rewatch = time.After(time.Second)
				continue
			}
			if err := g.reload(ctx); err != nil {
				retry = time.After(time.Second)
			}
			g.scheduleSpecs(ctx, &fetches)
		case <-rewatch:
			rewatch = nil
			watch = g.store.Watch(ctx)
			if err := g.reload(ctx); err != nil {
				retry = time.After(time.Second)
			}
		case <-retry:
			retry = nil
			if err := g.reload(ctx); err != nil {
				retry = time.After(time.Second)
			}
			g.scheduleSpecs(ctx, &fetches)
		case <-g.storeBack:
			if err := g.reload(ctx); err != nil {
				retry = time.After(time.Second)
			}
			g.scheduleSpecs(ctx, &fetches)
		case <-resyncT.C:
			if err := g.reload(ctx); err != nil {
				retry = time.After(time.Second)
			}
		case <-flushT.C:
			g.flush(ctx)
		case <-specT.C:
			g.scheduleSpecs(ctx, &fetches)
		case <-g.kick:
			g.scheduleSpecs(ctx, &fetches)
		}
	}
}

// reload replaces the in-memory index with a fresh snapshot of the store. An unreachable
// store is reported through NoteStore, once per outage, though reloads retry every second.
func (g *Gateway) reload(ctx context.Context) error {
	snap, err := g.store.Snapshot(ctx)
	if err != nil {
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, store.ErrUnreachable):
			g.NoteStore(err)
		default:
			g.log.Error().Err(err).Msg("reload snapshot failed; keeping the previous index")
		}
		return err
	}
	g.NoteStore(nil)
	g.apply(snap)
	return nil
}
