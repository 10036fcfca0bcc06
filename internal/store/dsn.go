package store

import (
	"net/url"
	"regexp"
	"strings"
)

// secretDSNParams are the connection parameters whose values are secrets. pgx reads every
// parameter from the query of a postgres:// URL as well as from key=value strings, so
// postgres://u@h/db?password=… carries the password there. (sslkey, sslcert and passfile
// name files, which are not secrets themselves.)
var secretDSNParams = map[string]bool{"password": true, "sslpassword": true}

// secretDSNPairs finds password= and sslpassword= in a key=value string, quoted or not.
var secretDSNPairs = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)`)

const redacted = "xxxxx"

// RedactDSN returns the store location as it may be shown on a terminal or in a log: the
// password of a URL's user info and the values of its password and sslpassword parameters
// are replaced by xxxxx. A location that is not a URL has any password= or sslpassword= value
// hidden the same way. A URL too malformed to read keeps only its scheme and what follows
// the last @, without the query.
func RedactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return secretDSNPairs.ReplaceAllString(dsn, "${1}"+redacted)
	}
	authority := rest
	if i := strings.IndexAny(authority, "?#"); i >= 0 {
		authority = authority[:i]
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.User == nil && strings.Contains(authority, "@")) {
		// An '@' outside the user info means the URL was not read as written (a password
		// with an unescaped '/', '?' or '#'): show nothing that may belong to it.
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		if i := strings.IndexAny(rest, "?#"); i >= 0 {
			rest = rest[:i] + "?" + redacted
		}
		return scheme + "://" + redacted + "@" + rest
	}
	out := scheme + "://"
	if u.User != nil {
		out += url.User(u.User.Username()).String()
		if _, has := u.User.Password(); has {
			out += ":" + redacted
		}
		out += "@"
	}
	out += u.Host + u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		pairs := strings.Split(u.RawQuery, "&")
		for i, p := range pairs {
			k, _, _ := strings.Cut(p, "=")
			if name, err := url.QueryUnescape(k); err != nil || secretDSNParams[strings.ToLower(strings.TrimSpace(name))] {
				pairs[i] = k + "=" + redacted
			}
		}
		out += "?" + strings.Join(pairs, "&")
	}
	if u.Fragment != "" {
		out += "#" + redacted
	}
	return out
}
