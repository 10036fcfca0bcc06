package openapi

import (
	"fmt"
	"strings"
)

// SecuritySchemeName is the name of the security scheme Publish adds.
const SecuritySchemeName = "jelouToken"

// Publish returns the document as the gateway serves it at /openapi.json,
// as JSON:
//   - `servers` is [{"url": serverURL}];
//   - components.securitySchemes gains jelouToken, an apiKey in the
//     X-Jelou-Token header;
//   - unless functionPublic, jelouToken is required: at the top level, and
//     added to every security requirement an operation declares itself. An
//     operation that declares `security: []` keeps it (it is public), and one
//     that was public through a top-level `security: []` gets its own
//     `security: []` so that it stays public.
//
// Everything else is kept as written, key order included. Swagger 2.0 is
// converted to OpenAPI 3.0 first, and YAML is served as JSON.
func Publish(raw []byte, serverURL string, functionPublic bool) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("openapi: internal error while publishing: %v", r)
		}
	}()
	root, _, swagger2, err := parseDocument(raw)
	if err != nil {
		return nil, err
	}
	if swagger2 {
		if root, _, err = fromSwagger2(root); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotOpenAPI, err)
		}
	}

	server := newObject(1)
	server.set("url", serverURL)
	root.set("servers", []any{server})

	comps, err := resolveObject(root, root.val("components"))
	if err != nil {
		comps = newObject(1)
	} else {
		comps = comps.clone()
	}
	schemes, err := resolveObject(root, comps.val("securitySchemes"))
	if err != nil {
		schemes = newObject(1)
	} else {
		schemes = schemes.clone()
	}
	scheme := newObject(4)
	scheme.set("type", "apiKey")
	scheme.set("in", "header")
	scheme.set("name", "X-Jelou-Token")
	scheme.set("description", "Runtime token of the function (jfn_rt_…).")
	schemes.set(SecuritySchemeName, scheme)
	comps.set("securitySchemes", schemes)
	root.set("components", comps)

	if !functionPublic {
		top, hasTop := root.get("security")
		topPublic := hasTop && isEmptyList(top)
		paths, _ := resolveObject(root, root.val("paths"))
		for _, pv := range paths.valsOrEmpty() {
			item, err := resolveObject(root, pv)
			if err != nil {
				continue
			}
			for _, m := range methodOrder {
				op := item.obj(strings.ToLower(m))
				if op == nil {
					continue
				}
				sec, has := op.get("security")
				switch {
				case has && isEmptyList(sec):
				case has:
					op.set("security", withToken(sec))
				case topPublic:
					op.set("security", []any{})
				}
			}
		}
		if hasTop && !topPublic {
			root.set("security", withToken(top))
		} else {
			root.set("security", withToken(nil))
		}
	}
	return marshalTree(root)
}

func isEmptyList(v any) bool {
	a, ok := v.([]any)
	return ok && len(a) == 0
}

// withToken returns security requirements that also require jelouToken.
func withToken(v any) []any {
	reqs, _ := v.([]any)
	var out []any
	for _, r := range reqs {
		ro, ok := r.(*object)
		if !ok {
			continue
		}
		c := ro.clone()
		c.set(SecuritySchemeName, []any{})
		out = append(out, c)
	}
	if len(out) == 0 {
		r := newObject(1)
		r.set(SecuritySchemeName, []any{})
		out = append(out, r)
	}
	return out
}

func (o *object) valsOrEmpty() []any {
	if o == nil {
		return nil
	}
	return o.vals
}
