package openapi

import (
	"bytes"
	"encoding/json"
)

// The document is kept as a generic JSON tree whose objects remember the
// order their keys were written in. Working on the tree rather than on a typed
// model keeps every keyword the author wrote (3.1 keywords, extensions, keys a
// typed model does not know), lets /openapi.json be served "as written", and
// lets one broken operation fail alone. Values are *object, []any, string,
// json.Number, bool and nil.

// object is a JSON object that keeps its keys in document order.
type object struct {
	keys  []string
	vals  []any
	index map[string]int // built once the object grows past a few keys
}

const objectIndexAt = 8

func newObject(capacity int) *object {
	return &object{keys: make([]string, 0, capacity), vals: make([]any, 0, capacity)}
}

func (o *object) len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

func (o *object) find(k string) int {
	if o == nil {
		return -1
	}
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, key := range o.keys {
		if key == k {
			return i
		}
	}
	return -1
}

func (o *object) get(k string) (any, bool) {
	i := o.find(k)
	if i < 0 {
		return nil, false
	}
	return o.vals[i], true
}

// val returns the value under k, nil when absent.
func (o *object) val(k string) any {
	v, _ := o.get(k)
	return v
}

func (o *object) has(k string) bool { return o.find(k) >= 0 }

// set replaces the value under k, or appends k when it is new.
func (o *object) set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	if o.index != nil {
		o.index[k] = len(o.keys) - 1
	} else if len(o.keys) > objectIndexAt {
		o.index = make(map[string]int, len(o.keys)*2)
		for i, key := range o.keys {
			o.index[key] = i
		}
	}
}

func (o *object) del(k string) {
	i := o.find(k)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i], o.vals[i+1:]...)
	if o.index != nil {
		o.index = make(map[string]int, len(o.keys)*2)
		for j, key := range o.keys {
			o.index[key] = j
		}
	}
}

// clone returns a shallow copy: the values are shared.
func (o *object) clone() *object {
	c := newObject(len(o.keys) + 2)
	c.keys = append(c.keys, o.keys...)
	c.vals = append(c.vals, o.vals...)
	c.reindex()
	return c
}

// reindex builds the key index of an object assembled without set, when it is large
// enough to have one. Its keys must be distinct.
func (o *object) reindex() {
	o.index = nil
	if len(o.keys) > objectIndexAt {
		o.index = make(map[string]int, len(o.keys)*2)
		for i, key := range o.keys {
			o.index[key] = i
		}
	}
}

// str returns the string under k, "" when absent or not a string.
func (o *object) str(k string) string {
	s, _ := o.val(k).(string)
	return s
}

// obj returns the object under k, nil when absent or not an object.
func (o *object) obj(k string) *object {
	v, _ := o.val(k).(*object)
	return v
}

// arr returns the array under k, nil when absent or not an array.
func (o *object) arr(k string) []any {
	v, _ := o.val(k).([]any)
	return v
}

// boolean reports whether the value under k is the JSON literal true.
func (o *object) boolean(k string) bool {
	b, _ := o.val(k).(bool)
	return b
}

// MarshalJSON lets *object values be passed to encoding/json.
func (o *object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, o); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// toTree converts a value decoded by encoding/json (maps, slices, float64) or
// built by callers into a tree. Maps become objects with sorted keys.
func toTree(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return parseJSON(b)
}

// deepCopy returns a copy of a tree that shares nothing mutable with v.
func deepCopy(v any) any {
	switch v := v.(type) {
	case *object:
		c := newObject(v.len())
		for i, k := range v.keys {
			c.set(k, deepCopy(v.vals[i]))
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = deepCopy(e)
		}
		return c
	default:
		return v
	}
}

// treeEqual reports whether two trees hold the same JSON value (key order
// does not matter).
func treeEqual(a, b any) bool {
	switch a := a.(type) {
	case *object:
		b, ok := b.(*object)
		if !ok || a.len() != b.len() {
			return false
		}
		for i, k := range a.keys {
			bv, ok := b.get(k)
			if !ok || !treeEqual(a.vals[i], bv) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !treeEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		if a == b {
			return true
		}
		fa, errA := a.Float64()
		fb, errB := b.Float64()
		return errA == nil && errB == nil && fa == fb
	default:
		return a == b
	}
}
