package openapi

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// maxRefHops bounds a chain of $refs that point at further $refs.
const maxRefHops = 32

// refError explains why a $ref could not be followed.
type refError struct {
	ref    string
	reason string
}

func (e *refError) Error() string { return fmt.Sprintf("$ref %q: %s", e.ref, e.reason) }

// isLocalRef reports whether ref points inside the document itself. Every
// other reference (a file, a URL) is never followed: following one would let
// an untrusted document read local files or reach internal hosts.
func isLocalRef(ref string) bool { return strings.HasPrefix(ref, "#") }

// refOf returns the $ref string of v when v is a reference object.
func refOf(v any) (string, bool) {
	o, ok := v.(*object)
	if !ok {
		return "", false
	}
	r, ok := o.val("$ref").(string)
	return r, ok
}

// canonicalRef returns the JSON pointer a local ref names, unescaped from its
// URI form, so that "#/a%20b" and "#/a b" are the same key.
func canonicalRef(ref string) string {
	frag := strings.TrimPrefix(ref, "#")
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	return "#" + frag
}

// lookup returns the value a local JSON pointer names in root. Intermediate
// reference objects are followed, so a pointer can go through a component
// that is itself a $ref (documents that replace a whole map with a $ref).
func lookup(root any, ref string) (any, error) {
	v, err := lookupDepth(root, ref, 0)
	if err != nil {
		// A Swagger 2.0 pointer left in a converted document (in an
		// extension the conversion did not rewrite).
		for old, repl := range swagger2Pointers {
			if strings.HasPrefix(ref, old) {
				if v2, err2 := lookupDepth(root, repl+strings.TrimPrefix(ref, old), 0); err2 == nil {
					return v2, nil
				}
			}
		}
	}
	return v, err
}

var swagger2Pointers = map[string]string{
	"#/definitions/": "#/components/schemas/",
	"#/parameters/":  "#/components/parameters/",
	"#/responses/":   "#/components/responses/",
}

func lookupDepth(root any, ref string, depth int) (any, error) {
	if depth > maxRefHops {
		return nil, &refError{ref, "reference chain is too long or circular"}
	}
	if !isLocalRef(ref) {
		return nil, &refError{ref, "external references are not followed"}
	}
	ptr := strings.TrimPrefix(canonicalRef(ref), "#")
	if ptr == "" {
		return root, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, &refError{ref, "only JSON pointers are supported"}
	}
	cur := root
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		for hops := 0; ; hops++ {
			o, ok := cur.(*object)
			if !ok {
				break
			}
			if o.has(tok) {
				break
			}
			inner, isRef := o.val("$ref").(string)
			if !isRef || hops >= maxRefHops || !isLocalRef(inner) {
				break
			}
			next, err := lookupDepth(root, inner, depth+1)
			if err != nil || next == cur {
				break
			}
			cur = next
		}
		switch c := cur.(type) {
		case *object:
			v, ok := c.get(tok)
			if !ok {
				return nil, &refError{ref, "target not found"}
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, &refError{ref, "target not found"}
			}
			cur = c[i]
		default:
			return nil, &refError{ref, "target not found"}
		}
	}
	return cur, nil
}

// resolve follows v while it is a reference object and returns the object it
// ends on, with the canonical pointer of the last reference followed ("" when
// v was not a reference).
func resolve(root any, v any) (any, string, error) {
	last := ""
	for hops := 0; ; hops++ {
		ref, ok := refOf(v)
		if !ok {
			return v, last, nil
		}
		if hops >= maxRefHops {
			return nil, "", &refError{ref, "reference chain is too long or circular"}
		}
		next, err := lookup(root, ref)
		if err != nil {
			return nil, "", err
		}
		last = canonicalRef(ref)
		v = next
	}
}

// resolveObject is resolve for places where an object is required.
func resolveObject(root any, v any) (*object, error) {
	r, _, err := resolve(root, v)
	if err != nil {
		return nil, err
	}
	o, ok := r.(*object)
	if !ok {
		return nil, fmt.Errorf("expected an object, found %s", typeName(r))
	}
	return o, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *object:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}
