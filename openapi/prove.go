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

// proveUnits reports, for each unit, whether it is proven valid. Units of one kind share
// definitions by name (as compileUnits assumes); each distinct definition is checked once.
// Units that are not proven go on to compileOne.
func proveUnits(us []compileUnit, shared bool) []bool {
	meta, err := metaSchema()
	if err != nil {
		return make([]bool, len(us)) // compile them all, as before
	}
	// The work: each unit's root, and each definition (once, when shared).
	type job struct {
		unit int    // the unit whose root or private definition this is; -1 for a shared one
		def  string // "" for the unit's root
		tree any
	}
	var jobs []job
	defUsers := map[string][]int{} // shared definition → the units carrying it
	for i, u := range us {
		root := u.root.clone()
		defs := root.obj("$defs")
		root.del("$defs")
		jobs = append(jobs, job{unit: i, tree: root})
		if defs == nil {
			continue
		}
		for k, name := range defs.keys {
			if !shared {
				jobs = append(jobs, job{unit: i, def: name, tree: defs.vals[k]})
				continue
			}
			if _, seen := defUsers[name]; !seen {
				jobs = append(jobs, job{unit: -1, def: name, tree: defs.vals[k]})
			}
			defUsers[name] = append(defUsers[name], i)
		}
	}

	bad := make([]atomic.Bool, len(us))
	fail := func(j job) {
		if j.unit >= 0 {
			bad[j.unit].Store(true)
			return
		}
		for _, u := range defUsers[j.def] {
			bad[u].Store(true)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			nc := &nativeConv{memo: map[*object]map[string]any{}}
			for {
				n := int(next.Add(1)) - 1
				if n >= len(jobs) {
					return
				}
				j := jobs[n]
				v, err := nc.value(j.tree)
				if err != nil || meta.Validate(v) != nil {
					fail(j)
				}
			}
		})
	}
	wg.Wait()

	out := make([]bool, len(us))
	for i, u := range us {
		out[i] = !bad[i].Load() && refsResolve(u.root)
	}
	return out
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
