// Package demo runs what `jfn demo` shows: the example functions on loopback ports, deployed
// with their default tokens into a temporary store, behind a server.
package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/examples/shop"
	"github.com/jfnhq/jfn/internal/server"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

// example is an example function the demo runs and deploys.
type example struct {
	name    string
	about   string
	handler func() http.Handler
	// try returns example curl lines for the function at url with token.
	try func(url, token string) []string
}

var examples = []example{
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

// Function is an example function as the demo serves it.
type Function struct {
	Name, About string
	URL, Token  string
	Curl        []string // example curl lines
}

// Demo is a running demo. Close stops it and deletes its store.
type Demo struct {
	Server *server.Server
	Store  string // the temporary store's path
	// Busy: the address asked for was in use, so the server listens on a free port.
	Busy      bool
	Functions []Function

	cleanup []func()
}

// Start runs the examples and a server on listen (a free loopback port when listen is busy).
func Start(ctx context.Context, listen string, logger zerolog.Logger) (d *Demo, err error) {
	d = &Demo{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	dir, err := os.MkdirTemp("", "jfn-demo-")
	if err != nil {
		return nil, fmt.Errorf("cannot create the demo's temporary store: %w", err)
	}
	d.cleanup = append(d.cleanup, func() { os.RemoveAll(dir) })

	// The example functions, each on its own loopback port.
	upstreams := make([]string, len(examples))
	for i, fn := range examples {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cannot start the example %s: %w", fn.name, err)
		}
		srv := &http.Server{Handler: fn.handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
		go func() { _ = srv.Serve(ln) }()
		d.cleanup = append(d.cleanup, func() { srv.Close() })
		upstreams[i] = "http://" + ln.Addr().String()
	}

	d.Store = filepath.Join(dir, "jfn.db")
	tokens, err := deploy(ctx, d.Store, upstreams)
	if err != nil {
		return nil, err
	}

	cfg := server.Config{
		DB: d.Store, Listen: listen, AdminListen: "127.0.0.1:0",
		SpecRefresh: 60 * time.Second, MaxBodyBytes: 10 << 20,
		ShutdownTimeout: 5 * time.Second,
	}
	s := server.New(cfg, logger)
	if err := s.Open(ctx); err != nil {
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
		d.Busy = true
		cfg.Listen = "127.0.0.1:0"
		s = server.New(cfg, logger)
		if err := s.Open(ctx); err != nil {
			return nil, err
		}
	}
	d.Server = s
	for i, fn := range examples {
		url := s.PublicURL() + "/" + fn.name
		d.Functions = append(d.Functions, Function{Name: fn.name, About: fn.about, URL: url, Token: tokens[i], Curl: fn.try(url, tokens[i])})
	}
	return d, nil
}

// Close stops the server and the examples, and deletes the temporary store.
func (d *Demo) Close() error {
	var err error
	if d.Server != nil {
		err = d.Server.Close()
	}
	for i := len(d.cleanup) - 1; i >= 0; i-- {
		d.cleanup[i]()
	}
	d.cleanup = nil
	return err
}

// deploy deploys the examples at upstreams into the store at db and returns their default
// tokens.
func deploy(ctx context.Context, db string, upstreams []string) ([]string, error) {
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("cannot open the demo's temporary store: %w", err)
	}
	defer st.Close()
	tokens := make([]string, len(examples))
	for i, fn := range examples {
		res, err := service.Deploy(ctx, st, service.DeployParams{Name: fn.name, Upstream: upstreams[i]})
		if err != nil {
			return nil, fmt.Errorf("cannot deploy the example %s: %w", fn.name, err)
		}
		tokens[i] = res.Token
	}
	return tokens, nil
}
