package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/internal/console"
	"github.com/jfnhq/jfn/internal/cron"
	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/gctune"
	"github.com/jfnhq/jfn/internal/store"
)

const serveUsage = `Usage: jfn serve [flags]

Runs the gateway. Flags beat their environment variables.

  --listen ADDR          public address (env JFN_LISTEN, default 127.0.0.1:8080)
  --admin-listen ADDR    the web console, /healthz, /readyz and /metrics
                         (env JFN_ADMIN_LISTEN, default 127.0.0.1:9090)
  --admin-token T        the console asks for it once (env JFN_ADMIN_TOKEN); without it the
                         console is served only on a loopback --admin-listen
  --domain D             route <name>.D to function name (env JFN_DOMAIN)
  --public-url U         base URL callers use, e.g. https://gw.example.com (env JFN_PUBLIC_URL)
  --allowed-origins L    comma-separated browser origins allowed on /mcp (env JFN_ALLOWED_ORIGINS)
  --spec-refresh D       how often OpenAPI documents are re-fetched (env JFN_SPEC_REFRESH, default 60s)
  --session-ttl D        MCP sessions unused this long are removed (env JFN_SESSION_TTL, default 24h)
  --max-body-bytes N     largest request body proxied (env JFN_MAX_BODY_BYTES, default 10485760)
  --body-timeout D       how long a request body may take to arrive, then 408 (env JFN_BODY_TIMEOUT, default 30s)
  --max-inflight-bytes N request bodies buffered at once, all requests together, then 503
                         (env JFN_MAX_INFLIGHT_BYTES, default 268435456)
  --signature-compat v1  also send the old body-only v1 signature after the v2 one, for
                         functions not yet verifying v2; v1 can be replayed to any path
                         (env JFN_SIGNATURE_COMPAT, default none)
  --shutdown-timeout D   how long open requests may finish on SIGINT/SIGTERM (default 10s)
  --db PATH              the store (env JFN_DB, default ./jfn.db)
`

const (
	defaultListen      = "127.0.0.1:8080"
	defaultAdminListen = "127.0.0.1:9090"
)

// serveConfig is the validated configuration of a gateway server.
type serveConfig struct {
	DB              string
	Listen          string
	AdminListen     string
	AdminToken      string // "" serves the console on a loopback admin listener only
	Domain          string
	PublicURL       string // "" means http://<listen address>
	AllowedOrigins  []string
	SpecRefresh     time.Duration
	SessionTTL      time.Duration
	MaxBodyBytes    int64
	BodyTimeout     time.Duration
	MaxInflight     int64
	ShutdownTimeout time.Duration
	// SignatureCompat is "v1" to add the legacy body-only v1 values to X-Jelou-Signature,
	// or "" for v2 only.
	SignatureCompat string
}

// parseServeConfig reads serve's flags, with JFN_* variables as their defaults, and validates
// the result before anything listens.
func parseServeConfig(e *env, args []string) (serveConfig, error) {
	fs := newFlagSet("serve")
	listen := fs.String("listen", envOr(e, "JFN_LISTEN", defaultListen), "")
	admin := fs.String("admin-listen", envOr(e, "JFN_ADMIN_LISTEN", defaultAdminListen), "")
	adminToken := fs.String("admin-token", e.getenv("JFN_ADMIN_TOKEN"), "")
	domain := fs.String("domain", e.getenv("JFN_DOMAIN"), "")
	publicURL := fs.String("public-url", e.getenv("JFN_PUBLIC_URL"), "")
	origins := fs.String("allowed-origins", e.getenv("JFN_ALLOWED_ORIGINS"), "")
	refresh := fs.String("spec-refresh", envOr(e, "JFN_SPEC_REFRESH", "60s"), "")
	sessionTTL := fs.String("session-ttl", envOr(e, "JFN_SESSION_TTL", defaultSessionTTL.String()), "")
	maxBody := fs.String("max-body-bytes", envOr(e, "JFN_MAX_BODY_BYTES", "10485760"), "")
	bodyTimeout := fs.String("body-timeout", envOr(e, "JFN_BODY_TIMEOUT", gateway.DefaultBodyTimeout.String()), "")
	inflight := fs.String("max-inflight-bytes", envOr(e, "JFN_MAX_INFLIGHT_BYTES", strconv.Itoa(gateway.DefaultMaxInflightBytes)), "")
	shutdown := fs.Duration("shutdown-timeout", 10*time.Second, "")
	compat := fs.String("signature-compat", e.getenv("JFN_SIGNATURE_COMPAT"), "")
	pos, err := parseArgs(fs, args, serveUsage)
	if err != nil {
		return serveConfig{}, err
	}
	if err := wantArgs("serve", pos); err != nil {
		return serveConfig{}, err
	}
	cfg := serveConfig{
		DB:              e.db,
		Listen:          *listen,
		AdminListen:     *admin,
		AdminToken:      *adminToken,
		Domain:          strings.ToLower(strings.TrimSuffix(*domain, ".")),
		PublicURL:       strings.TrimSuffix(*publicURL, "/"),
		ShutdownTimeout: *shutdown,
		SignatureCompat: *compat,
	}
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
		}
	}
	if cfg.SpecRefresh, err = parseDuration(*refresh); err != nil || cfg.SpecRefresh <= 0 {
		return cfg, usagef("jfn serve: invalid --spec-refresh %q: want a positive duration such as 60s", *refresh)
	}
	if cfg.SessionTTL, err = parseDuration(*sessionTTL); err != nil || cfg.SessionTTL <= 0 {
		return cfg, usagef("jfn serve: invalid --session-ttl %q: want a positive duration such as 24h or 7d", *sessionTTL)
	}
	if cfg.MaxBodyBytes, err = strconv.ParseInt(*maxBody, 10, 64); err != nil || cfg.MaxBodyBytes <= 0 {
		return cfg, usagef("jfn serve: invalid --max-body-bytes %q: want a positive number of bytes", *maxBody)
	}
	if cfg.BodyTimeout, err = parseDuration(*bodyTimeout); err != nil || cfg.BodyTimeout <= 0 {
		return cfg, usagef("jfn serve: invalid --body-timeout %q: want a positive duration such as 30s", *bodyTimeout)
	}
	if cfg.MaxInflight, err = strconv.ParseInt(*inflight, 10, 64); err != nil || cfg.MaxInflight <= 0 {
		return cfg, usagef("jfn serve: invalid --max-inflight-bytes %q: want a positive number of bytes", *inflight)
	}
	if cfg.MaxInflight <= cfg.MaxBodyBytes {
		return cfg, usagef("jfn serve: --max-inflight-bytes %d must be more than --max-body-bytes %d, or one request at the limit could never be served", cfg.MaxInflight, cfg.MaxBodyBytes)
	}
	return cfg, cfg.validate()
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// validate checks the configuration; every problem is a usage error.
func (c serveConfig) validate() error {
	if err := checkListen("--listen", c.Listen); err != nil {
		return err
	}
	if err := checkListen("--admin-listen", c.AdminListen); err != nil {
		return err
	}
	if sameAddr(c.Listen, c.AdminListen) {
		return usagef("jfn serve: --admin-listen %s is the public address; give the admin endpoints their own port", c.AdminListen)
	}
	if c.Domain != "" && !validDomain(c.Domain) {
		return usagef("jfn serve: invalid --domain %q: want a DNS name such as fn.example.com", c.Domain)
	}
	if c.PublicURL != "" {
		if err := checkBaseURL(c.PublicURL); err != nil {
			return usagef("jfn serve: invalid --public-url: %v", err)
		}
	}
	if c.ShutdownTimeout <= 0 {
		return usagef("jfn serve: --shutdown-timeout must be positive")
	}
	if c.SignatureCompat != "" && c.SignatureCompat != "v1" {
		return usagef("jfn serve: invalid --signature-compat %q: the only value is v1 (or leave it unset for v2 signatures only)", c.SignatureCompat)
	}
	return nil
}

func checkListen(flag, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("jfn serve: invalid %s %q: want host:port such as 127.0.0.1:8080", flag, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return usagef("jfn serve: invalid port in %s %q", flag, addr)
	}
	return nil
}

// sameAddr reports whether two listen addresses would collide. Port 0 never collides.
func sameAddr(a, b string) bool {
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	if pa != pb || pa == "0" {
		return false
	}
	return ha == hb || unspecified(ha) || unspecified(hb)
}

func unspecified(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !validName(l) {
			return false
		}
	}
	return true
}

// checkBaseURL accepts an absolute http or https URL without query or fragment.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http:// or https:// URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q has a query or fragment", s)
	}
	return nil
}

// baseURL is the URL of a listen address: an unspecified host becomes 127.0.0.1.
func baseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if unspecified(host) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Server is a running gateway: the public listener, the admin listener and the gateway's
// background loops. Open listens before it serves, so a busy port fails synchronously; Close
// shuts down gracefully. Tests run it on 127.0.0.1:0 and learn the address from Addr.
type Server struct {
	cfg    serveConfig
	logger zerolog.Logger

	store     store.Store
	gw        *gateway.Gateway
	ln        net.Listener
	adminLn   net.Listener
	srv       *http.Server
	adminSrv  *http.Server
	publicURL string

	sessions *storeSessions
	mcp      *mcpFactory
	// consoleOff says why the admin listener does not serve the console; "" when it does.
	consoleOff string
	cron       *cron.Scheduler

	// How often MCP session use is written to the store and idle sessions are removed;
	// NewServer sets the defaults and tests shorten them before Open.
	sessionFlush, sessionSweep time.Duration
	// sessionLimit caps the live MCP sessions per token and function; sessionUnused is how
	// long a session with no request after initialize lives. Tests lower them before Open.
	sessionLimit  int
	sessionUnused time.Duration

	stop    context.CancelFunc // ends the gateway's background loops
	wg      sync.WaitGroup
	errc    chan error
	closeMu sync.Mutex
	closed  bool
}

// NewServer returns a Server for cfg that logs to logger. It does nothing until Open.
func NewServer(cfg serveConfig, logger zerolog.Logger) *Server {
	return &Server{
		cfg: cfg, logger: logger, errc: make(chan error, 3),
		sessionFlush: sessionFlushEvery, sessionSweep: sessionSweepEvery,
		sessionLimit: store.DefaultSessionLimit, sessionUnused: unusedSessionTTL,
	}
}

// Open opens the store, listens on both addresses, and starts serving.
func (s *Server) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if s.store, err = store.Open(ctx, s.cfg.DB); err != nil {
		return fmt.Errorf("cannot open the store %s: %w; check --db or JFN_DB", redactDSN(s.cfg.DB), err)
	}
	if s.ln, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return fmt.Errorf("cannot listen on %s: %w; stop what uses it or pick another address with --listen", s.cfg.Listen, err)
	}
	if s.adminLn, err = net.Listen("tcp", s.cfg.AdminListen); err != nil {
		return fmt.Errorf("cannot listen on %s for the admin endpoints: %w; pick another address with --admin-listen", s.cfg.AdminListen, err)
	}
	s.publicURL = s.cfg.PublicURL
	if s.publicURL == "" {
		s.publicURL = baseURL(s.ln.Addr().String())
	}
	ss, ok := s.store.(store.Sessions)
	if !ok {
		return fmt.Errorf("the store %s cannot keep MCP sessions", redactDSN(s.cfg.DB))
	}
	ttl := s.cfg.SessionTTL
	if ttl <= 0 {
		ttl = defaultSessionTTL
	}
	s.sessions = newStoreSessions(ss, ttl, s.sessionUnused, s.sessionLimit)
	s.mcp = newMCPFactory(s.sessions, s.cfg.AllowedOrigins, s.publicURL, s.cfg.Domain, s.logger)
	runs, ok := s.store.(store.CronRuns)
	if !ok {
		return fmt.Errorf("the store %s cannot record cron runs", redactDSN(s.cfg.DB))
	}
	// The gateway tells the scheduler about every function and document (Options.Cron); the
	// scheduler's runs reach the gateway's metrics. gw is set before anything runs.
	var gw *gateway.Gateway
	if s.cron, err = cron.New(&cron.Options{
		Runs:              runs,
		Logger:            s.logger.With().Str("component", "cron").Logger(),
		SignatureCompatV1: s.cfg.SignatureCompat == "v1",
		Observe: func(function, schedule, outcome string, d time.Duration) {
			gw.ObserveCronRun(function, schedule, outcome, d)
		},
	}); err != nil {
		return fmt.Errorf("cannot start the cron scheduler: %w", err)
	}
	gw, err = gateway.New(ctx, &gateway.Options{
		Store:  s.store,
		Logger: s.logger,
		Domain: s.cfg.Domain,
		// Unset, the gateway builds each function's URL from the Host the caller used, which
		// is right for every address the listener answers on.
		PublicURL:         s.cfg.PublicURL,
		SpecRefresh:       s.cfg.SpecRefresh,
		MaxBodyBytes:      s.cfg.MaxBodyBytes,
		BodyTimeout:       s.cfg.BodyTimeout,
		MaxInflightBytes:  s.cfg.MaxInflight,
		AllowedOrigins:    s.cfg.AllowedOrigins,
		MCP:               s.mcp.handler,
		Cron:              s.cron,
		SignatureCompatV1: s.cfg.SignatureCompat == "v1",
	})
	if err != nil {
		return fmt.Errorf("cannot start the gateway: %w", err)
	}
	// Bridges built by gateway.New sign through the gateway, which holds the current secrets.
	s.mcp.sign = gw.Sign
	errLog := log.New(s.logger.With().Str("component", "http").Logger(), "", 0)
	s.srv = &http.Server{
		Handler:           gw.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Header blocks well above the 4 KB token cap are accepted, so that an oversized
		// X-Jelou-Token gets the token rule's 401 rather than a 431.
		MaxHeaderBytes: 64 << 10,
		// WriteTimeout stays 0: proxied SSE responses and /mcp stream for as long as they last.
		ErrorLog: errLog,
	}
	s.gw = gw
	var con http.Handler
	if s.consoleOff = consoleRefusal(s.adminLn.Addr().String(), s.cfg.AdminToken); s.consoleOff == "" {
		c, err := console.New(&consoleBackend{store: s.store, gw: gw, publicURL: s.PublicURL, domain: s.cfg.Domain},
			&console.Options{AdminToken: s.cfg.AdminToken, Logger: s.logger})
		if err != nil {
			return fmt.Errorf("cannot build the console: %w", err)
		}
		con = c
	} else {
		s.logger.Warn().Str("admin_addr", s.AdminAddr()).Msg(s.consoleOff)
	}
	s.adminSrv = &http.Server{
		Handler:           adminHandler(gw.AdminHandler(), con, s.consoleOff),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// A tool call from the console may take the longest upstream timeout.
		WriteTimeout: store.MaxTimeout + 10*time.Second,
		IdleTimeout:  time.Minute,
		ErrorLog:     errLog,
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.wg.Add(5)
	go func() {
		defer s.wg.Done()
		if err := gw.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			s.errc <- fmt.Errorf("gateway stopped: %w", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		_ = s.cron.Run(runCtx) // returns nil once its runs in flight are recorded
	}()
	go func() {
		defer s.wg.Done()
		s.sessions.run(runCtx, s.logger, s.sessionFlush, s.sessionSweep)
	}()
	for _, p := range []struct {
		srv *http.Server
		ln  net.Listener
	}{{s.srv, s.ln}, {s.adminSrv, s.adminLn}} {
		go func() {
			defer s.wg.Done()
			if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.errc <- fmt.Errorf("serve %s: %w", p.ln.Addr(), err)
			}
		}()
	}
	s.logger.Info().Str("addr", s.Addr()).Str("admin_addr", s.AdminAddr()).
		Str("public_url", s.publicURL).Str("domain", s.cfg.Domain).Msg("listening")
	return nil
}

// Addr returns the public listener's address, e.g. 127.0.0.1:8080.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// AdminAddr returns the admin listener's address.
func (s *Server) AdminAddr() string { return s.adminLn.Addr().String() }

// URL returns the base URL of the public listener, e.g. http://127.0.0.1:8080.
func (s *Server) URL() string { return baseURL(s.Addr()) }

// PublicURL returns the base URL that function URLs are built from.
func (s *Server) PublicURL() string { return s.publicURL }

// Err reports a failure that stopped the server while it was running.
func (s *Server) Err() <-chan error { return s.errc }

// Close stops accepting connections, ends open MCP streams, lets open requests finish within
// the shutdown timeout, stops the background loops and closes the store.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	var (
		errs     []error
		mu       sync.Mutex
		shutting sync.WaitGroup
	)
	for _, srv := range []*http.Server{s.srv, s.adminSrv} {
		shutting.Add(1)
		go func() {
			defer shutting.Done()
			if err := srv.Shutdown(ctx); err != nil {
				// Streams still open at the deadline are cut.
				_ = srv.Close()
				if !errors.Is(err, context.DeadlineExceeded) {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	// Shutdown closes the listeners at once and then waits for open requests. MCP GET streams
	// never end by themselves: end them, so that Shutdown waits only for real requests. Their
	// sessions stay in the store, and the clients carry on with another server.
	s.mcp.closeAll()
	shutting.Wait()
	s.stop()
	s.wg.Wait()
	if err := s.store.Close(); err != nil {
		errs = append(errs, err)
	}
	s.logger.Info().Msg("stopped")
	return errors.Join(errs...)
}

// release undoes a failed Open.
func (s *Server) release() {
	for _, ln := range []net.Listener{s.ln, s.adminLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
	if s.store != nil {
		_ = s.store.Close()
	}
}

// newLogger returns the JSON logger the server writes to w, through a buffer (see
// gateway.LogWriter) that the caller closes when the server has stopped.
func newLogger(w io.Writer) (zerolog.Logger, *gateway.LogWriter) {
	lw := gateway.NewLogWriter(w)
	return zerolog.New(lw).With().Timestamp().Logger(), lw
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	cfg, err := parseServeConfig(e, args)
	if err != nil {
		return err
	}
	logger, logs := newLogger(e.stderr)
	defer logs.Close()
	s := NewServer(cfg, logger)
	if err := s.Open(ctx); err != nil {
		return err
	}
	tuneCtx, stopTuning := context.WithCancel(ctx)
	defer stopTuning()
	go gctune.Run(tuneCtx, e.getenv, gctune.DefaultFloor)
	if e.json {
		_ = printJSON(e.stdout, map[string]string{"listen": s.Addr(), "admin_listen": s.AdminAddr(), "public_url": s.PublicURL()})
	} else {
		ok(e.stdout, "Serving on %s", s.URL())
		info(e.stdout, "Admin: %s (/healthz, /readyz)", baseURL(s.AdminAddr()))
		if s.consoleOff == "" {
			info(e.stdout, "Console: %s/", baseURL(s.AdminAddr()))
		} else {
			warn(e.stdout, "Console: off; %s", s.consoleOff)
		}
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-s.Err():
	}
	return errors.Join(runErr, s.Close())
}
