// Package server assembles jfn's server: the store, the gateway with its MCP bridges and
// their sessions, the cron scheduler, and the admin listener with the web console. Open
// listens on both addresses and starts everything; Close shuts it all down. cmd/jfn only
// reads flags into a Config, opens a Server and prints where it serves.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/internal/console"
	"github.com/jfnhq/jfn/internal/cron"
	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/store"
)

// Server is a running gateway: the public listener, the admin listener and the gateway's
// background loops. Open listens before it serves, so a busy port fails synchronously; Close
// shuts down gracefully. Tests run it on 127.0.0.1:0 and learn the address from Addr.
type Server struct {
	cfg    Config
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

	stop    context.CancelFunc // ends the gateway's background loops
	wg      sync.WaitGroup
	errc    chan error
	closeMu sync.Mutex
	closed  bool
}

// New returns a Server for cfg that logs to logger. It does nothing until Open.
func New(cfg Config, logger zerolog.Logger) *Server {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&cfg.SessionTTL, DefaultSessionTTL}, {&cfg.SessionFlush, sessionFlushEvery},
		{&cfg.SessionSweep, sessionSweepEvery}, {&cfg.SessionUnused, unusedSessionTTL},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.SessionLimit <= 0 {
		cfg.SessionLimit = store.DefaultSessionLimit
	}
	return &Server{cfg: cfg, logger: logger, errc: make(chan error, 3)}
}

// Open opens the store, listens on both addresses, and starts serving.
func (s *Server) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if err := s.listen(ctx); err != nil {
		return err
	}
	if err := s.assemble(ctx); err != nil {
		return err
	}
	errLog := log.New(s.logger.With().Str("component", "http").Logger(), "", 0)
	s.srv = &http.Server{
		Handler:           s.gw.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Header blocks well above the 4 KB token cap are accepted, so that an oversized
		// X-Jelou-Token gets the token rule's 401 rather than a 431.
		MaxHeaderBytes: 64 << 10,
		// WriteTimeout stays 0: proxied SSE responses and /mcp stream for as long as they last.
		ErrorLog: errLog,
	}
	if s.adminSrv, err = s.adminServer(errLog); err != nil {
		return err
	}
	s.start(ctx)
	s.logger.Info().Str("addr", s.Addr()).Str("admin_addr", s.AdminAddr()).
		Str("public_url", s.publicURL).Str("domain", s.cfg.Domain).Msg("listening")
	return nil
}

// listen opens the store and both listeners, so that a busy port fails Open at once.
func (s *Server) listen(ctx context.Context) (err error) {
	if s.store, err = store.Open(ctx, s.cfg.DB); err != nil {
		return fmt.Errorf("cannot open the store %s: %w; check --db or JFN_DB", store.RedactDSN(s.cfg.DB), err)
	}
	if s.ln, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return fmt.Errorf("cannot listen on %s: %w; stop what uses it or pick another address with --listen", s.cfg.Listen, err)
	}
	if s.adminLn, err = net.Listen("tcp", s.cfg.AdminListen); err != nil {
		return fmt.Errorf("cannot listen on %s for the admin endpoints: %w; pick another address with --admin-listen", s.cfg.AdminListen, err)
	}
	s.publicURL = s.cfg.PublicURL
	if s.publicURL == "" {
		s.publicURL = BaseURL(s.ln.Addr().String())
	}
	return nil
}

// assemble builds the MCP sessions and bridges, the cron scheduler and the gateway over the
// open store.
func (s *Server) assemble(ctx context.Context) (err error) {
	ss, ok := s.store.(store.Sessions)
	if !ok {
		return fmt.Errorf("the store %s cannot keep MCP sessions", store.RedactDSN(s.cfg.DB))
	}
	s.sessions = newStoreSessions(ss, s.cfg.SessionTTL, s.cfg.SessionUnused, s.cfg.SessionLimit)
	s.mcp = newMCPFactory(s.sessions, s.cfg.AllowedOrigins, s.publicURL, s.cfg.Domain, s.logger)
	runs, ok := s.store.(store.CronRuns)
	if !ok {
		return fmt.Errorf("the store %s cannot record cron runs", store.RedactDSN(s.cfg.DB))
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
		MCP:               s.mcp.handler,
		Cron:              s.cron,
		SignatureCompatV1: s.cfg.SignatureCompat == "v1",
	})
	if err != nil {
		return fmt.Errorf("cannot start the gateway: %w", err)
	}
	// Bridges built by gateway.New sign through the gateway, which holds the current secrets.
	s.mcp.sign = gw.Sign
	s.gw = gw
	return nil
}

// adminServer is the admin listener's server: /healthz, /readyz and /metrics, and the
// console when it may be served there.
func (s *Server) adminServer(errLog *log.Logger) (*http.Server, error) {
	var con http.Handler
	if s.consoleOff = consoleRefusal(s.adminLn.Addr().String(), s.cfg.AdminToken); s.consoleOff == "" {
		logins, _ := s.store.(store.ConsoleLogins) // both stores keep them
		c, err := console.New(&consoleBackend{store: s.store, gw: s.gw, publicURL: s.cfg.PublicURL, gatewayURL: s.publicURL, domain: s.cfg.Domain},
			&console.Options{AdminToken: s.cfg.AdminToken, Logger: s.logger, Logins: logins})
		if err != nil {
			return nil, fmt.Errorf("cannot build the console: %w", err)
		}
		con = c
	} else {
		s.logger.Warn().Str("admin_addr", s.AdminAddr()).Msg(s.consoleOff)
	}
	return &http.Server{
		Handler:           adminHandler(s.gw.AdminHandler(), con, s.consoleOff),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// A tool call from the console may take the longest upstream timeout.
		WriteTimeout: store.MaxTimeout + 10*time.Second,
		IdleTimeout:  time.Minute,
		ErrorLog:     errLog,
	}, nil
}

// start runs the background loops (gateway, cron, sessions) and serves both listeners.
func (s *Server) start(ctx context.Context) {
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.wg.Add(5)
	go func() {
		defer s.wg.Done()
		if err := s.gw.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			s.errc <- fmt.Errorf("gateway stopped: %w", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		_ = s.cron.Run(runCtx) // returns nil once its runs in flight are recorded
	}()
	go func() {
		defer s.wg.Done()
		s.sessions.run(runCtx, s.logger, s.cfg.SessionFlush, s.cfg.SessionSweep, s.gw.NoteStore)
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
}

// Addr returns the public listener's address, e.g. 127.0.0.1:8080.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// AdminAddr returns the admin listener's address.
func (s *Server) AdminAddr() string { return s.adminLn.Addr().String() }

// URL returns the base URL of the public listener, e.g. http://127.0.0.1:8080.
func (s *Server) URL() string { return BaseURL(s.Addr()) }

// AdminURL returns the base URL of the admin listener.
func (s *Server) AdminURL() string { return BaseURL(s.AdminAddr()) }

// ConsoleOff says why the admin listener does not serve the web console, or "" when it does.
func (s *Server) ConsoleOff() string { return s.consoleOff }

// Store returns the store the server opened.
func (s *Server) Store() store.Store { return s.store }

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

// NewLogger returns the JSON logger the server writes to w, through a buffer (see
// gateway.LogWriter) that the caller closes when the server has stopped.
func NewLogger(w io.Writer) (zerolog.Logger, *gateway.LogWriter) {
	lw := gateway.NewLogWriter(w)
	return zerolog.New(lw).With().Timestamp().Logger(), lw
}

// BaseURL is the URL of a listen address: an unspecified host becomes 127.0.0.1.
func BaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if unspecified(host) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func unspecified(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}
