package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/jfnhq/jfn/internal/server"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

const deployUsage = `Usage: jfn deploy NAME --url URL [flags]

Registers function NAME, or updates its settings. The first deploy creates a runtime token
named "default" and prints it once. On later deploys, settings whose flags are not given keep
their current values.
`

// checkName checks the function NAME argument of cmd.
func checkName(cmd, name string) error {
	if err := service.CheckName(name); err != nil {
		return usagef("jfn %s: invalid function name %q: %v", cmd, name, err)
	}
	return nil
}

// urlFlags are the flags that decide how function URLs are printed.
type urlFlags struct {
	publicURL *string
	domain    *string
	listen    string
}

func addURLFlags(fs *flag.FlagSet, e *env) *urlFlags {
	return &urlFlags{
		publicURL: fs.String("public-url", e.getenv("JFN_PUBLIC_URL"), "the base URL `U` for printed function URLs (env JFN_PUBLIC_URL)"),
		domain:    fs.String("domain", e.getenv("JFN_DOMAIN"), "print https://NAME.`D` URLs (env JFN_DOMAIN)"),
		listen:    envOr(e, "JFN_LISTEN", defaultListen),
	}
}

// functionURL returns the URL callers use for function name: https://NAME.DOMAIN when a
// domain is set (with the public URL's scheme, when one is set), else PUBLIC_URL/NAME
// (default http://<JFN_LISTEN>/NAME).
func (u *urlFlags) functionURL(name string) string {
	return service.FunctionURL(*u.publicURL, *u.domain, server.BaseURL(u.listen), name)
}

func (u *urlFlags) validate(cmd string) error {
	if *u.publicURL != "" {
		if err := service.CheckBaseURL(*u.publicURL); err != nil {
			return usagef("jfn %s: invalid --public-url: %v", cmd, err)
		}
	}
	if d := strings.ToLower(strings.TrimSuffix(*u.domain, ".")); d != "" && !service.ValidDomain(d) {
		return usagef("jfn %s: invalid --domain %q: want a DNS name such as fn.example.com", cmd, *u.domain)
	}
	return nil
}

func cmdDeploy(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("deploy")
	upstream := fs.String("url", "", "the function's base `URL` (required on the first deploy)")
	openapiURL := fs.String("openapi", "", "the `URL` of its OpenAPI document (default <--url>/openapi.json)")
	public := fs.Bool("public", false, "no token needed on any route (--public=false to undo)")
	timeout := fs.Duration("timeout", store.DefaultTimeout, "the upstream timeout `D`, at most 120s (default 30s)")
	noMCP := fs.Bool("no-mcp", false, "do not serve /mcp (--no-mcp=false to undo)")
	cors := fs.String("cors-origins", "", "the browser origins allowed to call the function, a comma-separated list `L` "+
		`(https://app.example.com,… or *; "" for none, the default)`)
	mode := fs.String("mcp-mode", "", "what /mcp lists, `M`: auto (default: every tool while they are at most 40 and 64 KB, "+
		"else search), all, or search (three tools that search, describe and call the others); a connection may add ?mode=")
	toolsets := fs.String("mcp-toolsets", "", "the OpenAPI tags /mcp offers by default, a comma-separated list `L` "+
		`("" for all, the default); a connection may add ?toolsets=`)
	urls := addURLFlags(fs, e)
	pos, err := parseArgs(fs, args, deployUsage)
	if err != nil {
		return err
	}
	if err := wantArgs("deploy", pos, "NAME"); err != nil {
		return err
	}
	if err := urls.validate("deploy"); err != nil {
		return err
	}
	set := visited(fs)
	settings := service.DeploySettings{
		Name:     pos[0],
		Upstream: ifSet(set, "url", upstream),
		OpenAPI:  ifSet(set, "openapi", openapiURL),
		Public:   ifSet(set, "public", public),
		Timeout:  ifSet(set, "timeout", timeout),
		Mode:     ifSet(set, "mcp-mode", mode),
		Toolsets: ifSet(set, "mcp-toolsets", toolsets),
		CORS:     ifSet(set, "cors-origins", cors),
	}
	if set["no-mcp"] {
		mcp := !*noMCP
		settings.MCP = &mcp
	}
	p, err := settings.Params()
	if err != nil {
		return deploySettingError(err)
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := service.Deploy(ctx, st, p)
	if errors.Is(err, service.ErrUpstreamRequired) {
		return usagef("jfn deploy: --url is required to deploy %s for the first time", p.Name)
	}
	if err != nil {
		return err
	}
	fnURL := urls.functionURL(p.Name)
	if e.json {
		return printJSON(e.stdout, struct {
			Name    string `json:"name"`
			URL     string `json:"url"`
			Created bool   `json:"created"`
			Token   string `json:"token,omitempty"`
		}{p.Name, fnURL, res.Created, res.Token})
	}
	ok(e.stdout, "Deployed")
	info(e.stdout, "URL: %s", fnURL)
	if res.Created {
		warn(e.stdout, "A default runtime token was created for this function.")
		fmt.Fprintln(e.stdout, "  Save it now — it will not be shown again.")
		info(e.stdout, "Token    %s", res.Token)
	}
	return nil
}

// deploySettingError words a setting that service.DeploySettings.Params refused as a usage
// error naming its flag.
func deploySettingError(err error) error {
	var bad *service.SettingError
	if !errors.As(err, &bad) {
		return err
	}
	switch bad.Setting {
	case service.SettingName:
		return checkName("deploy", bad.Value)
	case service.SettingUpstream:
		return usagef("jfn deploy: invalid --url: %v", bad.Err)
	case service.SettingOpenAPI:
		return usagef("jfn deploy: invalid --openapi: %v", bad.Err)
	case service.SettingTimeout:
		return usagef("jfn deploy: invalid --timeout %s: %v", bad.Value, bad.Err)
	case service.SettingMode:
		return usagef("jfn deploy: invalid --mcp-mode %q: %v", bad.Value, bad.Err)
	case service.SettingToolsets:
		return usagef("jfn deploy: invalid toolset %q in --mcp-toolsets: %v, as 'jfn tools FILE --json' lists them", bad.Value, bad.Err)
	case service.SettingCORS:
		return usagef("jfn deploy: invalid --cors-origins: %v", bad.Err)
	}
	return usagef("jfn deploy: %v", err)
}

// notFound turns a store.ErrNotFound for function name into an error that says what to do.
func notFound(err error, name string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("function %s not found; deploy it with 'jfn deploy %s --url URL' or see 'jfn functions list'", name, name)
	}
	return err
}
