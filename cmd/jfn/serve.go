package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/gctune"
	"github.com/jfnhq/jfn/internal/server"
	"github.com/jfnhq/jfn/internal/service"
)

const serveUsage = `Usage: jfn serve [flags]

Runs the gateway on the store that the global --db PATH names (env JFN_DB, default ./jfn.db).
Flags beat their environment variables.
`

const (
	defaultListen      = "127.0.0.1:8080"
	defaultAdminListen = "127.0.0.1:9090"
)

// parseServeConfig reads serve's flags, with JFN_* variables as their defaults, and checks
// the result (server.Config.Check) before anything listens.
func parseServeConfig(e *env, args []string) (server.Config, error) {
	fs := newFlagSet("serve")
	listen := fs.String("listen", envOr(e, "JFN_LISTEN", defaultListen),
		"the public address `ADDR` (env JFN_LISTEN, default 127.0.0.1:8080)")
	admin := fs.String("admin-listen", envOr(e, "JFN_ADMIN_LISTEN", defaultAdminListen),
		"the address `ADDR` of the web console, /healthz, /readyz and /metrics (env JFN_ADMIN_LISTEN, default 127.0.0.1:9090)")
	adminToken := fs.String("admin-token", e.getenv("JFN_ADMIN_TOKEN"),
		"the token `T` the console asks for once (env JFN_ADMIN_TOKEN); without it the console is served only on a loopback --admin-listen")
	domain := fs.String("domain", e.getenv("JFN_DOMAIN"), "route <name>.`D` to function name (env JFN_DOMAIN)")
	publicURL := fs.String("public-url", e.getenv("JFN_PUBLIC_URL"),
		"the base URL `U` callers use, e.g. https://gw.example.com (env JFN_PUBLIC_URL)")
	origins := fs.String("allowed-origins", e.getenv("JFN_ALLOWED_ORIGINS"),
		"the browser origins allowed on /mcp, a comma-separated list `L` (env JFN_ALLOWED_ORIGINS)")
	refresh := fs.String("spec-refresh", envOr(e, "JFN_SPEC_REFRESH", "60s"),
		"OpenAPI documents are re-fetched every `D` (env JFN_SPEC_REFRESH, default 60s)")
	sessionTTL := fs.String("session-ttl", envOr(e, "JFN_SESSION_TTL", server.DefaultSessionTTL.String()),
		"MCP sessions unused for `D` are removed (env JFN_SESSION_TTL, default 24h)")
	maxBody := fs.String("max-body-bytes", envOr(e, "JFN_MAX_BODY_BYTES", strconv.Itoa(gateway.DefaultMaxBodyBytes)),
		"the largest request body proxied, `N` bytes (env JFN_MAX_BODY_BYTES, default 10485760)")
	bodyTimeout := fs.String("body-timeout", envOr(e, "JFN_BODY_TIMEOUT", gateway.DefaultBodyTimeout.String()),
		"a request body may take `D` to arrive, then 408 (env JFN_BODY_TIMEOUT, default 30s)")
	inflight := fs.String("max-inflight-bytes", envOr(e, "JFN_MAX_INFLIGHT_BYTES", strconv.Itoa(gateway.DefaultMaxInflightBytes)),
		"request bodies buffered at once, all requests together, up to `N` bytes, then 503 (env JFN_MAX_INFLIGHT_BYTES, default 268435456)")
	shutdown := fs.Duration("shutdown-timeout", 10*time.Second,
		"open requests may finish for `D` on SIGINT/SIGTERM (default 10s)")
	compat := fs.String("signature-compat", e.getenv("JFN_SIGNATURE_COMPAT"),
		"also send the old body-only `v1` signature after the v2 one, for functions not yet verifying v2; v1 can be replayed to any path (env JFN_SIGNATURE_COMPAT, default none)")
	pos, err := parseArgs(fs, args, serveUsage)
	if err != nil {
		return server.Config{}, err
	}
	if err := wantArgs("serve", pos); err != nil {
		return server.Config{}, err
	}
	cfg := server.Config{
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
	if cfg.SpecRefresh, err = service.ParseDuration(*refresh); err != nil || cfg.SpecRefresh <= 0 {
		return cfg, usagef("jfn serve: invalid --spec-refresh %q: want a positive duration such as 60s", *refresh)
	}
	if cfg.SessionTTL, err = service.ParseDuration(*sessionTTL); err != nil || cfg.SessionTTL <= 0 {
		return cfg, usagef("jfn serve: invalid --session-ttl %q: want a positive duration such as 24h or 7d", *sessionTTL)
	}
	if cfg.MaxBodyBytes, err = strconv.ParseInt(*maxBody, 10, 64); err != nil || cfg.MaxBodyBytes <= 0 {
		return cfg, usagef("jfn serve: invalid --max-body-bytes %q: want a positive number of bytes", *maxBody)
	}
	if cfg.BodyTimeout, err = service.ParseDuration(*bodyTimeout); err != nil || cfg.BodyTimeout <= 0 {
		return cfg, usagef("jfn serve: invalid --body-timeout %q: want a positive duration such as 30s", *bodyTimeout)
	}
	if cfg.MaxInflight, err = strconv.ParseInt(*inflight, 10, 64); err != nil || cfg.MaxInflight <= 0 {
		return cfg, usagef("jfn serve: invalid --max-inflight-bytes %q: want a positive number of bytes", *inflight)
	}
	if err := cfg.Check(); err != nil {
		return cfg, usagef("jfn serve: %v", err)
	}
	return cfg, nil
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	cfg, err := parseServeConfig(e, args)
	if err != nil {
		return err
	}
	logger, logs := server.NewLogger(e.stderr)
	defer logs.Close()
	s := server.New(cfg, logger)
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
		info(e.stdout, "Admin: %s (/healthz, /readyz)", s.AdminURL())
		if s.ConsoleOff() == "" {
			info(e.stdout, "Console: %s/", s.AdminURL())
		} else {
			warn(e.stdout, "Console: off; %s", s.ConsoleOff())
		}
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-s.Err():
	}
	return errors.Join(runErr, s.Close())
}
