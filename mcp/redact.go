package mcp

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// redactError rewrites the URL inside a *url.Error without its query, fragment and user
// info, as the gateway's proxy log does: a tool call's query carries the caller's
// arguments, which may be secrets.
func redactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %q: %w", ue.Op, redactURL(ue.URL), ue.Err)
	}
	return err
}

// redactURL drops the user info, query and fragment of raw.
func redactURL(raw string) string {
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
