package main

import (
	"fmt"
	"io"
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
