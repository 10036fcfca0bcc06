package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

var functionsListCmd = command{
	Name: "functions list", Flags: functionsList,
	Usage: `Usage: jfn functions list

Lists the deployed functions.
`,
}

var functionsInfoCmd = command{
	Name: "functions info", Args: []string{"NAME"}, Flags: functionsInfo,
	Usage: `Usage: jfn functions info NAME [--show-secret]

Shows a function's settings, and the MCP tools its OpenAPI document turns into (fetched now).
`,
}

var functionsDeleteCmd = command{
	Name: "functions delete", Args: []string{"NAME"}, Yes: true, Run: functionsDelete,
	Usage: `Usage: jfn functions delete NAME [-y]

Deletes function NAME and all its tokens.
`,
}

// functionJSON is a function in 'functions list --json'.
type functionJSON struct {
	Name       string `json:"name"`
	URL        string `json:"url"`
	Upstream   string `json:"upstream"`
	OpenAPIURL string `json:"openapi_url"`
	Public     bool   `json:"public"`
	TimeoutMS  int64  `json:"timeout_ms"`
	MCP        bool   `json:"mcp"`
}

func toFunctionJSON(f store.Function, url string) functionJSON {
	return functionJSON{
		Name: f.Name, URL: url, Upstream: f.Upstream, OpenAPIURL: f.DocumentURL(),
		Public: f.Public, TimeoutMS: f.EffectiveTimeout().Milliseconds(), MCP: f.MCP,
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func functionsList(fs *flagSet) action {
	urls := addURLFlags(fs)
	return func(ctx context.Context, x *invocation) error {
		functionURL, err := urls.resolve(x)
		if err != nil {
			return err
		}
		st, err := x.store(ctx)
		if err != nil {
			return err
		}
		fns, err := st.ListFunctions(ctx)
		if err != nil {
			return fmt.Errorf("cannot list functions: %w", err)
		}
		if x.json {
			out := struct {
				Functions []functionJSON `json:"functions"`
			}{Functions: []functionJSON{}}
			for _, f := range fns {
				out.Functions = append(out.Functions, toFunctionJSON(f, functionURL(f.Name)))
			}
			return printJSON(x.Stdout, out)
		}
		if len(fns) == 0 {
			info(x.Stdout, "No functions yet. Deploy one with 'jfn deploy NAME --url URL'.")
			return nil
		}
		tw := table(x.Stdout)
		fmt.Fprintln(tw, "Name\tURL\tUpstream\tPublic\tMCP")
		for _, f := range fns {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Name, functionURL(f.Name), shown(f.Upstream), yesNo(f.Public), onOff(f.MCP))
		}
		return tw.Flush()
	}
}

// specJSON is the "spec" member of 'functions info --json'.
type specJSON struct {
	Status    string  `json:"status"` // ok or error
	FetchedAt *string `json:"fetched_at"`
	Error     *string `json:"error"`
}

// specOf is the "spec" member of --json for a document fetched now, or that could not be
// loaded with fetchErr.
func specOf(fetchErr error) specJSON {
	if fetchErr != nil {
		msg := fetchErr.Error()
		return specJSON{Status: "error", Error: &msg}
	}
	return specJSON{Status: "ok", FetchedAt: jsonTime(time.Now())}
}

func functionsInfo(fs *flagSet) action {
	showSecret := fs.Bool("show-secret", false, "also show the function's signing secret")
	urls := addURLFlags(fs)
	return func(ctx context.Context, x *invocation) error {
		functionURL, err := urls.resolve(x)
		if err != nil {
			return err
		}
		st, err := x.store(ctx)
		if err != nil {
			return err
		}
		f, err := st.GetFunction(ctx, x.Args[0])
		if err != nil {
			return err
		}
		doc, fetchErr := service.FetchSpec(ctx, f)
		tools := []string{}
		if doc != nil {
			tools = service.ToolNames(doc)
		}
		if x.json {
			var secret *string
			if *showSecret {
				secret = &f.SigningSecret
			}
			return printJSON(x.Stdout, struct {
				functionJSON
				Tools         []string `json:"tools"`
				Spec          specJSON `json:"spec"`
				SigningSecret *string  `json:"signing_secret,omitempty"`
			}{toFunctionJSON(f, functionURL(f.Name)), tools, specOf(fetchErr), secret})
		}
		tw := table(x.Stdout)
		fmt.Fprintf(tw, "▸ Name\t%s\n", f.Name)
		fmt.Fprintf(tw, "▸ URL\t%s\n", functionURL(f.Name))
		fmt.Fprintf(tw, "▸ Upstream\t%s\n", shown(f.Upstream))
		fmt.Fprintf(tw, "▸ OpenAPI\t%s\n", shown(f.DocumentURL()))
		fmt.Fprintf(tw, "▸ Public\t%s\n", yesNo(f.Public))
		if len(f.CORSOrigins) > 0 {
			fmt.Fprintf(tw, "▸ CORS\t%s\n", strings.Join(f.CORSOrigins, ", "))
		} else {
			fmt.Fprintf(tw, "▸ CORS\tno origins (--cors-origins lists them)\n")
		}
		fmt.Fprintf(tw, "▸ Timeout\t%s\n", f.EffectiveTimeout())
		if f.MCP {
			fmt.Fprintf(tw, "▸ MCP\ton (%s/mcp)\n", functionURL(f.Name))
		} else {
			fmt.Fprintf(tw, "▸ MCP\toff\n")
		}
		if *showSecret {
			fmt.Fprintf(tw, "▸ Secret\t%s\n", f.SigningSecret)
		} else {
			fmt.Fprintf(tw, "▸ Secret\thidden (--show-secret shows it)\n")
		}
		for _, p := range f.PreviousSecrets {
			if time.Now().Before(p.ExpiresAt) {
				fmt.Fprintf(tw, "▸ Previous\tsecret still signs until %s\n", humanTime(p.ExpiresAt))
			}
		}
		if fetchErr != nil {
			fmt.Fprintf(tw, "⚠ Spec\terror: %s\n", hidePasswords(fetchErr.Error(), f.Upstream, f.DocumentURL()))
			return tw.Flush()
		}
		fmt.Fprintf(tw, "▸ Spec\tok (fetched %s)\n", humanTime(time.Now()))
		fmt.Fprintf(tw, "▸ Catalog\t%s\n", catalog.Describe(f.MCPMode, f.MCPToolsets, doc.Tools()))
		fmt.Fprintf(tw, "▸ Tools\t%d\n", len(tools))
		for _, t := range tools {
			fmt.Fprintf(tw, "\t%s\n", t)
		}
		return tw.Flush()
	}
}

func functionsDelete(ctx context.Context, x *invocation) error {
	name := x.Args[0]
	st, err := x.store(ctx)
	if err != nil {
		return err
	}
	tokens, err := st.ListTokens(ctx, name)
	if err != nil {
		return err
	}
	if err := x.Confirm(fmt.Sprintf("Delete function %s and its %d tokens?", name, len(tokens))); err != nil {
		return err
	}
	if err := service.DeleteFunction(ctx, st, name); err != nil {
		return err
	}
	if x.json {
		return printJSON(x.Stdout, struct {
			Name    string `json:"name"`
			Deleted bool   `json:"deleted"`
		}{name, true})
	}
	ok(x.Stdout, "Function deleted")
	return nil
}

var functionsRefreshCmd = command{
	Name: "functions refresh", Args: []string{"NAME"}, Run: functionsRefresh,
	Usage: `Usage: jfn functions refresh NAME

Fetches function NAME's OpenAPI document now and reports how many MCP tools it turns into,
and makes every running server fetch it again (within a second), so that open MCP sessions
see the new tools.
`,
}

func functionsRefresh(ctx context.Context, x *invocation) error {
	name := x.Args[0]
	st, err := x.store(ctx)
	if err != nil {
		return err
	}
	res, err := service.Refresh(ctx, st, name, service.FetchTools)
	if err != nil {
		return err
	}
	tools, fetchErr := res.Tools, res.FetchErr
	spec := specOf(fetchErr)
	if fetchErr != nil {
		fetchErr = fmt.Errorf("cannot load the OpenAPI document of %s: %w (running servers keep their last good tools and retry)", name, fetchErr)
	}
	if x.json {
		if err := printJSON(x.Stdout, struct {
			Name  string   `json:"name"`
			Tools []string `json:"tools"`
			Spec  specJSON `json:"spec"`
		}{name, tools, spec}); err != nil {
			return err
		}
		return fetchErr
	}
	if fetchErr != nil {
		return fetchErr
	}
	noun := "tools"
	if len(tools) == 1 {
		noun = "tool"
	}
	ok(x.Stdout, "Refreshed: %d %s", len(tools), noun)
	return nil
}

var functionsRotateSecretCmd = command{
	Name: "functions rotate-secret", Args: []string{"NAME"}, Yes: true, Flags: functionsRotateSecret,
	Usage: `Usage: jfn functions rotate-secret NAME [--grace 24h] [-y]

Gives function NAME a new signing secret (the key of the X-Jelou-Signature header on every
request the gateway sends it) and prints it. During the grace period requests carry two
signatures, one per secret, so the function accepts them whichever secret it holds (one
more for each earlier secret whose own grace period has not ended).
`,
}

func functionsRotateSecret(fs *flagSet) action {
	grace := fs.String("grace", "24h", "the old secret still signs for `D`, e.g. 24h or 7d; 0 stops it now")
	return func(ctx context.Context, x *invocation) error {
		name := x.Args[0]
		g, valid := service.ParseGrace(*grace)
		if !valid {
			return x.Usagef("invalid --grace %q: want 0 or a duration up to 30d, such as 24h", *grace)
		}
		st, err := x.store(ctx)
		if err != nil {
			return err
		}
		if _, isSecrets := st.(store.Secrets); !isSecrets {
			return fmt.Errorf("the store %s cannot rotate signing secrets", store.RedactDSN(x.db))
		}
		if _, err := st.GetFunction(ctx, name); err != nil {
			return err
		}
		question := fmt.Sprintf("Rotate the signing secret of %s? The old one stays valid for %s.", name, g)
		if g == 0 {
			question = fmt.Sprintf("Rotate the signing secret of %s? The old one stops working at once.", name)
		}
		if err := x.Confirm(question); err != nil {
			return err
		}
		f, err := service.RotateSecret(ctx, st, name, g)
		if err != nil {
			return err
		}
		var replacedUntil time.Time // when the secret this rotation replaced stops signing; zero: now
		if len(f.PreviousSecrets) > 0 {
			replacedUntil = f.PreviousSecrets[0].ExpiresAt
		}
		if x.json {
			return printJSON(x.Stdout, struct {
				Name              string  `json:"name"`
				SigningSecret     string  `json:"signing_secret"`
				PreviousExpiresAt *string `json:"previous_expires_at"`
			}{name, f.SigningSecret, jsonTime(replacedUntil)})
		}
		ok(x.Stdout, "Signing secret rotated")
		info(x.Stdout, "Secret   %s", f.SigningSecret)
		if replacedUntil.IsZero() {
			warn(x.Stdout, "Save it now and give it to the function: the old secret is no longer accepted.")
		} else {
			warn(x.Stdout, "Save it now and give it to the function: the old secret is accepted until %s.", humanTime(replacedUntil))
		}
		return nil
	}
}
