package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	top := mustCLI(t, db, "help").stdout
	for _, c := range commands {
		args := append(strings.Fields(c.Name), "--help")
		r := mustCLI(t, db, args...)
		if !strings.HasPrefix(r.stdout, c.Usage) {
			t.Errorf("jfn %s does not start with its usage:\n%s", strings.Join(args, " "), r.stdout)
		}
		if h := mustCLI(t, db, append([]string{"help"}, strings.Fields(c.Name)...)...); h.stdout != r.stdout {
			t.Errorf("jfn help %s =\n%s\nwant what jfn %s prints:\n%s", c.Name, h.stdout, strings.Join(args, " "), r.stdout)
		}
		if group, _, ok := strings.Cut(c.Name, " "); ok {
			if g := mustCLI(t, db, "help", group); !strings.Contains(g.stdout, r.stdout) {
				t.Errorf("jfn help %s lacks the help of %s:\n%s", group, c.Name, g.stdout)
			}
		}
		synopsis, _, _ := strings.Cut(strings.TrimPrefix(c.Usage, "Usage: "), "\n")
		if !strings.Contains(top, "\n  "+synopsis+"\n") {
			t.Errorf("jfn help lacks %q:\n%s", synopsis, top)
		}
	}
	for cmd, flags := range map[string][]string{
		"deploy":                  {"--url URL", "--openapi URL", "--public ", "--timeout D", "--no-mcp ", "--mcp-mode M", "--mcp-toolsets L", "--cors-origins L", "--public-url U", "--domain D"},
		"functions rotate-secret": {"--grace D", "-y, --yes "},
		"tools":                   {"--search QUERY", "--limit N", "--mode M", "--toolsets L"},
	} {
		r := mustCLI(t, db, "help", cmd)
		for _, f := range flags {
			if !strings.Contains(r.stdout, "\n  "+f) {
				t.Errorf("jfn help %s lacks %q:\n%s", cmd, f, r.stdout)
			}
		}
	}
}
