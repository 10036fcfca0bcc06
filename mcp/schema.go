package mcp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaCache compiles JSON Schemas once per distinct document. SetSpec runs on every
// refresh; most schemas did not change, so their compilations are carried over.
type schemaCache struct {
	m map[[32]byte]*jsonschema.Schema
}

func newSchemaCache() *schemaCache { return &schemaCache{m: map[[32]byte]*jsonschema.Schema{}} }

// compile returns the compiled schema, or an error when doc is not a usable JSON Schema
// 2020-12 document. next collects what the new tool set uses, to become the next cache.
func (c *schemaCache) compile(doc []byte, next map[[32]byte]*jsonschema.Schema) (*jsonschema.Schema, error) {
	key := sha256.Sum256(doc)
	if s, ok := next[key]; ok {
		return s, nil
	}
	if s, ok := c.m[key]; ok {
		next[key] = s
		return s, nil
	}
	s, err := compileSchema(doc)
	if err != nil {
		return nil, err
	}
	next[key] = s
	return s, nil
}

// errNoLoading refuses every $ref outside the document: a schema comes from an untrusted
// OpenAPI document, and jsonschema's default loader would read local files.
var errNoLoading = errors.New("external references are not loaded")

type noLoader struct{}

func (noLoader) Load(string) (any, error) { return nil, errNoLoading }

// anyRegexp stands in for a pattern Go's regexp cannot compile (an ECMA-262 lookahead, say):
// such a pattern is not checked rather than making the whole schema unusable.
type anyRegexp string

func (r anyRegexp) String() string        { return string(r) }
func (anyRegexp) MatchString(string) bool { return true }
func lenientRegexp(s string) (jsonschema.Regexp, error) {
	if re, err := regexp.Compile(s); err == nil {
		return re, nil
	}
	return anyRegexp(s), nil
}

const schemaURL = "mem:///schema.json"

func compileSchema(doc []byte) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	c.UseRegexpEngine(lenientRegexp)
	if err := c.AddResource(schemaURL, v); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

var printer = message.NewPrinter(language.English)

// describeMismatch turns a validation error into one sentence per disagreeing field, at most
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
		s := fmt.Sprintf("field %s: %s", fieldPath(l.InstanceLocation), l.ErrorKind.LocalizedString(printer))
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

// fieldPath renders an instance location as a dotted path ("items[2].price"), or
// "(the whole response)" for the root.
func fieldPath(loc []string) string {
	if len(loc) == 0 {
		return "(the whole response)"
	}
	var sb strings.Builder
	for _, p := range loc {
		if isIndex(p) {
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

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
