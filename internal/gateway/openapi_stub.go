package gateway

// TEMPORARY stand-in for package openapi, which is being written. It implements only what
// the gateway calls (Load, Tools, IsPublic, Publish, MaxDocumentSize) over JSON documents.
// When openapi lands this file becomes:
//
//	type apiSpec = openapi.Spec
//	var loadAPISpec = openapi.Load
//	var publishAPISpec = openapi.Publish
//	const maxDocumentSize = openapi.MaxDocumentSize

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

const maxDocumentSize = 8 << 20

type apiTool struct{ Name, Title, Description string }

type apiSpec struct {
	tools  []apiTool
	public []publicOp
}

type publicOp struct {
	method string
	segs   []string
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func loadAPISpec(data []byte) (*apiSpec, error) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Swagger string                                `json:"swagger"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if doc.OpenAPI == "" && doc.Swagger == "" {
		return nil, errors.New("not an OpenAPI document")
	}
	s := &apiSpec{}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		for _, m := range methods {
			raw, ok := doc.Paths[p][m]
			if !ok {
				continue
			}
			var op struct {
				OperationID string             `json:"operationId"`
				Summary     string             `json:"summary"`
				Description string             `json:"description"`
				Security    *[]json.RawMessage `json:"security"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("%s %s: %w", m, p, err)
			}
			name := op.OperationID
			if name == "" {
				name = m + "_" + strings.Trim(strings.ReplaceAll(p, "/", "_"), "_")
			}
			desc := op.Description
			if desc == "" {
				desc = op.Summary
			}
			if desc == "" {
				desc = strings.ToUpper(m) + " " + p
			}
			s.tools = append(s.tools, apiTool{Name: name, Title: op.Summary, Description: desc})
			if op.Security != nil && len(*op.Security) == 0 {
				s.public = append(s.public, publicOp{strings.ToUpper(m), strings.Split(p, "/")})
			}
		}
	}
	return s, nil
}

func (s *apiSpec) Tools() []apiTool { return s.tools }

func (s *apiSpec) IsPublic(method, path string) bool {
	segs := strings.Split(path, "/")
	for _, op := range s.public {
		if op.method != method || len(op.segs) != len(segs) {
			continue
		}
		ok := true
		for i, t := range op.segs {
			if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
				if segs[i] == "" {
					ok = false
					break
				}
				continue
			}
			if t != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func publishAPISpec(raw []byte, serverURL string, functionPublic bool) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	doc["servers"] = []any{map[string]any{"url": serverURL}}
	if !functionPublic {
		comps, _ := doc["components"].(map[string]any)
		if comps == nil {
			comps = map[string]any{}
			doc["components"] = comps
		}
		schemes, _ := comps["securitySchemes"].(map[string]any)
		if schemes == nil {
			schemes = map[string]any{}
			comps["securitySchemes"] = schemes
		}
		schemes["jelouToken"] = map[string]any{"type": "apiKey", "in": "header", "name": "X-Jelou-Token"}
		doc["security"] = []any{map[string]any{"jelouToken": []any{}}}
	} else {
		doc["security"] = []any{}
	}
	return json.Marshal(doc)
}
