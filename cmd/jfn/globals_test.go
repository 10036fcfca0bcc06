package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGlobalFlagMistakes: a global flag without its value, or with one it cannot take, is a
// usage error wherever it stands; so is one after "--", which ends the flags.
func TestGlobalFlagMistakes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	for _, args := range [][]string{
		{"--db"},
		{"--db=", "functions", "list"},
		{"functions", "list", "--db="},
		{"--json=maybe", "functions", "list"},
		{"functions", "--json=maybe", "list"},
		{"functions", "list", "-json=maybe"},
		{"tokens", "list", "fn", "--", "--json"},
		{"--nope", "functions", "list"},
		// A flag missing its value does not swallow a global flag after it.
		{"deploy", "f", "--url", "http://127.0.0.1:9", "--mcp-toolsets", "--json"},
		{"tokens", "create", "f", "--name", "--json"},
		{"deploy", "g", "--url", "--db", "postgres://u:secret@127.0.0.1:1/db"},
		{"functions", "list", "--db", "--json"},
		{"functions", "list", "--db", "-"},
		{"tokens", "create", "f", "--name", "--expires=90d"},
		{"serve", "--listen", "--admin-token", "secret-admin"},
		{"help", "nope"},
		{"tokens", "list", ""}, // an empty function NAME is checked like any other
	} {
		if r := cli(t, db, args...); r.code != 2 || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" || strings.Contains(r.stderr, "secret") {
			t.Errorf("jfn %s: exit %d, stdout %q, stderr %q; want 2 and one line on stderr", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{
		{"-db=" + db, "-json", "functions", "list"},
		{"--json=false", "functions", "list", "--json"},
		{"functions", "-json", "list"},
	} {
		if r := cli(t, filepath.Join(t.TempDir(), "unused.db"), args...); r.code != 0 || r.stdout != "{\n  \"functions\": []\n}\n" {
			t.Errorf("jfn %s: exit %d, stdout %q, stderr %q; want 0 and an empty JSON list", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
}
