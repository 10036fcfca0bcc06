package openapi

import (
	"net/url"
	"regexp"
	"strings"
)

// route is a path template with, per method, whether the operation is public.
type route struct {
	template string
	segs     []segment
	public   map[string]bool // method → declares security: []
}

// segment matches one path segment: a literal, or a pattern when the
// template segment holds {variables}.
type segment struct {
	literal string
	pattern *regexp.Regexp
}

func newRoute(template string) route {
	r := route{template: template, public: map[string]bool{}}
	for _, s := range strings.Split(strings.TrimPrefix(template, "/"), "/") {
		if !strings.Contains(s, "{") {
			r.segs = append(r.segs, segment{literal: s})
			continue
		}
		var b strings.Builder
		b.WriteString("^")
		rest := s
		for {
			i := strings.IndexByte(rest, '{')
			j := strings.IndexByte(rest, '}')
			if i < 0 || j < i {
				b.WriteString(regexp.QuoteMeta(rest))
				break
			}
			b.WriteString(regexp.QuoteMeta(rest[:i]))
			b.WriteString(`(.+?)`)
			rest = rest[j+1:]
		}
		b.WriteString("$")
		re, err := regexp.Compile(b.String())
		if err != nil {
			re = regexp.MustCompile(`^\z.`) // matches nothing
		}
		r.segs = append(r.segs, segment{pattern: re})
	}
	return r
}

// match reports whether the decoded path segments fit the template, and
// how many of them matched a literal (more is more specific).
func (r *route) match(segs []string) (int, bool) {
	if len(segs) != len(r.segs) {
		return 0, false
	}
	literals := 0
	for i, s := range r.segs {
		if s.pattern == nil {
			if s.literal != segs[i] {
				return 0, false
			}
			literals++
			continue
		}
		if segs[i] == "" || !s.pattern.MatchString(segs[i]) {
			return 0, false
		}
	}
	return literals, true
}

// IsPublic reports whether the operation that matches method and path
// declares `security: []`: on the operation, or at the top level of the
// document without the operation overriding it.
//
// path is relative to the function ("/webhooks/stripe", "/users/42" matches
// "/users/{id}"), without the query. As in OpenAPI, a concrete path wins over
// a templated one. Anything unknown or ambiguous is not public: an unknown
// path, a method the path does not declare, dot segments, or two equally
// specific templates that disagree.
func (s *Spec) IsPublic(method, path string) bool {
	if s == nil || s.routesBySegments == nil {
		return false // no public operation at all: the common case
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if !strings.HasPrefix(path, "/") {
		return false
	}
	raw := strings.Split(path[1:], "/")
	segs := make([]string, len(raw))
	for i, r := range raw {
		d, err := url.PathUnescape(r)
		if err != nil || d == "." || d == ".." {
			return false
		}
		segs[i] = d
	}
	method = strings.ToUpper(method)
	best, found, public := -1, false, false
	for _, i := range s.routesBySegments[len(segs)] {
		r := &s.routes[i]
		score, ok := r.match(segs)
		if !ok {
			continue
		}
		p := r.public[method] // false when the method is not declared
		switch {
		case score > best:
			best, found, public = score, true, p
		case score == best:
			public = public && p
		}
	}
	return found && public
}
