package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jfnhq/jfn/internal/server"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

var deployCmd = command{
	Name: "deploy", Args: []string{"NAME"}, Flags: deployFlags,
	Usage: `Usage: jfn deploy NAME --url URL [flags]

Registers function NAME, or updates its settings. The first deploy creates a runtime token
named "default" and prints it once. On later deploys, settings whose flags are not given keep
their current values.
`,
}

func deployFlags(fs *flagSet) action {
	upstream := fs.String("url", "", "the function's base `URL` (required on the first deploy)")
	openapiURL := fs.String("openapi", "", "the `URL` of its OpenAPI document (default <--url>/openapi.json)")
	public := fs.Bool("public", false, "no token needed on any route (--public=false to undo)")
	timeout := fs.Duration("timeout", store.DefaultTimeout, "the upstream timeout `D`, at most 120s")
	noMCP := fs.Bool("no-mcp", false, "do not serve /mcp (--no-mcp=false to undo)")
	cors := fs.String("cors-origins", "", "the browser origins allowed to call the function, a comma-separated list `L` "+
		`(https://app.example.com,… or *; "" for none, the default)`)
	mode := fs.String("mcp-mode", "", "what /mcp lists, `M`: auto (default: every tool while they are at most 40 and 64 KB, "+
		"else search), all, or search (three tools that search, describe and call the others); a connection may add ?mode=")
	toolsets := fs.String("mcp-toolsets", "", "the OpenAPI tags /mcp offers by default, a comma-separated list `L` "+
		`("" for all, the default); a connection may add ?toolsets=`)
	urls := addURLFlags(fs)
	return func(ctx context.Context, x *invocation) error {
		functionURL, err := urls.resolve(x)
		if err != nil {
			return err
		}
		settings := service.DeploySettings{
			Name:     x.Args[0],
			Upstream: ifSet(x, "url", upstream),
			OpenAPI:  ifSet(x, "openapi", openapiURL),
			Public:   ifSet(x, "public", public),
			Timeout:  ifSet(x, "timeout", timeout),
			Mode:     ifSet(x, "mcp-mode", mode),
			Toolsets: ifSet(x, "mcp-toolsets", toolsets),
			CORS:     ifSet(x, "cors-origins", cors),
		}
		if x.Set["no-mcp"] {
			settings.MCP = new(!*noMCP)
		}
		p, err := settings.Params()
		if err != nil {
			return deploySettingError(x, err)
		}
		st, err := x.store(ctx)
		if err != nil {
			return err
		}
		res, err := service.Deploy(ctx, st, p)
		if errors.Is(err, service.ErrUpstreamRequired) {
			return x.Usagef("--url is required to deploy %s for the first time", p.Name)
		}
		if err != nil {
			return err
		}
		if x.json {
			return printJSON(x.Stdout, struct {
				Name    string `json:"name"`
				URL     string `json:"url"`
				Created bool   `json:"created"`
				Token   string `json:"token,omitempty"`
			}{p.Name, functionURL(p.Name), res.Created, res.Token})
		}
		ok(x.Stdout, "Deployed")
		info(x.Stdout, "URL: %s", functionURL(p.Name))
		if res.Created {
			warn(x.Stdout, "A default runtime token was created for this function.")
			fmt.Fprintln(x.Stdout, "  Save it now — it will not be shown again.")
			info(x.Stdout, "Token    %s", res.Token)
		}
		return nil
	}
}

// deploySettingError words a setting that service.DeploySettings.Params refused as a usage
// error naming its flag.
func deploySettingError(x *invocation, err error) error {
	var bad *service.SettingError
	if !errors.As(err, &bad) {
		return err
	}
	switch bad.Setting {
	case service.SettingUpstream:
		return x.Usagef("invalid --url: %v", bad.Err)
	case service.SettingOpenAPI:
		return x.Usagef("invalid --openapi: %v", bad.Err)
	case service.SettingTimeout:
		return x.Usagef("invalid --timeout %s: %v", bad.Value, bad.Err)
	case service.SettingMode:
		return x.Usagef("invalid --mcp-mode %q: %v", bad.Value, bad.Err)
	case service.SettingToolsets:
		return x.Usagef("invalid toolset %q in --mcp-toolsets: %v, as 'jfn tools FILE --json' lists them", bad.Value, bad.Err)
	case service.SettingCORS:
		return x.Usagef("invalid --cors-origins: %v", bad.Err)
	}
	return x.Usagef("%v", err)
}

// urlFlags are the flags that decide how function URLs are printed.
type urlFlags struct{ publicURL, domain *string }

func addURLFlags(fs *flagSet) *urlFlags {
	fs.FromEnv("public-url", "domain")
	return &urlFlags{
		publicURL: fs.String("public-url", "", "the base URL `U` for printed function URLs"),
		domain:    fs.String("domain", "", "print https://NAME.`D` URLs"),
	}
}

// resolve checks the flags and returns the URL callers use for a function: https://NAME.DOMAIN
// when a domain is set (with the public URL's scheme, when one is set), else PUBLIC_URL/NAME
// (default http://<JFN_LISTEN>/NAME).
func (u *urlFlags) resolve(x *invocation) (func(name string) string, error) {
	if *u.publicURL != "" {
		if err := service.CheckBaseURL(*u.publicURL); err != nil {
			return nil, x.Usagef("invalid --public-url: %v", err)
		}
	}
	if d := strings.ToLower(strings.TrimSuffix(*u.domain, ".")); d != "" && !service.ValidDomain(d) {
		return nil, x.Usagef("invalid --domain %q: want a DNS name such as fn.example.com", *u.domain)
	}
	listen := x.Getenv("JFN_LISTEN")
	if listen == "" {
		listen = defaultListen
	}
	return func(name string) string {
		return service.FunctionURL(*u.publicURL, *u.domain, server.BaseURL(listen), name)
	}, nil
}
