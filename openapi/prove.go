package openapi

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Load proves every schema it emits is valid JSON Schema 2020-12 without compiling it. A
// schema compiles in jsonschema when it is valid against the 2020-12 meta-schema, its $refs
// resolve and its patterns compile: the converter only writes "#/$defs/…" references to
// definitions it includes, and only patterns Go's regexp compiles (portablePattern). So
// the proof is the meta-schema check of every schema and every shared definition once,
// plus a check that each $ref names a definition the schema carries. That is a third of
// what compiling cost: compiling also collects every subschema's location and builds a
// validator, which a tool now does on its first call (check.go). A schema that fails the
// proof is compiled after all, which either gives the precise error or accepts it.

// metaSchema is the compiled 2020-12 meta-schema.
var metaSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return jsonschema.NewCompiler().Compile("https://json-schema.org/draft/2020-12/schema")
})

// proveMinBatch is the fewest units worth a resource of their own: each batch checks again
// the shared definitions its units reach.
const proveMinBatch = 100

// proveUnits reports, for each unit, whether it is proven valid. With shared, the units
// share definitions by name (as compileUnits assumes) and are checked in a few batches, each
// one resource built as compileUnits builds it (hoist), so that a subtree the trees share is
// checked once per batch however often it is reached: a document of YAML aliases reaches
// the same subtree thousands of times. A batch that fails leaves all its units unproven.
// Without shared, each unit is checked on its own. Units not proven go on to compileOne.
func proveUnits(us []compileUnit, shared bool) []bool {
	out := make([]bool, len(us))
	// Most schemas are proven by their keywords' types alone (quickproof.go); the others go
	// to the meta-schema.
	q := newQuickProver()
	var rest []compileUnit
	var restAt []int
	for i, u := range us {
		if q.schema(u.root, 0) {
			out[i] = true
			continue
		}
		rest = append(rest, u)
		restAt = append(restAt, i)
	}
	for k, ok := range proveMeta(rest, shared) {
		out[restAt[k]] = ok
	}
	for i, u := range us {
		out[i] = out[i] && refsResolve(u.root)
	}
	return out
}

// proveMeta reports, for each unit, whether the meta-schema accepts it (see proveUnits).
func proveMeta(us []compileUnit, shared bool) []bool {
	out := make([]bool, len(us))
	meta, err := metaSchema()
	if err != nil || len(us) == 0 {
		return out // compile them all, as before
	}
	var batches [][2]int // [lo, hi) of us
	if shared {
		n := max(1, min(runtime.GOMAXPROCS(0), len(us)/proveMinBatch))
		for i := range n {
			if lo, hi := i*len(us)/n, (i+1)*len(us)/n; lo < hi {
				batches = append(batches, [2]int{lo, hi})
			}
		}
	} else {
		for i := range us {
			batches = append(batches, [2]int{i, i + 1})
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(batches)) {
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= len(batches) {
					return
				}
				lo, hi := batches[n][0], batches[n][1]
				if proveBatch(meta, us[lo:hi]) {
					for i := lo; i < hi; i++ {
						out[i] = true
					}
				}
			}
		})
	}
	wg.Wait()
	return out
}

// proveBatch checks units, as one hoisted resource, against the meta-schema.
func proveBatch(meta *jsonschema.Schema, us []compileUnit) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false // compileOne names the problem
		}
	}()
	doc, _ := hoist(us)
	v, err := (&nativeConv{memo: map[*object]map[string]any{}}).value(doc)
	return err == nil && meta.Validate(v) == nil
}

// refsResolve reports whether every $ref in root (with its $defs) is "#" or names one of
// root's definitions, "#/$defs/<name>", optionally followed by more of a JSON pointer into
// it (checked by compiling, like anything unusual).
func refsResolve(root *object) bool {
	defs := root.obj("$defs")
	ok := true
	seen := map[*object]bool{}
	var walk func(v any)
	walk = func(v any) {
		if !ok {
			return
		}
		switch v := v.(type) {
		case *object:
			if v == nil || seen[v] {
				return
			}
			seen[v] = true
			for i, k := range v.keys {
				if k == "$ref" {
					s, isString := v.vals[i].(string)
					if !isString || !refResolves(s, defs) {
						ok = false
						return
					}
					continue
				}
				walk(v.vals[i])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(root)
	return ok
}

func refResolves(ref string, defs *object) bool {
	if ref == "#" {
		return true
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok || defs == nil || strings.Contains(name, "/") {
		return false
	}
	if strings.Contains(name, "~") || strings.Contains(name, "%") {
		return false // escaped pointer: let the compiler decide
	}
	return defs.has(name)
}
