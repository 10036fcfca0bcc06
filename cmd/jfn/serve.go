package main

import (
	"context"
	"errors"
	"flag"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/gctune"
	"github.com/jfnhq/jfn/internal/server"
)

var serveCmd = command{
	Name: "serve", Flags: serveFlags,
	Usage: `Usage: jfn serve [flags]

Runs the gateway on the store that the global --db PATH names (env JFN_DB, default ./jfn.db).
Flags beat their environment variables.
`,
}

const (
	defaultListen      = "127.0.0.1:8080"
	defaultAdminListen = "127.0.0.1:9090"
)

// configFlags declares serve's flags, each with its JFN_* variable as the default, and
// returns what reads them into a server configuration, checked (server.Config.Check) before
// anything listens.
func configFlags(fs *flagSet) func(x *invocation) (server.Config, error) {
	cfg := server.Config{}
	fs.StringVar(&cfg.Listen, "listen", defaultListen, "the public address `ADDR`")
	fs.StringVar(&cfg.AdminListen, "admin-listen", defaultAdminListen, "the address `ADDR` of the web console, /healthz, /readyz and /metrics")
	fs.StringVar(&cfg.AdminToken, "admin-token", "", "the token `T` the console asks for once; without it the console is served only on a loopback --admin-listen")
	fs.StringVar(&cfg.Domain, "domain", "", "route <name>.`D` to function name")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "the base URL `U` callers use, e.g. https://gw.example.com")
	origins := fs.String("allowed-origins", "", "the browser origins allowed on /mcp, a comma-separated list `L`")
	refresh := durationVar(fs, "spec-refresh", time.Minute, "OpenAPI documents are re-fetched every `D`")
	sessionTTL := durationVar(fs, "session-ttl", server.DefaultSessionTTL, "MCP sessions unused for `D` are removed")
	maxBody := bytesFlag(gateway.DefaultMaxBodyBytes)
	fs.Var(&maxBody, "max-body-bytes", "the largest request body proxied, `N` bytes")
	bodyTimeout := durationVar(fs, "body-timeout", gateway.DefaultBodyTimeout, "a request body may take `D` to arrive, then 408")
	inflight := bytesFlag(gateway.DefaultMaxInflightBytes)
	fs.Var(&inflight, "max-inflight-bytes", "request bodies buffered at once, all requests together, up to `N` bytes, then 503")
	shutdown := durationVar(fs, "shutdown-timeout", 10*time.Second, "open requests may finish for `D` on SIGINT/SIGTERM")
	fs.StringVar(&cfg.SignatureCompat, "signature-compat", "", "also send the old body-only `v1` signature after the v2 one, for functions not yet verifying v2; v1 can be replayed to any path")
	fs.VisitAll(func(f *flag.Flag) { fs.FromEnv(f.Name) })
	return func(x *invocation) (server.Config, error) {
		cfg.DB = x.db
		cfg.Domain = strings.ToLower(strings.TrimSuffix(cfg.Domain, "."))
		cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
		cfg.SpecRefresh, cfg.SessionTTL, cfg.BodyTimeout, cfg.ShutdownTimeout = *refresh, *sessionTTL, *bodyTimeout, *shutdown
		cfg.MaxBodyBytes, cfg.MaxInflight = int64(maxBody), int64(inflight)
		for _, o := range strings.Split(*origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
			}
		}
		if err := cfg.Check(); err != nil {
			return cfg, x.Usagef("%v", err)
		}
		return cfg, nil
	}
}

func serveFlags(fs *flagSet) action {
	config := configFlags(fs)
	return func(ctx context.Context, x *invocation) error {
		cfg, err := config(x)
		if err != nil {
			return err
		}
		logger, logs := server.NewLogger(x.Stderr)
		defer logs.Close()
		s := server.New(cfg, logger)
		if err := s.Open(ctx); err != nil {
			return err
		}
		tuneCtx, stopTuning := context.WithCancel(ctx)
		defer stopTuning()
		go gctune.Run(tuneCtx, x.Getenv, gctune.DefaultFloor)
		if x.json {
			_ = printJSON(x.Stdout, map[string]string{"listen": s.Addr(), "admin_listen": s.AdminAddr(), "public_url": s.PublicURL()})
		} else {
			ok(x.Stdout, "Serving on %s", s.URL())
			info(x.Stdout, "Admin: %s (/healthz, /readyz)", s.AdminURL())
			if s.ConsoleOff() == "" {
				info(x.Stdout, "Console: %s/", s.AdminURL())
			} else {
				warn(x.Stdout, "Console: off; %s", s.ConsoleOff())
			}
		}
		var runErr error
		select {
		case <-ctx.Done():
		case runErr = <-s.Err():
		}
		return errors.Join(runErr, s.Close())
	}
}
