package openapi

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// MaxCronEntries bounds the x-jelou-cron entries read from one document. The gateway runs
// far fewer (see internal/cron); the bound only stops a hostile document from making it
// hold and report thousands.
const MaxCronEntries = 100

// maxCronField bounds the length of an entry's expression and time zone.
const maxCronField = 200

// validCronName is what a schedule name may look like: it travels in the X-Jelou-Cron-Name
// header, in metric labels and in the CLI's tables.
var validCronName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// schedules reads an operation's x-jelou-cron entries: a list of objects with a string
// expression (required), timezone and name. Entries that do not have that shape are
// reported in the Spec's cron problems, with the operation and the entry's index, and left
// out; so is everything past MaxCronEntries in the document.
func (b *builder) schedules(method, path string, op *object) []Schedule {
	raw, ok := op.get("x-jelou-cron")
	if !ok {
		return nil
	}
	opName := method + " " + path
	skip := func(format string, args ...any) {
		b.spec.cronSkipped = append(b.spec.cronSkipped, Skipped{Operation: opName, Reason: fmt.Sprintf(format, args...)})
	}
	list, isList := raw.([]any)
	if !isList {
		skip("x-jelou-cron is %s, want a list of {expression, timezone, name}", typeName(raw))
		return nil
	}
	var out []Schedule
	for i, e := range list {
		if len(b.spec.schedules)+len(out) >= MaxCronEntries {
			skip("x-jelou-cron[%d] and the entries after it are ignored: a document may declare at most %d", i, MaxCronEntries)
			break
		}
		o, isObj := e.(*object)
		if !isObj {
			skip("x-jelou-cron[%d] is %s, want an object with expression, timezone and name", i, typeName(e))
			continue
		}
		s := Schedule{Method: method, Path: path}
		bad := ""
		for _, f := range []struct {
			key string
			dst *string
		}{{"expression", &s.Expression}, {"timezone", &s.Timezone}, {"name", &s.Name}} {
			v := o.val(f.key)
			if v == nil {
				continue
			}
			str, isStr := v.(string)
			switch {
			case !isStr:
				bad = fmt.Sprintf("x-jelou-cron[%d].%s is %s, want a string", i, f.key, typeName(v))
			case len(str) > maxCronField:
				bad = fmt.Sprintf("x-jelou-cron[%d].%s is longer than %d characters", i, f.key, maxCronField)
			}
			if bad != "" {
				break
			}
			*f.dst = strings.TrimSpace(str)
		}
		if bad == "" && s.Expression == "" {
			bad = fmt.Sprintf("x-jelou-cron[%d] has no expression", i)
		}
		if bad != "" {
			skip("%s", bad)
			continue
		}
		out = append(out, s)
	}
	return out
}

// CronSchedules returns the document's x-jelou-cron entries ready to schedule, in document
// order, and the entries it skipped with the reason. Every schedule has a name unique in
// the document: the one written, or, when there is none, the operation's tool name (its
// method and path when it is not a tool) with -2, -3, … for further unnamed entries. A name
// that is malformed or already used is skipped, and so is any entry Schedules left out. The
// expression and time zone are not checked here: the scheduler validates them.
//
// For example, with
//
//	post:
//	  operationId: sendReport
//	  x-jelou-cron:
//	    - {expression: "0 9 * * 1-5", timezone: America/Guayaquil, name: weekdays}
//	    - {expression: "@hourly"}
//
// CronSchedules returns the schedules "weekdays" and "sendReport".
func (s *Spec) CronSchedules() ([]Schedule, []Skipped) {
	skipped := slices.Clone(s.cronSkipped)
	names := make([]string, len(s.schedules)) // "" for an entry that is skipped
	used := map[string]bool{}
	// Written names first, so that a derived name never takes one the author chose.
	for i, sc := range s.schedules {
		if sc.Name == "" {
			continue
		}
		op := sc.Method + " " + sc.Path
		switch {
		case !validCronName.MatchString(sc.Name):
			skipped = append(skipped, Skipped{Operation: op, Reason: fmt.Sprintf(
				"x-jelou-cron name %q is not valid: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", clip(sc.Name))})
		case used[sc.Name]:
			skipped = append(skipped, Skipped{Operation: op, Reason: fmt.Sprintf(
				"x-jelou-cron name %q is already used by another schedule of this document", sc.Name)})
		default:
			used[sc.Name] = true
			names[i] = sc.Name
		}
	}
	for i, sc := range s.schedules {
		if sc.Name != "" {
			continue
		}
		base := sc.Tool
		if base == "" {
			base = toolName("", sc.Method, sc.Path)
		}
		// Tool names allow a leading '_' or '-' and 64 characters; leave room for "-NN".
		base = strings.TrimLeft(base, "_-")
		if len(base) > 56 {
			base = base[:56]
		}
		if base == "" {
			base = "schedule"
		}
		name := base
		for n := 2; used[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		used[name] = true
		names[i] = name
	}
	out := make([]Schedule, 0, len(s.schedules))
	for i, sc := range s.schedules {
		if names[i] != "" {
			sc.Name = names[i]
			out = append(out, sc)
		}
	}
	return out, skipped
}

// clip shortens s for a reason sentence.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
