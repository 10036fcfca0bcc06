// Package mcptest connects the mcp-go client to an /mcp endpoint in tests, as an agent
// would: every request it sends carries the function's runtime token, the DELETE that ends
// its session included.
//
//	c := mcptest.Connect(t, srv.URL+"/shop/mcp", &mcptest.Options{Token: tok, Version: "2025-06-18"})
//	res := mcptest.CallTool(t, c, "getProduct", map[string]any{"product-id": "p-100"})
//	if res.IsError || !strings.Contains(mcptest.Text(res), "p-100") {
//		t.Errorf("getProduct = isError %v, text %q, want the product", res.IsError, mcptest.Text(res))
//	}
//
// Only tests import it. It lives under mcp because no other package may import mcp-go.
package mcptest

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/auth"
)

// Options configure Connect. A nil *Options connects without a token, on mcp-go's default
// revision, without the GET stream.
type Options struct {
	// Token goes in X-Jelou-Token on every request; none when empty.
	Token string
	// Version is the protocol revision to ask for; Connect fails the test unless the server
	// agrees to it. When empty, the client negotiates as mcp-go does by default (the
	// stateless revision first).
	Version string
	// Listen opens the GET stream, on which the server sends notifications.
	Listen bool
}

// Client is an mcp-go client that Connect started and initialized. It is closed when the
// test ends.
type Client struct {
	*client.Client
	// Initialized is the server's answer to initialize (on the stateless revision, to the
	// discovery request mcp-go sends instead).
	Initialized *mcpgo.InitializeResult
}

// quiet silences the mcp-go client's own logging.
var quiet = slog.New(slog.DiscardHandler)

// Connect starts an mcp-go client on the Streamable HTTP endpoint url and initializes it.
func Connect(t testing.TB, url string, opts *Options) *Client {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	topts := []transport.StreamableHTTPCOption{transport.WithHTTPLogger(quiet)}
	if opts.Token != "" {
		// Not transport.WithHTTPHeaders: mcp-go leaves those headers off the closing DELETE.
		topts = append(topts, transport.WithHTTPBasicClient(&http.Client{Transport: tokenTransport{opts.Token}}))
	}
	if opts.Listen {
		topts = append(topts, transport.WithContinuousListening())
	}
	tr, err := transport.NewStreamableHTTP(url, topts...)
	if err != nil {
		t.Fatalf("NewStreamableHTTP(%s): %v", url, err)
	}
	var copts []client.ClientOption
	if opts.Version != "" {
		copts = append(copts, client.WithProtocolVersion(opts.Version))
	}
	c := client.NewClient(tr, copts...)
	// Start's context must outlive Connect: it carries the client's GET stream.
	if err := c.Start(t.Context()); err != nil {
		t.Fatalf("Start on %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Initialize(ctx, mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{
		ProtocolVersion: opts.Version,
		ClientInfo:      mcpgo.Implementation{Name: "jfn-test", Version: "1"},
	}})
	if err != nil {
		t.Fatalf("Initialize on %s: %v", url, err)
	}
	if opts.Version != "" && res.ProtocolVersion != opts.Version {
		t.Fatalf("Initialize on %s negotiated %q, want %q", url, res.ProtocolVersion, opts.Version)
	}
	return &Client{Client: c, Initialized: res}
}

// tokenTransport adds the runtime token to every request.
type tokenTransport struct{ token string }

func (tt tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(auth.Header, tt.token)
	return http.DefaultTransport.RoundTrip(r)
}
