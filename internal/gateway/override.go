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
// "_method". Pairs are split on '&' and on ';', as some parsers split.
func hasMethodParam(q string) bool {
	if !mayNameMethod(q) {
		return false
	}
	for q != "" {
		kv := q
		if i := strings.IndexAny(q, "&;"); i >= 0 {
			kv, q = q[:i], q[i+1:]
		} else {
			q = ""
		}
		k, _, _ := strings.Cut(kv, "=")
		if isMethodName(lenientUnescape(strings.ReplaceAll(k, "+", " "))) {
			return true
		}
	}
	return false
}

// mayNameMethod reports whether s could name "method" once decoded: it has the word in any
// case, or an escape ('%' or '\\') that could spell it. It spares the common request (a
// public webhook's form or JSON) a parse.
func mayNameMethod[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' || c == '\\':
			return true
		case c|0x20 == 'm' && i+6 <= len(s) && strings.EqualFold(string(s[i:i+6]), "method"):
			return true
		}
	}
	return false
}

// isMethodName reports whether the parameter name k is "_method" as PHP (phpName) or Rack
// (rackName) read it.
func isMethodName(k string) bool {
	return strings.EqualFold(phpName(k), "_method") || strings.EqualFold(rackName(k), "_method")
}

// rackName is the name Rack 2 gives the parameter k: leading '[' and ']' dropped, then up to
// the next bracket ("[_method]" is "_method").
func rackName(k string) string {
	k = strings.TrimLeft(k, "[]")
	if i := strings.IndexAny(k, "[]"); i >= 0 {
		k = k[:i]
	}
	return k
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
	return phpRename.Replace(k)
}

// phpRename is the renaming phpName ends with.
var phpRename = strings.NewReplacer(".", "_", " ", "_")

// hasMethodField reports whether body, sent with the Content-Type ctype (every value of the
// header, joined with ", " as PHP's and Apache's servers join them), carries a "_method" field
// that a framework would read as the method. Each reading a framework may apply is tried: a
// form (Rack and PHP; Rack also without a Content-Type), JSON (Laravel, for any Content-Type
// that mentions json), and, for multipart or a Content-Type the gateway cannot parse, any
// mention of the name (mentionsMethod).
func hasMethodField(ctype string, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	ct := strings.ToLower(strings.TrimSpace(ctype))
	if (ct == "" || strings.Contains(ct, "x-www-form-urlencoded")) && hasMethodParam(string(body)) {
		return true
	}
	_, _, err := mime.ParseMediaType(ctype)
	scan := ct != "" && (err != nil || strings.Contains(ct, "multipart"))
	if strings.Contains(ct, "json") {
		named := mayNameMethod(body)
		if !named && !scan {
			return false // the common public JSON webhook: no parse at all
		}
		if json.Valid(body) {
			// Laravel reads it as JSON; no framework reads it otherwise.
			return named && jsonHasMethod(body)
		}
	}
	return scan && mentionsMethod(body)
}

// jsonHasMethod reports whether the JSON body is an object with a top-level member that a
// framework reads as "_method".
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
// any case after '_' (with no letter, digit, '_' or '-' before it), or after '.' that opens
// a name (after a quote, '=' or the start, spaces between: PHP drops leading spaces and reads
// '.' as '_'), and with no letter, digit, '_' or '-' after it. "payment_method" and
// "foo().method()" do not count; a part header name="_method" or name=".method", a line
// "Content-ID: _method" or "_m%65thod=" does. Backslashes are dropped first (Rack drops them
// from a quoted name: "_\method"), and so, in a second look, is every line break followed by
// more text (PHP joins a header line to the one before: "_me" LF "thod").
func mentionsMethod(b []byte) bool {
	s := strings.ToLower(strings.ReplaceAll(lenientUnescape(string(b)), "\\", ""))
	return wordMethod(s) || wordMethod(joinLines(s))
}

// joinLines drops each line break of s that is followed by more text on the next line.
func joinLines(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			continue // the '\n' decides
		}
		if s[i] == '\n' && i+1 < len(s) && s[i+1] != '\r' && s[i+1] != '\n' {
			continue
		}
		if s[i] == '\n' && i > 0 && s[i-1] == '\r' {
			b.WriteByte('\r')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// wordMethod is mentionsMethod's search, in the lower-case s.
func wordMethod(s string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], "method")
		if j < 0 {
			return false
		}
		at := i + j
		i = at + 1
		if end := at + len("method"); at == 0 || end < len(s) && isWordByte(s[end]) {
			continue
		}
		switch s[at-1] {
		case '_':
			if at < 2 || !isWordByte(s[at-2]) {
				return true
			}
		case '.':
			k := at - 2
			for k >= 0 && s[k] == ' ' {
				k--
			}
			if k < 0 || s[k] == '"' || s[k] == '\'' || s[k] == '=' {
				return true
			}
		}
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
