package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxDocumentSize bounds the documents Load and Publish accept.
const MaxDocumentSize = 16 << 20

// ErrNotOpenAPI is returned (wrapped) by Load and Publish for input that is
// not an OpenAPI or Swagger document at all.
var ErrNotOpenAPI = errors.New("not an OpenAPI or Swagger document")

// panicsForTest makes the recover() safety nets re-panic, so that fuzzing
// finds the bugs they would hide.
var panicsForTest = false

// methodOrder is the order operations are visited in within a path item.
var methodOrder = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "QUERY"}

// Spec is a loaded document: the tools its operations became, what was
// skipped and why, and what the gateway needs to route plain HTTP calls.
// A Spec is immutable and safe for concurrent use.
type Spec struct {
	version string
	title   string
	tools   []Tool
	skipped []Skipped
	routes  []route
	// routesBySegments indexes routes by their number of segments; nil
	// when no operation is public.
	routesBySegments map[int][]int
	// literalsAt maps, per segment position, each fold key (foldKeys) of the
	// literal segments routes have there to those literals' spellings;
	// IsPublic refuses look-alikes of them.
	literalsAt map[int]map[string][]string
	schedules  []Schedule
	// cronSkipped lists malformed x-jelou-cron entries (cron.go).
	cronSkipped []Skipped
	// outputDropped lists tools whose output schema did not compile and was
	// left out: a converter bug if it ever happens (tests assert none).
	outputDropped []string
}

// Skipped is an operation that did not become a tool, or a part of a tool's
// operation that the tool leaves out (a header parameter only the gateway may
// set, see ReservedHeader).
type Skipped struct {
	// Operation names the operation: "METHOD /path", or a path, or a webhook.
	Operation string `json:"operation"`
	// Reason says why, in one sentence.
	Reason string `json:"reason"`
}

// Schedule is one entry of an operation's x-jelou-cron extension, as written.
// The gateway validates the expression and time zone.
type Schedule struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	Timezone   string `json:"timezone"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	// Tool is the name of the tool the operation became, "" when it is not
	// a tool (x-jelou-mcp: false, or skipped).
	Tool string `json:"tool"`
}

// Title returns info.title.
func (s *Spec) Title() string { return s.title }

// Version returns the version the document declares ("2.0", "3.0.3", "3.1.0").
func (s *Spec) Version() string { return s.version }

// Tools returns the tools, in a deterministic order: paths sorted, then
// methods in the order GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE.
// The slice is a copy; the tools share their schemas and must not be
// modified.
func (s *Spec) Tools() []Tool { return slices.Clone(s.tools) }

// Tool returns the tool with the given name.
func (s *Spec) Tool(name string) (*Tool, bool) {
	for i := range s.tools {
		if s.tools[i].Name == name {
			t := s.tools[i]
			return &t, true
		}
	}
	return nil, false
}

// Skipped returns the operations that did not become tools, and the header
// parameters tools leave out, with reasons.
func (s *Spec) Skipped() []Skipped { return slices.Clone(s.skipped) }

// Schedules returns the well-formed x-jelou-cron entries of every operation,
// including operations that are not tools, as written; CronSchedules names
// them and reports the rest.
func (s *Spec) Schedules() []Schedule { return slices.Clone(s.schedules) }

// Load parses an OpenAPI 3.0, 3.1 or Swagger 2.0 document, JSON or YAML.
//
// External references are never followed, so a document cannot make the
// gateway read a file or reach a URL; schemas behind one become
// unconstrained and operations that need one are skipped. Size
// (MaxDocumentSize) and nesting depth are bounded. A document that is
// slightly invalid keeps every operation that can be understood; the rest is
// reported by Skipped. Load returns an error (wrapping ErrNotOpenAPI) only
// when the input is not an OpenAPI or Swagger document at all or cannot be
// parsed.
func Load(data []byte) (spec *Spec, err error) {
	defer func() {
		// A converter bug must never take the gateway down: operations are
		// already isolated; this catches the rest.
		if r := recover(); r != nil {
			if panicsForTest {
				panic(r)
			}
			spec, err = nil, fmt.Errorf("openapi: internal error while loading: %v", r)
		}
	}()
	root, version, swagger2, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	var pre []Skipped
	if swagger2 {
		root, pre, err = fromSwagger2(root)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotOpenAPI, err)
		}
	}
	b := newBuilder(root, swagger2)
	b.spec.version = version
	b.spec.skipped = append(b.spec.skipped, pre...)
	b.build()
	return b.spec, nil
}

// parseDocument reads JSON or YAML and checks that it is an OpenAPI or
// Swagger document. It returns the tree and the declared version.
func parseDocument(data []byte) (root *object, version string, swagger2 bool, err error) {
	if len(data) > MaxDocumentSize {
		return nil, "", false, fmt.Errorf("%w: document is larger than %d bytes", ErrNotOpenAPI, MaxDocumentSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	var tree any
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		tree, err = parseJSON(data)
		if err != nil && !errors.Is(err, errTooDeep) {
			// Not JSON after all (YAML flow style, comments): try YAML.
			if t, yerr := parseYAML(data); yerr == nil {
				tree, err = t, nil
			}
		}
	} else {
		tree, err = parseYAML(data)
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("%w: %v", ErrNotOpenAPI, err)
	}
	root, ok := tree.(*object)
	if !ok {
		return nil, "", false, fmt.Errorf("%w: the document is %s, not an object", ErrNotOpenAPI, typeName(tree))
	}
	if v, ok := versionString(root.val("openapi")); ok {
		if !strings.HasPrefix(v, "3.") {
			return nil, "", false, fmt.Errorf("%w: unsupported openapi version %q", ErrNotOpenAPI, v)
		}
		return root, v, false, nil
	}
	if v, ok := versionString(root.val("swagger")); ok {
		if v != "2.0" && v != "2" {
			return nil, "", false, fmt.Errorf("%w: unsupported swagger version %q", ErrNotOpenAPI, v)
		}
		return root, "2.0", true, nil
	}
	return nil, "", false, fmt.Errorf("%w: no openapi or swagger version field", ErrNotOpenAPI)
}

func versionString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), true
	case json.Number:
		return string(v), true
	}
	return "", false
}
