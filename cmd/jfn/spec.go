package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

// maxSpecBytes bounds the OpenAPI document 'functions info' downloads.
const maxSpecBytes = 10 << 20

// fetchTools downloads f's OpenAPI document (without credentials, as the gateway does) and
// returns the names of the MCP tools it turns into.
func fetchTools(ctx context.Context, f store.Function) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, min(timeoutOf(f), 10*time.Second))
	defer cancel()
	u := openAPIURL(f)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.1")
	resp, err := http.DefaultClient.Do(req)
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
	names, err := toolNames(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", u, err)
	}
	return names, nil
}

// toolNames is a TEMPORARY stand-in for openapi.Load(data) and Spec.Tools, which are being
// written: it lists the operationIds of a JSON document's visible operations, sorted.
func toolNames(data []byte) ([]string, error) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Swagger string                                `json:"swagger"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON OpenAPI document: %w", err)
	}
	if doc.OpenAPI == "" && doc.Swagger == "" {
		return nil, errors.New("not an OpenAPI document: no openapi or swagger field")
	}
	names := []string{}
	for _, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
				MCP         *bool  `json:"x-jelou-mcp"`
			}
			if !slices.Contains([]string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}, method) ||
				json.Unmarshal(raw, &op) != nil || op.OperationID == "" || (op.MCP != nil && !*op.MCP) {
				continue
			}
			names = append(names, op.OperationID)
		}
	}
	sort.Strings(names)
	return names, nil
}
