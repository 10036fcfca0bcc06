package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// documentClient fetches OpenAPI documents for the CLI with the gateway's redirect rule: at
// most 3 redirects, all to the document URL's own scheme, host and port.
var documentClient = &http.Client{CheckRedirect: openapi.CheckRedirect}

// maxSpecBytes bounds the OpenAPI document 'functions info' downloads.
const maxSpecBytes = openapi.MaxDocumentSize

// fetchTools downloads f's OpenAPI document (without credentials, as the gateway does) and
// returns the names of the MCP tools it turns into.
func fetchTools(ctx context.Context, f store.Function) ([]string, error) {
	spec, err := fetchSpec(ctx, f)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, t := range spec.Tools() {
		names = append(names, t.Name)
	}
	return names, nil
}

// fetchSpec downloads and loads f's OpenAPI document, without credentials, as the gateway does.
func fetchSpec(ctx context.Context, f store.Function) (*openapi.Spec, error) {
	ctx, cancel := context.WithTimeout(ctx, min(f.EffectiveTimeout(), 10*time.Second))
	defer cancel()
	u := f.DocumentURL()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.1")
	resp, err := documentClient.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message repeats the URL
		}
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSpecBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if len(data) > maxSpecBytes {
		return nil, fmt.Errorf("fetch %s: the document is larger than %d bytes", u, maxSpecBytes)
	}
	spec, err := openapi.Load(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", u, err)
	}
	return spec, nil
}
