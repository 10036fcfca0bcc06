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
	} {
		if r := cli(t, db, args...); r.code != 2 || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
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
