package openapi

import (
	"regexp"
	"strconv"
	"strings"
)

// Top-level input property names must match ^[a-zA-Z0-9_.-]{1,64}$: the
// Anthropic Messages API refuses a tool with any other key, and one such
// tool fails every request of the session (OpenAI and Gemini accept the
// same set). Real documents are full of other names: filter[status],
// page[size], ids[], Twilio's StartTime< and StartTime>, $filter. So a name
// that does not match is rewritten, and the request binding keeps the name
// as written for the call.

// maxPropertyName is the longest property name clients accept.
const maxPropertyName = 64

var validPropertyName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// propertyName returns the input property name a parameter or body property
// named name is listed under. A name that matches ^[a-zA-Z0-9_.-]{1,64}$ is
// kept as written. Any other is rewritten, in this order:
//
//  1. Bracket groups become dot-separated segments and an empty group is
//     dropped: filter[status] → filter.status, filter[a][b] → filter.a.b,
//     ids[] → ids, a[b]c → a.b.c. A "[" without its "]" is an ordinary
//     character.
//  2. "<" and ">" become "_lt" and "_gt" (StartTime< → StartTime_lt); every
//     other character outside [a-zA-Z0-9_.-] becomes "_"; runs of "_" become
//     one; leading and trailing "_" and "." are trimmed ($filter → filter).
//     Nothing left gives "param".
//  3. A name over 64 characters is cut and ends in "_" and 8 hex digits of
//     its SHA-256, as tool names do.
//
// Collisions between the properties of one tool are resolved by the tool
// (see propertyNames), not here.
func propertyName(name string) string {
	if validPropertyName.MatchString(name) {
		return name
	}
	s := sanitiseProperty(splitBrackets(name))
	if s == "" {
		s = "param"
	}
	return capProperty(s)
}

// splitBrackets turns each bracket group into a dot-separated segment and
// drops empty groups.
func splitBrackets(s string) string {
	if !strings.ContainsRune(s, '[') {
		return s
	}
	var b strings.Builder
	afterGroup := false
	for i := 0; i < len(s); {
		if s[i] == '[' {
			end := strings.IndexByte(s[i+1:], ']')
			open := strings.IndexByte(s[i+1:], '[')
			if end >= 0 && (open < 0 || open > end) {
				if group := s[i+1 : i+1+end]; group != "" {
					b.WriteByte('.')
					b.WriteString(group)
				}
				i += end + 2
				afterGroup = true
				continue
			}
		}
		if afterGroup {
			// a[b]c: the text after a group is a segment of its own.
			b.WriteByte('.')
			afterGroup = false
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// sanitiseProperty applies step 2 of propertyName.
func sanitiseProperty(s string) string {
	var b strings.Builder
	under := func() {
		if str := b.String(); !strings.HasSuffix(str, "_") {
			b.WriteByte('_')
		}
	}
	for _, r := range s {
		switch {
		case r == '<':
			under()
			b.WriteString("lt")
		case r == '>':
			under()
			b.WriteString("gt")
		case r == '_':
			under()
		case r < 0x80 && (isAlnum(r) || r == '.' || r == '-'):
			b.WriteRune(r)
		default:
			under()
		}
	}
	return strings.Trim(b.String(), "_.")
}

// capProperty cuts a name longer than 64 characters and ends it with 8 hex
// digits of its SHA-256, like capName.
func capProperty(s string) string {
	if len(s) <= maxPropertyName {
		return s
	}
	h := shortHash(s)
	return strings.TrimRight(s[:maxPropertyName-len(h)-1], "_.") + "_" + h
}

// propertyEntry is one top-level input property of a tool before naming:
// a parameter or a body property, in document order.
type propertyEntry struct {
	name string // as written in the document
	in   string // path, query, header, cookie or body
}

// propertyNames returns the listed name of each entry, unique within the
// tool. Each gets propertyName(name). When several entries get the same
// name, one keeps it: a body property written exactly so, else the only
// entry written exactly so, else none. Every other one gets the suffix
// "__<in>" (id__path, filter.status__query), then "_2", "_3"… in document
// order until the name is free. A name never takes one that another entry
// keeps, so the result does not depend on the order of the checks.
func propertyNames(entries []propertyEntry) []string {
	base := make([]string, len(entries))
	groups := map[string][]int{}
	for i, e := range entries {
		base[i] = propertyName(e.name)
		groups[base[i]] = append(groups[base[i]], i)
	}
	out := make([]string, len(entries))
	taken := map[string]bool{}
	for i := range entries {
		g := groups[base[i]]
		if len(g) == 1 {
			out[i] = base[i]
			taken[base[i]] = true
			continue
		}
		if g[0] != i {
			continue // the group is decided at its first entry
		}
		keeper, exact := -1, 0
		for _, j := range g {
			if entries[j].name != base[j] {
				continue
			}
			exact++
			if entries[j].in == "body" {
				keeper = j
			}
		}
		if keeper < 0 && exact == 1 {
			for _, j := range g {
				if entries[j].name == base[j] {
					keeper = j
				}
			}
		}
		if keeper >= 0 {
			out[keeper] = base[keeper]
			taken[base[keeper]] = true
		}
	}
	for i, e := range entries {
		if out[i] != "" {
			continue
		}
		suffix := "__" + e.in
		for n := 2; ; n++ {
			cand := withSuffix(base[i], suffix)
			if !taken[cand] {
				out[i] = cand
				taken[cand] = true
				break
			}
			suffix = "__" + e.in + "_" + strconv.Itoa(n)
		}
	}
	return out
}

// withSuffix appends suffix to name, cutting name so that the result stays
// within 64 characters.
func withSuffix(name, suffix string) string {
	if len(name)+len(suffix) > maxPropertyName {
		// name starts with a letter, digit or "-", so something is left.
		name = strings.TrimRight(name[:maxPropertyName-len(suffix)], "_.")
	}
	return name + suffix
}

// sentAs is the note a renamed property's description ends with.
func sentAs(name string) string {
	return "(sent as " + strconv.Quote(name) + ")"
}

// withNote ends a description with note.
func withNote(desc, note string) string {
	if desc = strings.TrimSpace(desc); desc == "" {
		return note
	}
	return desc + " " + note
}

// describedAs returns a copy of a property's schema whose description ends
// with the name the property is sent as.
func describedAs(v any, name string) any {
	switch s := v.(type) {
	case *object:
		d := s.clone()
		desc, _ := d.val("description").(string)
		d.set("description", withNote(desc, sentAs(name)))
		return d
	case bool:
		if s {
			d := newObject(1)
			d.set("description", sentAs(name))
			return d
		}
	}
	return v
}
