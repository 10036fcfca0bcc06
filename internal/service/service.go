// Package service holds the operations the CLI and the web console share: deploying a
// function, creating and revoking its runtime tokens, refreshing its document, rotating its
// signing secret and deleting it. Each rule lives here once, over
// the store; callers turn the errors into their own words (a usage line for the CLI, a
// message on the page for the console).
//
//	res, err := service.Deploy(ctx, st, service.DeployParams{Name: "shop", Upstream: "http://127.0.0.1:3000"})
//	// res.Token is the default token's secret, shown once.
package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
)

// ErrUpstreamRequired is returned by Deploy for a new function without an upstream URL.
var ErrUpstreamRequired = errors.New("an upstream URL is required to deploy a function for the first time")

// Token name problems, returned by CheckTokenName.
var (
	ErrTokenNameEmpty    = errors.New("a token name is required")
	ErrTokenNameTooLong  = errors.New("the token name is too long: use at most 64 characters")
	ErrTokenNameNotPrint = errors.New("the token name has a non-printable character")
)

var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidName reports whether name is a valid function name (a DNS label).
func ValidName(name string) bool { return namePattern.MatchString(name) }

// CheckName accepts a valid function name; its error says what one is.
func CheckName(name string) error {
	if !ValidName(name) {
		return errors.New("use 1 to 63 lowercase letters, digits and inner hyphens (a DNS label)")
	}
	return nil
}

// CheckTokenName accepts 1 to 64 printable characters.
func CheckTokenName(name string) error {
	if name == "" {
		return ErrTokenNameEmpty
	}
	if utf8.RuneCountInString(name) > 64 {
		return ErrTokenNameTooLong
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return ErrTokenNameNotPrint
		}
	}
	return nil
}

// ValidDomain reports whether d is a DNS name of two labels or more, each a valid function
// name: functions are served as NAME.d.
func ValidDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !ValidName(l) {
			return false
		}
	}
	return true
}

// CheckBaseURL accepts an absolute http or https URL without query or fragment.
func CheckBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http:// or https:// URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q has a query or fragment", s)
	}
	return nil
}

// FunctionURL is the URL callers use for function name: SCHEME://NAME.DOMAIN when domain is
// set (the scheme of publicURL, https without one), else PUBLIC_URL/NAME, where PUBLIC_URL is
// gatewayURL, the gateway's own address, when no public URL is set.
func FunctionURL(publicURL, domain, gatewayURL, name string) string {
	if d := strings.TrimSuffix(domain, "."); d != "" {
		scheme := "https"
		if p, _, ok := strings.Cut(publicURL, "://"); ok && p != "" {
			scheme = p
		}
		return scheme + "://" + name + "." + strings.ToLower(d)
	}
	if publicURL == "" {
		publicURL = gatewayURL
	}
	return strings.TrimSuffix(publicURL, "/") + "/" + name
}

// DeployParams are the settings a deploy changes; nil pointers keep the current value.
type DeployParams struct {
	Name     string
	Upstream string // "" keeps the current one (required when creating)
	OpenAPI  *string
	Public   *bool
	Timeout  *time.Duration
	MCP      *bool
	CORS     *[]string
	Mode     *string
	Toolsets *[]string
}

// DeployResult is the outcome of Deploy.
type DeployResult struct {
	Function store.Function
	Created  bool
	Token    string // the default token's secret, only when Created
}

// Deploy creates or updates a function, and creates its default token when the function is
// new. A new function without p.Upstream is ErrUpstreamRequired.
func Deploy(ctx context.Context, st store.Store, p DeployParams) (DeployResult, error) {
	patch := store.FunctionPatch{
		OpenAPIURL: p.OpenAPI, Public: p.Public, Timeout: p.Timeout, MCP: p.MCP,
		CORSOrigins: p.CORS, MCPMode: p.Mode, MCPToolsets: p.Toolsets,
	}
	if p.Upstream != "" {
		upstream := strings.TrimSuffix(p.Upstream, "/")
		patch.Upstream = &upstream
	}
	// One step in the store: a deploy changing other settings at the same time keeps them.
	f, created, err := st.PatchFunction(ctx, p.Name, patch, p.Upstream != "")
	switch {
	case errors.Is(err, store.ErrNotFound):
		return DeployResult{}, ErrUpstreamRequired
	case err != nil:
		return DeployResult{}, fmt.Errorf("cannot deploy %s: %w", p.Name, err)
	}
	res := DeployResult{Function: f, Created: created}
	if created {
		secret, _, err := mintToken(ctx, st, p.Name, "default", 0)
		if err != nil {
			return res, fmt.Errorf("%s was deployed but its default token could not be created: %w; create one with 'jfn tokens create %s --name default'", p.Name, err, p.Name)
		}
		res.Token = secret
	}
	return res, nil
}

// CreateToken mints a runtime token named name for function and stores its hash; it returns
// the secret, which is never stored. expires 0 means never. A function that does not exist
// is store.ErrNotFound; a name the function's active tokens already use is an error naming
// that token.
func CreateToken(ctx context.Context, st store.Store, function, name string, expires time.Duration) (string, store.Token, error) {
	if err := CheckTokenName(name); err != nil {
		return "", store.Token{}, err
	}
	if expires < 0 {
		return "", store.Token{}, errors.New("the expiry must be positive")
	}
	existing, err := st.ListTokens(ctx, function)
	if err != nil {
		return "", store.Token{}, err
	}
	for _, t := range existing {
		if t.Name == name {
			return "", store.Token{}, fmt.Errorf("%s already has a token named %q (%s); choose another name or revoke that one first", function, t.Name, t.ID)
		}
	}
	return mintToken(ctx, st, function, name, expires)
}

func mintToken(ctx context.Context, st store.Store, function, name string, expires time.Duration) (string, store.Token, error) {
	secret, err := auth.New()
	if err != nil {
		return "", store.Token{}, fmt.Errorf("generate token: %w", err)
	}
	now := time.Now()
	t := store.Token{
		ID:        NewID("tok_", 12),
		Function:  function,
		Name:      name,
		Hash:      auth.Hash(secret),
		Prefix:    auth.DisplayPrefix(secret),
		CreatedAt: now,
	}
	if expires > 0 {
		t.ExpiresAt = now.Add(expires)
	}
	if err := st.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, err
	}
	return secret, t, nil
}

// ErrNoToken is returned by RevokeToken when the function has no active token with that id.
var ErrNoToken = errors.New("no such active token")

// FindToken returns the active token id of function. A function that does not exist is
// store.ErrNotFound; an id it has no active token with is ErrNoToken.
func FindToken(ctx context.Context, st store.Store, function, id string) (store.Token, error) {
	tokens, err := st.ListTokens(ctx, function)
	if err != nil {
		return store.Token{}, err
	}
	for _, t := range tokens {
		if t.ID == id {
			return t, nil
		}
	}
	return store.Token{}, ErrNoToken
}

// RevokeToken revokes the active token id of function; every running server refuses it
// within a second. An id the function has no active token with is ErrNoToken.
func RevokeToken(ctx context.Context, st store.Store, function, id string) error {
	if _, err := st.RevokeToken(ctx, function, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoToken
		}
		return fmt.Errorf("cannot revoke %s: %w", id, err)
	}
	return nil
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewID returns prefix followed by n random base62 characters.
func NewID(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	buf := make([]byte, 2*n)
	for b.Len() < len(prefix)+n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails on supported platforms
		for _, c := range buf {
			if c < 248 && b.Len() < len(prefix)+n { // 248 = 4*62 keeps every character uniform
				b.WriteByte(base62[c%62])
			}
		}
	}
	return b.String()
}
