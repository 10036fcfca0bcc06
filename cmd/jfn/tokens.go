package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jfnhq/jfn/internal/service"
)

var tokensListCmd = command{
	Name: "tokens list", Args: []string{"NAME"}, Run: tokensList,
	Usage: `Usage: jfn tokens list NAME

Lists the active runtime tokens of function NAME (never their secrets).
`,
}

var tokensCreateCmd = command{
	Name: "tokens create", Args: []string{"NAME"}, Flags: tokensCreate,
	Usage: `Usage: jfn tokens create NAME --name N [--expires 90d]

Creates a runtime token for function NAME and prints it once.
`,
}

var tokensRevokeCmd = command{
	Name: "tokens revoke", Args: []string{"NAME", "TOKEN_ID"}, Yes: true, Run: tokensRevoke,
	Usage: `Usage: jfn tokens revoke NAME TOKEN_ID [-y]

Revokes one token of function NAME; every running server refuses it within a second.
`,
}

// tokenJSON is one token in 'tokens list --json'.
type tokenJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	CreatedAt  *string `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	ExpiresAt  *string `json:"expires_at"`
}

func tokensList(ctx context.Context, x *invocation) error {
	name := x.Args[0]
	st, err := x.store(ctx)
	if err != nil {
		return err
	}
	tokens, err := st.ListTokens(ctx, name)
	if err != nil {
		return err
	}
	if x.json {
		out := struct {
			Tokens []tokenJSON `json:"tokens"`
		}{Tokens: []tokenJSON{}}
		for _, t := range tokens {
			out.Tokens = append(out.Tokens, tokenJSON{
				ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: jsonTime(t.CreatedAt),
				LastUsedAt: jsonTime(t.LastUsedAt), ExpiresAt: jsonTime(t.ExpiresAt),
			})
		}
		return printJSON(x.Stdout, out)
	}
	if len(tokens) == 0 {
		info(x.Stdout, "No active tokens for %s. Create one with 'jfn tokens create %s --name N'.", name, name)
		return nil
	}
	tw := table(x.Stdout)
	fmt.Fprintln(tw, "ID\tName\tPrefix\tLast Used\tCreated")
	now := time.Now()
	for _, t := range tokens {
		created := humanTime(t.CreatedAt)
		if !t.Active(now) {
			created += " (expired)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, humanTime(t.LastUsedAt), created)
	}
	return tw.Flush()
}

func tokensCreate(fs *flagSet) action {
	label := fs.String("name", "", "a label `N` for the token, e.g. the environment or team that uses it (required)")
	expires := durationVar(fs, "expires", 0, "the lifetime `D`, in days (90d) or as a Go duration (36h); default never")
	return func(ctx context.Context, x *invocation) error {
		switch err := service.CheckTokenName(*label); {
		case errors.Is(err, service.ErrTokenNameEmpty):
			return x.Usagef("--name is required, e.g. --name production")
		case errors.Is(err, service.ErrTokenNameTooLong):
			return x.Usagef("--name is too long: use at most 64 characters")
		case err != nil:
			return x.Usagef("--name %q has a non-printable character", *label)
		}
		st, err := x.store(ctx)
		if err != nil {
			return err
		}
		secret, t, err := service.CreateToken(ctx, st, x.Args[0], *label, *expires)
		if err != nil {
			return err
		}
		if x.json {
			return printJSON(x.Stdout, struct {
				ID     string `json:"id"`
				Name   string `json:"name"`
				Prefix string `json:"prefix"`
				Token  string `json:"token"`
			}{t.ID, t.Name, t.Prefix, secret})
		}
		ok(x.Stdout, "Created token %q", t.Name)
		info(x.Stdout, "Token    %s", secret)
		warn(x.Stdout, "Save this token now — it will not be shown again.")
		return nil
	}
}

func tokensRevoke(ctx context.Context, x *invocation) error {
	name, id := x.Args[0], x.Args[1]
	st, err := x.store(ctx)
	if err != nil {
		return err
	}
	tok, err := service.FindToken(ctx, st, name, id)
	if err == nil {
		if err := x.Confirm(fmt.Sprintf("Revoke token %s for %s?", tok.Prefix, name)); err != nil {
			return err
		}
		err = service.RevokeToken(ctx, st, name, id)
	}
	if errors.Is(err, service.ErrNoToken) {
		return fmt.Errorf("%s has no active token %s; see 'jfn tokens list %s'", name, id, name)
	}
	if err != nil {
		return err
	}
	if x.json {
		return printJSON(x.Stdout, struct {
			ID      string `json:"id"`
			Revoked bool   `json:"revoked"`
		}{id, true})
	}
	ok(x.Stdout, "Token revoked")
	return nil
}
