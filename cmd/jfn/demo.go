package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/demo"
	"github.com/jfnhq/jfn/internal/server"
)

var demoCmd = command{
	Name: "demo", Flags: demoFlags,
	Usage: `Usage: jfn demo [--listen 127.0.0.1:8080]

Runs everything in one process on a temporary store: the example functions balance and shop,
deployed with their default tokens, behind a gateway. Prints their URLs, tokens, curl lines and
Brain Studio settings, and runs until Ctrl-C, when the temporary store is deleted.
`,
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

func demoFlags(fs *flagSet) action {
	listen := fs.String("listen", defaultListen, "the gateway's address `ADDR`; a free port if that is busy")
	return func(ctx context.Context, x *invocation) error {
		if err := server.CheckListen("--listen", *listen); err != nil {
			return x.Usagef("%v", err)
		}
		logger, logs := server.NewLogger(x.Stderr)
		defer logs.Close()
		d, err := demo.Start(ctx, *listen, logger)
		if err != nil {
			return err
		}
		defer d.Close()
		results := make([]demoResult, len(d.Functions))
		for i, fn := range d.Functions {
			results[i] = demoResult{Name: fn.Name, URL: fn.URL, Token: fn.Token, MCPURL: fn.URL + "/mcp", HeaderName: auth.Header, Curl: fn.Curl}
		}
		if x.json {
			_ = printJSON(x.Stdout, struct {
				Gateway   string       `json:"gateway"`
				Admin     string       `json:"admin"`
				Store     string       `json:"store"`
				Functions []demoResult `json:"functions"`
			}{d.Server.URL(), d.Server.AdminURL(), d.Store, results})
		} else {
			printDemo(x.Stdout, d, *listen)
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-d.Server.Err():
			return err
		}
	}
}

func printDemo(w io.Writer, d *demo.Demo, listen string) {
	s := d.Server
	ok(w, "jfn demo is running on %s — press Ctrl-C to stop", s.URL())
	if d.Busy {
		warn(w, "%s is busy, so the gateway took %s instead.", listen, s.Addr())
	}
	info(w, "Admin: %s/healthz", s.AdminURL())
	if s.ConsoleOff() == "" {
		info(w, "Console: %s/ (deploy, tokens, tools, Try)", s.AdminURL())
	}
	warn(w, "The tokens below are shown because this demo's store is temporary: it is deleted when the demo stops.")
	fmt.Fprintln(w, "  A real deploy ('jfn deploy') shows a token once, when it is created.")
	for _, r := range d.Functions {
		fmt.Fprintf(w, "\n%s — %s\n", r.Name, r.About)
		info(w, "URL: %s", r.URL)
		info(w, "Token    %s", r.Token)
		info(w, "Try it:")
		for _, c := range r.Curl {
			fmt.Fprintf(w, "  %s\n", c)
		}
		info(w, "Brain Studio (external MCP server):")
		fmt.Fprintf(w, "  URL           %s\n", r.URL+"/mcp")
		fmt.Fprintf(w, "  Header name   %s\n", auth.Header)
		fmt.Fprintf(w, "  Header value  %s\n", r.Token)
	}
}
