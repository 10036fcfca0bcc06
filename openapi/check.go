package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Load proves every schema it keeps compiles, but keeps no compiled validator: on a large
// document they were most of the heap (GitHub's 1,223 tools held about ten times the
// document's bytes), and most tools are never called. A tool's validators are compiled the
// first time a call needs them, from the schema text the tool keeps anyway.

// checks are a tool's validators, shared by the copies of the Tool.
type checks struct {
	name   string
	input  lazySchema // the whole input schema (FullInputSchema, else InputSchema)
	output lazySchema // OutputSchema as listed, what a client checks results against
}

// lazySchema is a schema compiled on first use.
type lazySchema struct {
	once sync.Once
	doc  json.RawMessage
	s    *jsonschema.Schema
	err  error
}

func (l *lazySchema) get(name string) (*jsonschema.Schema, error) {
	l.once.Do(func() {
		if len(l.doc) == 0 {
			l.err = errors.New("no schema")
			return
		}
		// The schema Load emitted may nest deeper than a document may (inlined $refs stack
		// up), so it is read with encoding/json's bound, not the document's.
		tree, err := parseJSONDepth(l.doc, maxNativeDepth)
		root, ok := tree.(*object)
		if err != nil || !ok {
			l.err = fmt.Errorf("schema of %s is not a JSON object", name)
			return
		}
		l.s, l.err = compileOne(name, root)
		l.doc = nil // compiled: the text is the Tool's, not needed here any more
	})
	return l.s, l.err
}

// newChecks records the schemas of t that Load compiled, for compiling again on use.
func newChecks(t *Tool) *checks {
	in := t.FullInputSchema
	if len(in) == 0 {
		in = t.InputSchema
	}
	return &checks{name: t.Name, input: lazySchema{doc: in}, output: lazySchema{doc: t.OutputSchema}}
}

// CheckOutput checks a decoded JSON result (as DecodeJSON gives it; wrapped as {"result": …}
// when WrapResult) against the tool's OutputSchema. It returns "" when the result matches,
// or when the tool declares no output schema; otherwise one phrase per disagreeing field
// ("field items[2].price: got string, want number"), at most a few.
func (t *Tool) CheckOutput(v any) string {
	if t.checks == nil || len(t.OutputSchema) == 0 {
		return ""
	}
	s, err := t.checks.output.get(t.Name)
	if err != nil {
		return "the output schema could not be compiled: " + err.Error()
	}
	if err := s.Validate(v); err != nil {
		return describeMismatch(err)
	}
	return ""
}

// describeMismatch turns a validation error into one phrase per disagreeing field, at most
// a few, so a reader learns which field of the response disagreed with the declared schema.
func describeMismatch(err error) string {
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return err.Error()
	}
	var leaves []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(verr)
	seen := map[string]bool{}
	var parts []string
	for _, l := range leaves {
		s := fmt.Sprintf("field %s: %s", responsePath(l.InstanceLocation), l.ErrorKind.LocalizedString(printer))
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	sort.Strings(parts)
	if len(parts) > 5 {
		parts = append(parts[:5], fmt.Sprintf("and %d more", len(parts)-5))
	}
	return strings.Join(parts, "; ")
}

// responsePath renders an instance location as a dotted path ("items[2].price"), or
// "(the whole response)" for the root.
func responsePath(loc []string) string {
	if len(loc) == 0 {
		return "(the whole response)"
	}
	var sb strings.Builder
	for _, p := range loc {
		if isDigits(p) {
			sb.WriteString("[" + p + "]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(p)
	}
	return sb.String()
}
