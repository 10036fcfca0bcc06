// Command example serves one of jfn's example functions on its own, so that it can be
// deployed behind a gateway:
//
//	go run ./examples/cmd/example balance --listen 127.0.0.1:9001
//	jfn deploy balance --url http://127.0.0.1:9001
//
// With JFN_SIGNING_SECRET set to the function's signing secret (`jfn functions info balance
// --show-secret`), the example refuses (401) every call without a valid X-Jelou-Signature,
// so only its gateway can call it. Without it, unsigned calls are accepted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/examples/shop"
)

// handlers are the examples this command can serve, by name, given the signing secret
// to verify calls with ("" accepts unsigned calls).
var handlers = map[string]func(secret string) http.Handler{
	"balance": balance.SignedHandler,
	"shop":    shop.SignedHandler,
}

const usage = `Usage: example NAME [--listen 127.0.0.1:9001]

Serves one example function. NAME is balance or shop.

Set JFN_SIGNING_SECRET to the function's signing secret ('jfn functions info NAME
--show-secret') to refuse calls that do not carry its gateway's X-Jelou-Signature.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "127.0.0.1:9001", "address to listen on")
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, usage)
				return 0
			}
			fmt.Fprintf(stderr, "Error: %v; run 'example --help'\n", err)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 || handlers[names[0]] == nil {
		fmt.Fprint(stderr, "Error: name one example to serve: balance or shop\n")
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "Error: cannot listen on %s: %v; pick another address with --listen\n", *listen, err)
		return 1
	}
	secret := os.Getenv("JFN_SIGNING_SECRET")
	srv := &http.Server{
		Handler:           handlers[names[0]](secret),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "▸ Serving %s on http://%s (OpenAPI at /openapi.json)\n", names[0], ln.Addr())
	if secret != "" {
		fmt.Fprintln(stdout, "▸ Calls must carry a valid X-Jelou-Signature (JFN_SIGNING_SECRET is set)")
	} else {
		fmt.Fprintln(stdout, "⚠ JFN_SIGNING_SECRET is not set: unsigned calls are accepted")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	return 0
}
