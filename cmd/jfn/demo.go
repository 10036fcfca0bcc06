package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/examples/shop"
	"github.com/jfnhq/jfn/internal/server"
	"github.com/jfnhq/jfn/internal/store"
)

const demoUsage = `Usage: jfn demo [--listen 127.0.0.1:8080]

Runs everything in one process on a temporary store: the example functions balance and shop,
deployed with their default tokens, behind a gateway. Prints their URLs, tokens, curl lines and
Brain Studio settings, and runs until Ctrl-C, when the temporary store is deleted.

  --listen ADDR    the gateway's address (default 127.0.0.1:8080; a free port if that is busy)
`

// demoFunction is an example function the demo runs and deploys.
type demoFunction struct {
	name    string
	about   string
	handler func() http.Handler
	// try returns example curl lines for the function at url with token.
	try func(url, token string) []string
}

var demoFunctions = []demoFunction{
	{
		name:    "balance",
		about:   "one operation (POST /), like a Jelou define()",
		handler: balance.Handler,
		try: func(url, token string) []string {
			return []string{
				fmt.Sprintf(`curl -s -X POST %s -H '%s: %s' -H 'Content-Type: application/json' -d '{"phone":"+593987654321"}'`, url, auth.Header, token),
			}
		},
	},
	{
		name:    "shop",
		about:   "several operations, like a Jelou app()",
		handler: shop.Handler,
		try: func(url, token string) []string {
			return []string{
				fmt.Sprintf(`curl -s '%s/products?category=coffee&limit=2' -H '%s: %s'`, url, auth.Header, token),
				fmt.Sprintf(`curl -s -X POST %s/orders -H '%s: %s' -H 'Content-Type: application/json' -d '{"product_id":"p-100","quantity":2}'`, url, auth.Header, token),
				fmt.Sprintf(`curl -s -X POST %s/webhooks/payment -H 'Content-Type: application/json' -d '{"order_id":"ord-1001","status":"paid"}'   # public: no token`, url),
			}
		},
	},
}

// demoResult is one function in 'demo --json'.
type demoResult struct {
	Name       string   `json:"name"`
	URL        string   `json:"url"`
	Token      string   `json:"token"`
	MCPURL     string   `json:"mcp_url"`
	HeaderName string   `json:"header_name"`
	Curl       []string `json:"curl"`
}

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("demo")
	listen := fs.String("listen", defaultListen, "")
	pos, err := parseArgs(fs, args, demoUsage)
	if err != nil {
		return err
	}
	if err := wantArgs("demo", pos); err != nil {
		return err
	}
	if err := checkListen("--listen", *listen); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "jfn-demo-")
	if err != nil {
		return fmt.Errorf("cannot create the demo's temporary store: %w", err)
	}
	defer os.RemoveAll(dir)

	// The example functions, each on its own loopback port.
	upstreams := make([]string, len(demoFunctions))
	for i, fn := range demoFunctions {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("cannot start the example %s: %w", fn.name, err)
		}
		srv := &http.Server{Handler: fn.handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		upstreams[i] = "http://" + ln.Addr().String()
	}

	db := filepath.Join(dir, "jfn.db")
	tokens, err := demoDeploy(ctx, db, upstreams)
	if err != nil {
		return err
	}

	cfg := server.Config{
		DB: db, Listen: *listen, AdminListen: "127.0.0.1:0",
		SpecRefresh: 60 * time.Second, SessionTTL: server.DefaultSessionTTL, MaxBodyBytes: 10 << 20,
		ShutdownTimeout: 5 * time.Second,
	}
	logger, logs := server.NewLogger(e.stderr)
	defer logs.Close()
	s := server.New(cfg, logger)
	busy := false
	if err := s.Open(ctx); err != nil {
		if !errors.Is(err, syscall.EADDRINUSE) {
			return err
		}
		busy = true
		cfg.Listen = "127.0.0.1:0"
		s = server.New(cfg, logger)
		if err := s.Open(ctx); err != nil {
			return err
		}
	}
	defer s.Close()

	results := make([]demoResult, len(demoFunctions))
	for i, fn := range demoFunctions {
		url := s.PublicURL() + "/" + fn.name
		results[i] = demoResult{
			Name: fn.name, URL: url, Token: tokens[i], MCPURL: url + "/mcp",
			HeaderName: auth.Header, Curl: fn.try(url, tokens[i]),
		}
	}
	if e.json {
		_ = printJSON(e.stdout, struct {
			Gateway   string       `json:"gateway"`
			Admin     string       `json:"admin"`
			Store     string       `json:"store"`
			Functions []demoResult `json:"functions"`
		}{s.URL(), s.AdminURL(), db, results})
	} else {
		printDemo(e.stdout, s, *listen, busy, results)
	}

	select {
	case <-ctx.Done():
		return nil
	case err := <-s.Err():
		return err
	}
}

// demoDeploy deploys the example functions at upstreams into the store at db and returns
// their default tokens.
func demoDeploy(ctx context.Context, db string, upstreams []string) ([]string, error) {
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("cannot open the demo's temporary store: %w", err)
	}
	defer st.Close()
	tokens := make([]string, len(demoFunctions))
	for i, fn := range demoFunctions {
		res, err := deployFunction(ctx, st, deployParams{Name: fn.name, Upstream: upstreams[i]})
		if err != nil {
			return nil, fmt.Errorf("cannot deploy the example %s: %w", fn.name, err)
		}
		tokens[i] = res.Token
	}
	return tokens, nil
}

func printDemo(w io.Writer, s *server.Server, listen string, busy bool, results []demoResult) {
	ok(w, "jfn demo is running on %s — press Ctrl-C to stop", s.URL())
	if busy {
		warn(w, "%s is busy, so the gateway took %s instead.", listen, s.Addr())
	}
	info(w, "Admin: %s/healthz", s.AdminURL())
	if s.ConsoleOff() == "" {
		info(w, "Console: %s/ (deploy, tokens, tools, Try)", s.AdminURL())
	}
	warn(w, "The tokens below are shown because this demo's store is temporary: it is deleted when the demo stops.")
	fmt.Fprintln(w, "  A real deploy ('jfn deploy') shows a token once, when it is created.")
	for _, r := range results {
		var about string
		for _, fn := range demoFunctions {
			if fn.name == r.Name {
				about = fn.about
			}
		}
		fmt.Fprintf(w, "\n%s — %s\n", r.Name, about)
		info(w, "URL: %s", r.URL)
		info(w, "Token    %s", r.Token)
		info(w, "Try it:")
		for _, c := range r.Curl {
			fmt.Fprintf(w, "  %s\n", c)
		}
		info(w, "Brain Studio (external MCP server):")
		fmt.Fprintf(w, "  URL           %s\n", r.MCPURL)
		fmt.Fprintf(w, "  Header name   %s\n", r.HeaderName)
		fmt.Fprintf(w, "  Header value  %s\n", r.Token)
	}
}
