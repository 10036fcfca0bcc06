package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// documentClient fetches OpenAPI documents for the CLI and the console; openapi.Fetch holds
// the rules (the gateway's).
var documentClient = &http.Client{}

// maxDocumentWait bounds how long a command waits for a function's document.
const maxDocumentWait = 10 * time.Second

// FetchTools downloads f's OpenAPI document (without credentials, as the gateway does) and
// returns the names of the MCP tools it turns into.
func FetchTools(ctx context.Context, f store.Function) ([]string, error) {
	spec, err := FetchSpec(ctx, f)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, t := range spec.Tools() {
		names = append(names, t.Name)
	}
	return names, nil
}

// FetchSpec downloads and loads f's OpenAPI document, without credentials, as the gateway
// does, within the function's timeout (10 s at most).
func FetchSpec(ctx context.Context, f store.Function) (*openapi.Spec, error) {
	ctx, cancel := context.WithTimeout(ctx, min(f.EffectiveTimeout(), maxDocumentWait))
	defer cancel()
	u := f.DocumentURL()
	data, err := FetchDocument(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	spec, err := openapi.Load(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", u, err)
	}
	return spec, nil
}

// FetchDocument downloads the document at u with openapi.Fetch. Its errors do not repeat
// the URL, which callers name in their own words.
func FetchDocument(ctx context.Context, u string) ([]byte, error) {
	f, err := openapi.Fetch(ctx, documentClient, u, "")
	if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
		err = uerr.Err // its message repeats the URL
	}
	return f.Body, err
}
