package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/console"
	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/httperr"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

// consoleBackend is the console's view of a running server: the store through
// internal/service, as the CLI changes it, and the gateway as it serves now.
type consoleBackend struct {
	store      store.Store
	gw         *gateway.Gateway
	publicURL  string // as configured: "" for none
	gatewayURL string // the gateway's own address
	domain     string
}

func (b *consoleBackend) ListFunctions(ctx context.Context) ([]store.Function, error) {
	return b.store.ListFunctions(ctx)
}

func (b *consoleBackend) GetFunction(ctx context.Context, name string) (store.Function, error) {
	return b.store.GetFunction(ctx, name)
}

func (b *consoleBackend) ListTokens(ctx context.Context, function string) ([]store.Token, error) {
	return b.store.ListTokens(ctx, function)
}

func (b *consoleBackend) Deploy(ctx context.Context, p service.DeployParams) (service.DeployResult, error) {
	return service.Deploy(ctx, b.store, p)
}

func (b *consoleBackend) CreateToken(ctx context.Context, function, name string, expires time.Duration) (string, store.Token, error) {
	return service.CreateToken(ctx, b.store, function, name, expires)
}

func (b *consoleBackend) RevokeToken(ctx context.Context, function, id string) error {
	return service.RevokeToken(ctx, b.store, function, id)
}

func (b *consoleBackend) RefreshFunction(ctx context.Context, function string) (service.RefreshResult, error) {
	return service.Refresh(ctx, b.store, function, service.FetchTools)
}

func (b *consoleBackend) RotateSecret(ctx context.Context, function string, grace time.Duration) (store.Function, error) {
	return service.RotateSecret(ctx, b.store, function, grace)
}

func (b *consoleBackend) DeleteFunction(ctx context.Context, function string) error {
	return service.DeleteFunction(ctx, b.store, function)
}

func (b *consoleBackend) ListCronRuns(ctx context.Context, function string, limit int) ([]store.CronRun, error) {
	cr, ok := b.store.(store.CronRuns)
	if !ok {
		return nil, nil
	}
	return cr.ListCronRuns(ctx, function, store.CronRunQuery{Limit: limit})
}

func (b *consoleBackend) FunctionState(name string) (gateway.FunctionState, bool) {
	return b.gw.FunctionState(name)
}

func (b *consoleBackend) RequestCounts(name string) gateway.RequestCounts {
	return b.gw.RequestCounts(name)
}

func (b *consoleBackend) SearchTools(function, query string, limit int) ([]catalog.SearchResult, error) {
	return b.gw.SearchTools(function, query, limit)
}

func (b *consoleBackend) CallTool(ctx context.Context, trigger, function, tool string, args map[string]any) (json.RawMessage, error) {
	return b.gw.CallTool(ctx, trigger, function, tool, args)
}

// FunctionURL is https://NAME.DOMAIN with a domain, else PUBLIC_URL/NAME, as the CLI prints it.
func (b *consoleBackend) FunctionURL(name string) string {
	return service.FunctionURL(b.publicURL, b.domain, b.gatewayURL, name)
}

// consoleRefusal says why the console is not served on admin, or "" when it may be: without
// an admin token, only a loopback admin listener may serve it.
func consoleRefusal(adminAddr, adminToken string) string {
	if adminToken != "" {
		return ""
	}
	host, _, err := net.SplitHostPort(adminAddr)
	if err == nil && loopbackHost(host) {
		return ""
	}
	return "the console is off: --admin-listen " + adminAddr + " is not a loopback address and no --admin-token (JFN_ADMIN_TOKEN) is set; set one, or listen on 127.0.0.1 and use an SSH tunnel"
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// adminHandler serves /healthz, /readyz and /metrics from the gateway, and everything else
// from the console (or, when it is off, a 404 that says why).
func adminHandler(gw http.Handler, c http.Handler, refusal string) http.Handler {
	m := http.NewServeMux()
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		m.Handle(p, gw)
	}
	if c == nil {
		m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			httperr.Write(w, httperr.New(http.StatusNotFound,
				"The admin listener serves /healthz, /readyz and /metrics only; "+refusal+"."))
		})
		return m
	}
	m.Handle("/", c)
	return m
}

var _ console.Backend = (*consoleBackend)(nil)
