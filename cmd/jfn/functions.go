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

const functionsListUsage = `Usage: jfn functions list

Lists the deployed functions.
`

const functionsInfoUsage = `Usage: jfn functions info NAME [--show-secret]

Shows a function's settings, and the MCP tools its OpenAPI document turns into (fetched now).
`

const functionsDeleteUsage = `Usage: jfn functions delete NAME [-y]

Deletes function NAME and all its tokens.
`

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

func cmdFunctionsList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("functions list")
	urls := addURLFlags(fs, e)
	pos, err := parseArgs(fs, args, functionsListUsage)
	if err != nil {
		return err
	}
	if err := wantArgs("functions list", pos); err != nil {
		return err
	}
	if err := urls.validate("functions list"); err != nil {
		return err
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	fns, err := st.ListFunctions(ctx)
	if err != nil {
		return fmt.Errorf("cannot list functions: %w", err)
	}
	if e.json {
		out := struct {
			Functions []functionJSON `json:"functions"`
		}{Functions: []functionJSON{}}
		for _, f := range fns {
			out.Functions = append(out.Functions, toFunctionJSON(f, urls.functionURL(f.Name)))
		}
		return printJSON(e.stdout, out)
	}
	if len(fns) == 0 {
		info(e.stdout, "No functions yet. Deploy one with 'jfn deploy NAME --url URL'.")
		return nil
	}
	tw := table(e.stdout)
	fmt.Fprintln(tw, "Name\tURL\tUpstream\tPublic\tMCP")
	for _, f := range fns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Name, urls.functionURL(f.Name), f.Upstream, yesNo(f.Public), onOff(f.MCP))
	}
	return tw.Flush()
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

func cmdFunctionsInfo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("functions info")
	showSecret := fs.Bool("show-secret", false, "also show the function's signing secret")
	urls := addURLFlags(fs, e)
	name, err := parseName(fs, args, functionsInfoUsage)
	if err != nil {
		return err
	}
	if err := urls.validate("functions info"); err != nil {
		return err
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := st.GetFunction(ctx, name)
	if err != nil {
		return notFound(err, name)
	}
	fnURL := urls.functionURL(name)
	doc, fetchErr := service.FetchSpec(ctx, f)
	tools := []string{}
	if doc != nil {
		tools = service.ToolNames(doc)
	}
	spec := specOf(fetchErr)
	if e.json {
		var secret *string
		if *showSecret {
			secret = &f.SigningSecret
		}
		return printJSON(e.stdout, struct {
			functionJSON
			Tools         []string `json:"tools"`
			Spec          specJSON `json:"spec"`
			SigningSecret *string  `json:"signing_secret,omitempty"`
		}{toFunctionJSON(f, fnURL), tools, spec, secret})
	}
	tw := table(e.stdout)
	fmt.Fprintf(tw, "▸ Name\t%s\n", f.Name)
	fmt.Fprintf(tw, "▸ URL\t%s\n", fnURL)
	fmt.Fprintf(tw, "▸ Upstream\t%s\n", f.Upstream)
	fmt.Fprintf(tw, "▸ OpenAPI\t%s\n", f.DocumentURL())
	fmt.Fprintf(tw, "▸ Public\t%s\n", yesNo(f.Public))
	if len(f.CORSOrigins) > 0 {
		fmt.Fprintf(tw, "▸ CORS\t%s\n", strings.Join(f.CORSOrigins, ", "))
	} else {
		fmt.Fprintf(tw, "▸ CORS\tno origins (--cors-origins lists them)\n")
	}
	fmt.Fprintf(tw, "▸ Timeout\t%s\n", f.EffectiveTimeout())
	if f.MCP {
		fmt.Fprintf(tw, "▸ MCP\ton (%s/mcp)\n", fnURL)
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
		fmt.Fprintf(tw, "⚠ Spec\terror: %s\n", fetchErr)
	} else {
		fmt.Fprintf(tw, "▸ Spec\tok (fetched %s)\n", humanTime(time.Now()))
		fmt.Fprintf(tw, "▸ Catalog\t%s\n", catalog.Describe(f.MCPMode, f.MCPToolsets, doc.Tools()))
		fmt.Fprintf(tw, "▸ Tools\t%d\n", len(tools))
		for _, t := range tools {
			fmt.Fprintf(tw, "\t%s\n", t)
		}
	}
	return tw.Flush()
}

func cmdFunctionsDelete(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("functions delete")
	yes := addYes(fs)
	name, err := parseName(fs, args, functionsDeleteUsage)
	if err != nil {
		return err
	}
	if err := needYes(e, fs, *yes); err != nil {
		return err
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	tokens, err := st.ListTokens(ctx, name)
	if err != nil {
		return notFound(err, name)
	}
	if !*yes && !confirm(e, fmt.Sprintf("Delete function %s and its %d tokens?", name, len(tokens))) {
		return errAborted
	}
	if err := service.DeleteFunction(ctx, st, name); err != nil {
		return notFound(err, name)
	}
	if e.json {
		return printJSON(e.stdout, struct {
			Name    string `json:"name"`
			Deleted bool   `json:"deleted"`
		}{name, true})
	}
	ok(e.stdout, "Function deleted")
	return nil
}

const functionsRefreshUsage = `Usage: jfn functions refresh NAME

Fetches function NAME's OpenAPI document now and reports how many MCP tools it turns into,
and makes every running server fetch it again (within a second), so that open MCP sessions
see the new tools.
`

func cmdFunctionsRefresh(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("functions refresh")
	name, st, err := nameAndStore(ctx, e, fs, args, functionsRefreshUsage)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := service.Refresh(ctx, st, name, service.FetchTools)
	if err != nil {
		return notFound(err, name)
	}
	tools, fetchErr := res.Tools, res.FetchErr
	spec := specOf(fetchErr)
	if fetchErr != nil {
		fetchErr = fmt.Errorf("cannot load the OpenAPI document of %s: %w (running servers keep their last good tools and retry)", name, fetchErr)
	}
	if e.json {
		if err := printJSON(e.stdout, struct {
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
	ok(e.stdout, "Refreshed: %d %s", len(tools), noun)
	return nil
}

const functionsRotateSecretUsage = `Usage: jfn functions rotate-secret NAME [--grace 24h] [-y]

Gives function NAME a new signing secret (the key of the X-Jelou-Signature header on every
request the gateway sends it) and prints it. During the grace period requests carry two
signatures, one per secret, so the function accepts them whichever secret it holds (one
more for each earlier secret whose own grace period has not ended).
`

func cmdFunctionsRotateSecret(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("functions rotate-secret")
	grace := fs.String("grace", "24h", "the old secret still signs for `D`, e.g. 24h or 7d (default 24h; 0 stops it now)")
	yes := addYes(fs)
	name, err := parseName(fs, args, functionsRotateSecretUsage)
	if err != nil {
		return err
	}
	g, valid := service.ParseGrace(*grace)
	if !valid {
		return usagef("jfn functions rotate-secret: invalid --grace %q: want 0 or a duration up to 30d, such as 24h", *grace)
	}
	if err := needYes(e, fs, *yes); err != nil {
		return err
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, isSecrets := st.(store.Secrets); !isSecrets {
		return fmt.Errorf("the store %s cannot rotate signing secrets", store.RedactDSN(e.db))
	}
	if _, err := st.GetFunction(ctx, name); err != nil {
		return notFound(err, name)
	}
	question := fmt.Sprintf("Rotate the signing secret of %s? The old one stays valid for %s.", name, g)
	if g == 0 {
		question = fmt.Sprintf("Rotate the signing secret of %s? The old one stops working at once.", name)
	}
	if !*yes && !confirm(e, question) {
		return errAborted
	}
	f, err := service.RotateSecret(ctx, st, name, g)
	if err != nil {
		return notFound(err, name)
	}
	var replacedUntil time.Time // when the secret this rotation replaced stops signing; zero: now
	if len(f.PreviousSecrets) > 0 {
		replacedUntil = f.PreviousSecrets[0].ExpiresAt
	}
	if e.json {
		return printJSON(e.stdout, struct {
			Name              string  `json:"name"`
			SigningSecret     string  `json:"signing_secret"`
			PreviousExpiresAt *string `json:"previous_expires_at"`
		}{name, f.SigningSecret, jsonTime(replacedUntil)})
	}
	ok(e.stdout, "Signing secret rotated")
	info(e.stdout, "Secret   %s", f.SigningSecret)
	if replacedUntil.IsZero() {
		warn(e.stdout, "Save it now and give it to the function: the old secret is no longer accepted.")
	} else {
		warn(e.stdout, "Save it now and give it to the function: the old secret is accepted until %s.", humanTime(replacedUntil))
	}
	return nil
}
