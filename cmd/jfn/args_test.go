package main

import (
	"errors"
	"path/filepath"
	"slices"
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

func TestParseArgsInterspersed(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos []string
		wantURL string
		wantY   bool
	}{
		{[]string{"probe", "--url", "http://x"}, []string{"probe"}, "http://x", false},
		{[]string{"--url=http://x", "probe", "-y"}, []string{"probe"}, "http://x", true},
		{[]string{"a", "-y", "b"}, []string{"a", "b"}, "", true},
		{[]string{"a", "--", "-y"}, []string{"a", "-y"}, "", false},
	}
	for _, tt := range tests {
		fs := newFlagSet("test")
		url := fs.String("url", "", "")
		y := fs.Bool("y", false, "")
		pos, err := parseArgs(fs, tt.args, "usage")
		if err != nil || !slices.Equal(pos, tt.wantPos) || *url != tt.wantURL || *y != tt.wantY {
			t.Errorf("parseArgs(%q) = %q, %v (url %q, y %v); want %q (url %q, y %v)", tt.args, pos, err, *url, *y, tt.wantPos, tt.wantURL, tt.wantY)
		}
	}
	_, err := parseArgs(newFlagSet("test"), []string{"a", "--nope"}, "usage")
	var ue *usageError
	if !errors.As(err, &ue) {
		t.Errorf("parseArgs with an unknown flag = %v, want a usageError", err)
	}
	_, err = parseArgs(newFlagSet("test"), []string{"--help"}, "usage text")
	var he *helpError
	if !errors.As(err, &he) || he.text != "usage text" {
		t.Errorf("parseArgs(--help) = %v, want a helpError with the usage", err)
	}
}
