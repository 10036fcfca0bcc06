package openapi

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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
// path, a method the path does not declare or spells in another case (methods
// are case-sensitive), dot segments, or two equally specific templates that
// disagree.
//
// A segment that fills a template of the public operation must not be a
// look-alike (see lookAlike): upstream routers that fold case, strip ";…" or
// match suffixes would send such a path to a protected operation beside the
// public one, so it is not public.
func (s *Spec) IsPublic(method, path string) bool {
	best, segs := s.resolve(path)
	if len(best) == 0 {
		return false
	}
	for _, r := range best {
		if !r.public[method] {
			return false
		}
		for i, sg := range r.segs {
			if s.lookAlike(i, segs[i], sg.pattern == nil) {
				return false
			}
		}
	}
	return true
}

// resolve returns the routes that serve path by OpenAPI's precedence (the
// most literal segments win; several when equally specific templates match),
// with the path's decoded segments. It returns none when no route matches or
// the path is not clean.
func (s *Spec) resolve(path string) ([]*route, []string) {
	if s == nil || s.routesBySegments == nil {
		return nil, nil // no public operation at all: the common case
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if !strings.HasPrefix(path, "/") {
		return nil, nil
	}
	raw := strings.Split(path[1:], "/")
	segs := make([]string, len(raw))
	for i, r := range raw {
		d, err := url.PathUnescape(r)
		if err != nil || d == "." || d == ".." {
			return nil, nil
		}
		segs[i] = d
	}
	var best []*route
	bestScore := -1
	for _, i := range s.routesBySegments[len(segs)] {
		r := &s.routes[i]
		score, ok := r.match(segs)
		switch {
		case !ok || score < bestScore:
		case score > bestScore:
			best, bestScore = append(best[:0], r), score
		default:
			best = append(best, r)
		}
	}
	return best, segs
}

// lookAlike reports whether seg, the decoded segment at position i of a path
// that resolved to a public operation, could reach another route on common
// upstream routers. A segment that fills a template is a look-alike when it
// holds ';' (Tomcat and Spring strip ";…"), '\' (IIS reads it as '/'), '?' or
// '#' (a proxy that rebuilds the URL from the decoded path cuts there), or a
// control or format character; when it starts with whitespace or ends in '.'
// or whitespace (IIS trims them); or when it equals a literal segment of any route at position i under foldKeys
// (Express and ASP.NET fold case, Spring matches suffixes). A segment that
// matched the route's own literal is one only when it equals, under foldKeys,
// a literal spelled differently at that position ("/Docs" beside "/docs").
func (s *Spec) lookAlike(i int, seg string, literal bool) bool {
	if !literal {
		if seg == "" || strings.ContainsAny(seg, ";\\?#") || strings.IndexFunc(seg, invisible) >= 0 {
			return true
		}
		first, _ := utf8.DecodeRuneInString(seg)
		if last, _ := utf8.DecodeLastRuneInString(seg); last == '.' || unicode.IsSpace(last) || unicode.IsSpace(first) {
			return true
		}
	}
	lits := s.literalsAt[i]
	if len(lits) == 0 {
		return false
	}
	for _, k := range foldKeys(seg) {
		for _, spelling := range lits[k] {
			if !literal || spelling != seg {
				return true
			}
		}
	}
	return false
}

// invisible reports control and format characters (zero-width spaces, bidi
// marks), which routers and proxies may drop.
func invisible(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// foldKeys are the spellings under which upstream routers may take a segment
// for another: case-folded the way Java's equalsIgnoreCase and JavaScript's
// toUpperCase comparisons fold ("admın" and "ADMIN" both give "admin"), after
// NFKC compatibility normalisation (fullwidth "ａｄｍｉｎ" gives "admin"); cut
// before a ';'; without trailing dots and whitespace; and cut before each '.'
// ("Admin.JSON" gives "admin.json" and "admin").
func foldKeys(seg string) []string {
	l := strings.ToLower(strings.ToUpper(norm.NFKC.String(seg)))
	keys := []string{l}
	if j := strings.IndexByte(l, ';'); j >= 0 {
		l = l[:j]
		keys = append(keys, l)
	}
	if t := strings.TrimRightFunc(l, func(r rune) bool { return r == '.' || unicode.IsSpace(r) }); t != l {
		l = t
		keys = append(keys, l)
	}
	for j := 1; j < len(l); j++ {
		if l[j] == '.' {
			keys = append(keys, l[:j])
		}
	}
	return keys
}
