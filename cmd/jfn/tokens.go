package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jfnhq/jfn/internal/service"
)

const tokensListUsage = `Usage: jfn tokens list NAME

Lists the active runtime tokens of function NAME (never their secrets).
`

const tokensCreateUsage = `Usage: jfn tokens create NAME --name N [--expires 90d]

Creates a runtime token for function NAME and prints it once.
`

const tokensRevokeUsage = `Usage: jfn tokens revoke NAME TOKEN_ID [-y]

Revokes one token of function NAME; every running server refuses it within a second.
`

// tokenJSON is one token in 'tokens list --json'.
type tokenJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	CreatedAt  *string `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	ExpiresAt  *string `json:"expires_at"`
}

func cmdTokensList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("tokens list")
	name, st, err := nameAndStore(ctx, e, fs, args, tokensListUsage)
	if err != nil {
		return err
	}
	defer st.Close()
	tokens, err := st.ListTokens(ctx, name)
	if err != nil {
		return notFound(err, name)
	}
	if e.json {
		out := struct {
			Tokens []tokenJSON `json:"tokens"`
		}{Tokens: []tokenJSON{}}
		for _, t := range tokens {
			out.Tokens = append(out.Tokens, tokenJSON{
				ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: jsonTime(t.CreatedAt),
				LastUsedAt: jsonTime(t.LastUsedAt), ExpiresAt: jsonTime(t.ExpiresAt),
			})
		}
		return printJSON(e.stdout, out)
	}
	if len(tokens) == 0 {
		info(e.stdout, "No active tokens for %s. Create one with 'jfn tokens create %s --name N'.", name, name)
		return nil
	}
	tw := table(e.stdout)
	fmt.Fprintln(tw, "ID\tName\tPrefix\tLast Used\tCreated")
	now := time.Now()
	for _, t := range tokens {
		created := humanTime(t.CreatedAt)
		if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
			created += " (expired)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, humanTime(t.LastUsedAt), created)
	}
	return tw.Flush()
}

// checkTokenName accepts 1 to 64 printable characters.
func checkTokenName(name string) error {
	switch err := service.CheckTokenName(name); {
	case errors.Is(err, service.ErrTokenNameEmpty):
		return usagef("jfn tokens create: --name is required, e.g. --name production")
	case errors.Is(err, service.ErrTokenNameTooLong):
		return usagef("jfn tokens create: --name is too long: use at most 64 characters")
	case err != nil:
		return usagef("jfn tokens create: --name %q has a non-printable character", name)
	}
	return nil
}

func cmdTokensCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("tokens create")
	tokenName := fs.String("name", "", "a label `N` for the token, e.g. the environment or team that uses it (required)")
	expires := fs.String("expires", "", "the lifetime `D`, in days (90d) or as a Go duration (36h); default never")
	name, err := parseName(fs, args, tokensCreateUsage)
	if err != nil {
		return err
	}
	if err := checkTokenName(*tokenName); err != nil {
		return err
	}
	var ttl time.Duration
	if *expires != "" {
		if ttl, err = service.ParseDuration(*expires); err != nil {
			return usagef("jfn tokens create: %v", err)
		}
		if ttl <= 0 {
			return usagef("jfn tokens create: --expires must be positive")
		}
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, t, err := service.CreateToken(ctx, st, name, *tokenName, ttl)
	if err != nil {
		return notFound(err, name)
	}
	if e.json {
		return printJSON(e.stdout, struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Prefix string `json:"prefix"`
			Token  string `json:"token"`
		}{t.ID, t.Name, t.Prefix, secret})
	}
	ok(e.stdout, "Created token %q", t.Name)
	info(e.stdout, "Token    %s", secret)
	warn(e.stdout, "Save this token now — it will not be shown again.")
	return nil
}

func cmdTokensRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("tokens revoke")
	yes := addYes(fs)
	pos, err := parseArgs(fs, args, tokensRevokeUsage)
	if err != nil {
		return err
	}
	if err := wantArgs("tokens revoke", pos, "NAME", "TOKEN_ID"); err != nil {
		return err
	}
	name, id := pos[0], pos[1]
	if err := checkName("tokens revoke", name); err != nil {
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
	// tokenErr says what to do when the function, or its token, is not there.
	tokenErr := func(err error) error {
		if errors.Is(err, service.ErrNoToken) {
			return fmt.Errorf("%s has no active token %s; see 'jfn tokens list %s'", name, id, name)
		}
		return notFound(err, name)
	}
	tok, err := service.FindToken(ctx, st, name, id)
	if err != nil {
		return tokenErr(err)
	}
	if !*yes && !confirm(e, fmt.Sprintf("Revoke token %s for %s?", tok.Prefix, name)) {
		return errAborted
	}
	if err := service.RevokeToken(ctx, st, name, id); err != nil {
		return tokenErr(err)
	}
	if e.json {
		return printJSON(e.stdout, struct {
			ID      string `json:"id"`
			Revoked bool   `json:"revoked"`
		}{id, true})
	}
	ok(e.stdout, "Token revoked")
	return nil
}
