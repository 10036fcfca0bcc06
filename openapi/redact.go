package openapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// RedactError rewrites the URL inside a *url.Error without its user info, query and
// fragment, for logs: the query of a proxied request or a tool call carries the caller's
// values, which may be secrets (a token sent there by mistake, an API key argument). Other
// errors are returned as they are.
func RedactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %q: %w", ue.Op, RedactURL(ue.URL), ue.Err)
	}
	return err
}

// RedactURL drops the user info, query and fragment of raw.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			return raw[:i]
		}
		return raw
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}
