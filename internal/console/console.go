// Package console is the operator's web console of jfn serve, on the admin listener: the
// deployed functions (refreshed in place from /functions.json, with their request counts and
// error rates from the gateway's counters), each function's tools (searched as search_tools
// searches them), a form to call a tool as tools/call does, its runtime tokens, and how to
// connect an MCP client, and its settings: jfn deploy's, refreshing the document, rotating the
// signing secret and deleting the function.
//
// New builds an http.Handler from a Backend (what the console reads and changes) and
// Options. Every asset is embedded; pages are html/template with one small script of our
// own, and no request leaves the machine. The handler applies, in this order:
//
//  1. security headers on every answer (a strict Content-Security-Policy, X-Frame-Options:
//     DENY, Referrer-Policy: no-referrer, no caching);
//  2. cross-origin protection on every state-changing request (http.CrossOriginProtection:
//     a cross-origin POST gets 403);
//  3. with Options.AdminToken, a login: the token is asked for once and a session cookie
//     (HttpOnly, SameSite=Strict, Secure over HTTPS) is kept instead.
//
// Token and signing secrets appear only in the one response that creates them, never in a URL
// or a log.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

// Backend is what the console reads and changes. jfn serve implements it over its store
// (through internal/service, as the CLI does) and its running gateway.
type Backend interface {
	ListFunctions(ctx context.Context) ([]store.Function, error)
	// GetFunction returns store.ErrNotFound for an unknown function.
	GetFunction(ctx context.Context, name string) (store.Function, error)
	// ListTokens lists function's active tokens; store.ErrNotFound for an unknown function.
	ListTokens(ctx context.Context, function string) ([]store.Token, error)
	Deploy(ctx context.Context, p service.DeployParams) (service.DeployResult, error)
	CreateToken(ctx context.Context, function, name string, expires time.Duration) (string, store.Token, error)
	// RevokeToken returns service.ErrNoToken for an id function has no active token with.
	RevokeToken(ctx context.Context, function, id string) error
	// RefreshFunction makes every server fetch function's document again and fetches it
	// now; store.ErrNotFound for an unknown function.
	RefreshFunction(ctx context.Context, function string) (service.RefreshResult, error)
	// RotateSecret gives function a new signing secret, the old one signing for grace more;
	// store.ErrNotFound for an unknown function.
	RotateSecret(ctx context.Context, function string, grace time.Duration) (store.Function, error)
	// DeleteFunction deletes function and its tokens; store.ErrNotFound for an unknown one.
	DeleteFunction(ctx context.Context, function string) error
	// ListCronRuns lists function's latest cron runs, newest first, at most limit.
	ListCronRuns(ctx context.Context, function string, limit int) ([]store.CronRun, error)
	// FunctionState is the function as the gateway serves it now; false until it does.
	FunctionState(name string) (gateway.FunctionState, bool)
	// RequestCounts are function's answered requests, from the counters /metrics exports.
	RequestCounts(name string) gateway.RequestCounts
	SearchTools(function, query string, limit int) ([]catalog.SearchResult, error)
	CallTool(ctx context.Context, trigger, function, tool string, args map[string]any) (json.RawMessage, error)
	// FunctionURL is the base URL callers use for function name.
	FunctionURL(name string) string
}

// Options configures the console.
type Options struct {
	// AdminToken, when set, is asked for once before anything else is shown.
	AdminToken string
	// Logger receives one line per change made from the console (never a secret).
	Logger zerolog.Logger
	// SessionTTL is how long a login lasts; zero means 12 hours.
	SessionTTL time.Duration
	// Logins keeps the logins; it is required with an AdminToken.
	Logins Logins
}

// Trigger is the X-Jelou-Trigger of tool calls made from the console.
const Trigger = "console"

// maxForm bounds a form body.
const maxForm = 1 << 20

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CSP allows our own script, styles and images only: no inline script, no remote origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Console is the console's handler.
type Console struct {
	b       Backend
	opts    Options
	log     zerolog.Logger
	pages   map[string]*template.Template
	logins  Logins
	handler http.Handler

	// loginsDown is set while the logins cannot be read, so the outage is logged once.
	loginsDown atomic.Bool
}

// New returns the console over b.
func New(b Backend, opts *Options) (*Console, error) {
	c := &Console{b: b}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.SessionTTL <= 0 {
		c.opts.SessionTTL = 12 * time.Hour
	}
	c.log = c.opts.Logger.With().Str("component", "console").Logger()
	c.logins = c.opts.Logins
	if c.opts.AdminToken != "" && c.logins == nil {
		return nil, errors.New("an admin token needs Options.Logins, where the logins are kept")
	}
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	m := http.NewServeMux()
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /login", c.loginPage)
	m.HandleFunc("POST /login", c.login)
	m.HandleFunc("POST /logout", c.logout)
	m.HandleFunc("GET /{$}", c.functionsPage)
	m.HandleFunc("GET /functions.json", c.functionsJSON)
	m.HandleFunc("POST /deploy", c.deploy)
	m.HandleFunc("GET /functions/{name}", c.functionPage)
	m.HandleFunc("POST /functions/{name}/call", c.call)
	m.HandleFunc("POST /functions/{name}/settings", c.saveSettings)
	m.HandleFunc("POST /functions/{name}/refresh", c.refresh)
	m.HandleFunc("POST /functions/{name}/rotate", c.rotateSecret)
	m.HandleFunc("POST /functions/{name}/delete", c.deleteFunction)
	m.HandleFunc("POST /functions/{name}/tokens", c.createToken)
	m.HandleFunc("POST /functions/{name}/tokens/{id}/revoke", c.revokeToken)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found", Text: "There is no console page here."})
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Cross-origin request refused.", http.StatusForbidden)
	}))
	c.handler = securityHeaders(cop.Handler(c.requireLogin(m)))
	return c, nil
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

// securityHeaders sets the headers every console answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		}
		next.ServeHTTP(w, r)
	})
}
