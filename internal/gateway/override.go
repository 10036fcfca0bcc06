package gateway

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/jfnhq/jfn/internal/httperr"
)

// A "_method" parameter makes Rails (Rack::MethodOverride), Laravel and Symfony run the
// handler of the method it names instead of the request's own: a tokenless POST to a public
// operation could run a private DELETE. The gateway decides what is public by the method it
// sees, so without a token it refuses a request that carries one anywhere those frameworks
// read it: the query, a form body (URL-encoded, or a POST without a Content-Type, which Rack
// parses as one), a multipart body, or a top-level member of a JSON body (Laravel reads its
// input from JSON, for any Content-Type that mentions json).
//
// Names are compared as the frameworks will see them, which is looser than they are: in any
// case, percent-decoded, and with PHP's renaming (leading spaces dropped, '.' and ' ' read as
// '_', a NUL or '[' ending the name). Multipart bodies, and bodies whose Content-Type the
// gateway cannot read, are not taken apart: the parsers of Go, Rack and PHP disagree on
// boundaries and part headers, so any mention of the name as a word (mentionsMethod) counts.

var errMethodOverride = httperr.New(http.StatusBadRequest,
	"A _method override is not accepted without a token: send the request with the method it means.")

// hasMethodParam reports whether the URL-encoded form q has a key that a framework reads as
// "_method".
func hasMethodParam(q string) bool {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		for _, kv := range strings.Split(pair, ";") { // some parsers split on ';' too
			k, _, _ := strings.Cut(kv, "=")
			if isMethodName(lenientUnescape(strings.ReplaceAll(k, "+", " "))) {
				return true
			}
		}
	}
	return false
}

// isMethodName reports whether the parameter name k is "_method" as PHP, Rack or Symfony
// read it (phpName).
func isMethodName(k string) bool {
	return strings.EqualFold(phpName(k), "_method")
}

// phpName is the name PHP registers for the parameter k: leading spaces dropped, cut at a
// NUL, cut at an array's '[' (a '[' without a ']' after it is read as '_'), and '.' and ' '
// turned into '_'.
func phpName(k string) string {
	k = strings.TrimLeft(k, " ")
	if i := strings.IndexByte(k, 0); i >= 0 {
		k = k[:i]
	}
	if i := strings.IndexByte(k, '['); i >= 0 {
		if strings.IndexByte(k[i:], ']') >= 0 {
			k = k[:i]
		} else {
			k = k[:i] + "_" + k[i+1:]
		}
	}
	return strings.NewReplacer(".", "_", " ", "_").Replace(k)
}

// hasMethodField reports whether body, sent with the Content-Type ctype, carries a "_method"
// field that a framework would read as the method. Each reading a framework may apply is
// tried: a form (Rack and PHP, also without a Content-Type), JSON (Laravel, for any
// Content-Type that mentions json), and, for multipart or a Content-Type the gateway cannot
// parse, any mention of the name.
func hasMethodField(ctype string, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	ct := strings.ToLower(ctype)
	_, _, err := mime.ParseMediaType(ctype)
	form := strings.TrimSpace(ct) == "" || strings.Contains(ct, "x-www-form-urlencoded")
	return form && hasMethodParam(string(body)) ||
		strings.Contains(ct, "json") && jsonHasMethod(body) ||
		(err != nil || strings.Contains(ct, "multipart")) && mentionsMethod(body)
}

// jsonHasMethod reports whether the JSON body is an object with a top-level member that a
// framework reads as "_method". A body that is not JSON is not read by the frameworks' JSON
// input either; but the scan stops at the first such member, so one that breaks only after it
// counts (the safe side).
func jsonHasMethod(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		if k, _ := key.(string); isMethodName(k) {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}

// mentionsMethod reports whether b, percent-decoded, names "_method" as a word: "method" in
// any case after '_', '.' or ' ' (which PHP reads as '_'), with neither a letter, digit, '_'
// nor '-' just before that or just after it. "payment_method" does not count; a part header
// name="_method", a line "Content-ID: _method" or "_m%65thod=" does.
func mentionsMethod(b []byte) bool {
	s := strings.ToLower(lenientUnescape(string(b)))
	for i := 0; ; {
		j := strings.Index(s[i:], "method")
		if j < 0 {
			return false
		}
		at := i + j
		i = at + 1
		if at == 0 || !strings.ContainsRune("_. ", rune(s[at-1])) {
			continue
		}
		if at >= 2 && isWordByte(s[at-2]) {
			continue
		}
		if end := at + len("method"); end < len(s) && isWordByte(s[end]) {
			continue
		}
		return true
	}
}

// isWordByte reports whether c joins the letters of a name: an ASCII letter, a digit, '_' or '-'.
func isWordByte(c byte) bool {
	return c == '_' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// lenientUnescape decodes s's valid %XX escapes, again while that makes more (a few rounds at
// most), and leaves an invalid one as it is: a lenient server decodes what it can.
func lenientUnescape(s string) string {
	for range 4 {
		if !strings.Contains(s, "%") {
			return s
		}
		var b strings.Builder
		changed := false
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
				i += 2
				changed = true
				continue
			}
			b.WriteByte(s[i])
		}
		if !changed {
			return s
		}
		s = b.String()
	}
	return s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
