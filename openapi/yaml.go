package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
	"go.yaml.in/yaml/v4/plugin/loaderlimits"
)

// maxExpandedNodes bounds the size of a YAML document once its aliases are
// expanded, against "billion laughs" documents whose aliases multiply.
const maxExpandedNodes = 3 << 20

// parseYAML parses a YAML document into a tree. It reads the node tree rather
// than decoding into Go values, so that it decides itself how keys and
// scalars become JSON: integer response codes (200:) become string keys,
// timestamps and other typed scalars stay as the text that was written, and a
// duplicate key keeps its last value instead of failing the whole document.
func parseYAML(data []byte) (any, error) {
	var doc yaml.Node
	err := yaml.Load(data, &doc, yaml.WithPlugin(loaderlimits.New(loaderlimits.DepthValue(maxDepth))))
	if err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	c := &yamlConverter{memo: map[*yaml.Node]any{}, busy: map[*yaml.Node]bool{}, sizes: map[*yaml.Node]int{}}
	if n := c.size(&doc, 0); n > maxExpandedNodes {
		return nil, errors.New("yaml: document expands to too many nodes (aliases)")
	}
	return c.convert(&doc, 0)
}

type yamlConverter struct {
	memo  map[*yaml.Node]any // converted anchors, so an alias is converted once
	busy  map[*yaml.Node]bool
	sizes map[*yaml.Node]int
	// inAnchor counts the anchored nodes being converted around the current one: their
	// content is converted again for each alias, so none of it is released.
	inAnchor int
}

// enter marks an anchored collection n as being converted (an anchor is the only node that
// can be inside itself, through an alias) until the function it returns is called.
func (c *yamlConverter) enter(n *yaml.Node) func() {
	if n.Anchor == "" {
		return func() {}
	}
	c.busy[n] = true
	c.inAnchor++
	return func() {
		delete(c.busy, n)
		c.inAnchor--
	}
}

// size counts the nodes of n with every alias expanded, memoised per node so
// that counting is linear in the document.
func (c *yamlConverter) size(n *yaml.Node, depth int) int {
	if n == nil {
		return 1
	}
	if depth > maxDepth {
		return maxExpandedNodes + 1 // fail closed: a count cut short here would be memoised
	}
	// Only an anchored node can be reached twice (through an alias), so only those are
	// memoised.
	anchored := n.Anchor != ""
	if anchored {
		if s, ok := c.sizes[n]; ok {
			return s
		}
		c.sizes[n] = 1 // an alias cycle counts once
	}
	s := 1
	if n.Kind == yaml.AliasNode {
		s += c.size(n.Alias, depth+1)
	}
	for _, child := range n.Content {
		s += c.size(child, depth+1)
		if s > maxExpandedNodes {
			break
		}
	}
	if anchored {
		c.sizes[n] = s
	}
	return s
}

func (c *yamlConverter) convert(n *yaml.Node, depth int) (any, error) {
	if n == nil {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, errTooDeep
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth)
	case yaml.AliasNode:
		if c.busy[n.Alias] {
			// An alias inside its own anchor: JSON has no cycles.
			return nil, errors.New("yaml: recursive alias")
		}
		if v, ok := c.memo[n.Alias]; ok {
			return v, nil
		}
		v, err := c.convert(n.Alias, depth+1)
		if err != nil {
			return nil, err
		}
		c.memo[n.Alias] = v
		return v, nil
	case yaml.MappingNode:
		o := newObject(len(n.Content) / 2)
		defer c.enter(n)()
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
				merges = append(merges, v)
				continue
			}
			key, ok := yamlKey(k)
			if !ok {
				continue
			}
			cv, err := c.convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			o.set(key, cv)
			c.release(n, i, i+1)
		}
		for _, m := range merges {
			if err := c.merge(o, m, depth+1); err != nil {
				return nil, err
			}
		}
		return o, nil
	case yaml.SequenceNode:
		defer c.enter(n)()
		a := make([]any, 0, len(n.Content))
		for i, e := range n.Content {
			cv, err := c.convert(e, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, cv)
			c.release(n, i, i)
		}
		return a, nil
	case yaml.ScalarNode:
		return yamlScalar(n), nil
	}
	return nil, nil
}

// release lets go of the parsed nodes n.Content[from:to+1] once converted, so that the
// collector can reuse their memory for the tree while the rest is converted: a large
// document's nodes and its tree are not all held at once. What is inside an anchor stays:
// an alias converts it again.
func (c *yamlConverter) release(n *yaml.Node, from, to int) {
	if c.inAnchor == 0 {
		clear(n.Content[from : to+1])
	}
}

// merge applies a YAML merge key (<<): keys already present win.
func (c *yamlConverter) merge(o *object, m *yaml.Node, depth int) error {
	v, err := c.convert(m, depth)
	if err != nil {
		return err
	}
	var sources []any
	if a, ok := v.([]any); ok {
		sources = a
	} else {
		sources = []any{v}
	}
	for _, s := range sources {
		so, ok := s.(*object)
		if !ok {
			continue
		}
		for i, k := range so.keys {
			if !o.has(k) {
				o.set(k, so.vals[i])
			}
		}
	}
	return nil
}

// yamlKey turns a mapping key into a JSON object key: scalars of any type
// (200, true, 2.0) become the text that was written.
func yamlKey(k *yaml.Node) (string, bool) {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", false
	}
	if k.ShortTag() == "!!null" && (k.Value == "~" || k.Value == "") {
		return "null", true
	}
	return k.Value, true
}

func yamlScalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return true
		case "false", "no", "off", "n":
			return false
		}
		return n.Value
	case "!!int":
		return yamlInt(n.Value)
	case "!!float":
		return yamlFloat(n.Value)
	default:
		// !!str, !!timestamp, !!binary and unknown tags: the text as written.
		return n.Value
	}
}

func yamlInt(s string) any {
	t := strings.ReplaceAll(s, "_", "")
	if isJSONNumber(t) {
		return json.Number(t)
	}
	sign := ""
	u := t
	if strings.HasPrefix(u, "+") {
		u = u[1:]
	} else if strings.HasPrefix(u, "-") {
		sign, u = "-", u[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(u, "0x"), strings.HasPrefix(u, "0X"):
		base, u = 16, u[2:]
	case strings.HasPrefix(u, "0o"), strings.HasPrefix(u, "0O"):
		base, u = 8, u[2:]
	case strings.HasPrefix(u, "0b"), strings.HasPrefix(u, "0B"):
		base, u = 2, u[2:]
	case len(u) > 1 && u[0] == '0':
		base, u = 8, u[1:]
	}
	if v, err := strconv.ParseUint(u, base, 64); err == nil {
		return json.Number(sign + strconv.FormatUint(v, 10))
	}
	return s
}

func yamlFloat(s string) any {
	t := strings.ReplaceAll(s, "_", "")
	if isJSONNumber(t) {
		return json.Number(t)
	}
	f, err := strconv.ParseFloat(strings.TrimPrefix(t, "+"), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return s // .inf, .nan: JSON has no such numbers
	}
	return json.Number(formatFloat(f))
}
