package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
)

// The CLI follows the Jelou CLI's look: ✓ for success, ▸ for a value, ⚠ for a warning and
// ? for a question. It never writes colour codes, so its output is the same in a terminal,
// a pipe or a test.

func ok(w io.Writer, format string, args ...any)   { fmt.Fprintf(w, "✓ "+format+"\n", args...) }
func info(w io.Writer, format string, args ...any) { fmt.Fprintf(w, "▸ "+format+"\n", args...) }
func warn(w io.Writer, format string, args ...any) { fmt.Fprintf(w, "⚠ "+format+"\n", args...) }

// printJSON writes v as one indented JSON object.
func printJSON(w io.Writer, v any) error { return catalog.WriteJSON(w, v) }

// table returns a tabwriter that aligns columns with two spaces between them.
func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// humanTime formats t for tables in local time, or "never" when t is zero.
func humanTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// jsonTime formats t as RFC 3339 in UTC, or returns nil (JSON null) when t is zero.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// yesNo renders a boolean for tables.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// shown is the URL u as text output prints it: without the password it may carry (--json
// keeps it whole, for programs).
func shown(u string) string {
	if p, err := url.Parse(u); err == nil && p.User != nil {
		if _, has := p.User.Password(); has {
			return p.Redacted()
		}
	}
	return u
}

// hidePasswords is msg without the passwords of the URLs urls.
func hidePasswords(msg string, urls ...string) string {
	for _, u := range urls {
		if p, err := url.Parse(u); err == nil && p.User != nil {
			if pw, has := p.User.Password(); has && pw != "" {
				msg = strings.ReplaceAll(msg, pw, "xxxxx")
			}
		}
	}
	return msg
}
