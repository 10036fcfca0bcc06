package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFlagHelp(t *testing.T) {
	fs := newFlagSet("test")
	fs.String("listen", "", "the public address `ADDR`")
	fs.Bool("public", false, "no token needed")
	fs.String("long", "", "a usage long enough to be wrapped: "+strings.Repeat("word ", 20)+"end")
	fs.String("bare", "", "")
	fs.duration("ttl", 24*time.Hour, "sessions unused for `D` are removed")
	fs.fromEnv("listen", "ttl")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	fs.BoolVar(yes, "y", false, "")
	globalFlags(fs.FlagSet, &env{db: "jfn.db"})
	want := `
  --bare string
  --listen ADDR  the public address ADDR (env JFN_LISTEN)
  --long string  a usage long enough to be wrapped: word word word word word word word word word
                 word word word word word word word word word word word end
  --public       no token needed
  --ttl D        sessions unused for D are removed (env JFN_TTL, default 24h)
  -y, --yes      do not ask for confirmation
`
	if got := flagHelp(fs); got != want {
		t.Errorf("flagHelp() =\n%s\nwant\n%s", got, want)
	}
	if got := flagHelp(newFlagSet("none")); got != "" {
		t.Errorf("flagHelp() of no flags = %q, want \"\"", got)
	}
}

func TestHelp(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	top := mustCLI(t, db, "help").stdout
	for _, c := range commands {
		args := append(strings.Fields(c.name), "--help")
		r := mustCLI(t, db, args...)
		if !strings.HasPrefix(r.stdout, c.usage) {
			t.Errorf("jfn %s does not start with its usage:\n%s", strings.Join(args, " "), r.stdout)
		}
		if h := mustCLI(t, db, append([]string{"help"}, strings.Fields(c.name)...)...); h.stdout != r.stdout {
			t.Errorf("jfn help %s =\n%s\nwant what jfn %s prints:\n%s", c.name, h.stdout, strings.Join(args, " "), r.stdout)
		}
		if group, _, ok := strings.Cut(c.name, " "); ok {
			if g := mustCLI(t, db, "help", group); !strings.Contains(g.stdout, r.stdout) {
				t.Errorf("jfn help %s lacks the help of %s:\n%s", group, c.name, g.stdout)
			}
		}
		synopsis, _, _ := strings.Cut(strings.TrimPrefix(c.usage, "Usage: "), "\n")
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
