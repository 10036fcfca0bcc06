package main

import (
	"errors"
	"slices"
	"testing"
)

func TestLiftGlobals(t *testing.T) {
	tests := []struct {
		args     []string
		wantDB   string
		wantJSON bool
		wantRest []string
		wantErr  bool
	}{
		{[]string{"tokens", "list", "f"}, "", false, []string{"tokens", "list", "f"}, false},
		{[]string{"--db", "x.db", "tokens", "list", "f"}, "x.db", false, []string{"tokens", "list", "f"}, false},
		{[]string{"tokens", "list", "f", "--db", "x.db", "--json"}, "x.db", true, []string{"tokens", "list", "f"}, false},
		{[]string{"-db=x.db", "-json", "deploy"}, "x.db", true, []string{"deploy"}, false},
		{[]string{"--json=false", "deploy"}, "", false, []string{"deploy"}, false},
		{[]string{"deploy", "--", "--json"}, "", false, []string{"deploy", "--", "--json"}, false},
		{[]string{"deploy", "--url", "u", "-"}, "", false, []string{"deploy", "--url", "u", "-"}, false},
		{[]string{"--db"}, "", false, nil, true},
		{[]string{"--db="}, "", false, nil, true},
		{[]string{"--json=maybe"}, "", false, nil, true},
	}
	for _, tt := range tests {
		g, rest, err := liftGlobals(tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("liftGlobals(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if g.db != tt.wantDB || g.json != tt.wantJSON || !slices.Equal(rest, tt.wantRest) {
			t.Errorf("liftGlobals(%q) = %+v, %q; want db %q json %v rest %q", tt.args, g, rest, tt.wantDB, tt.wantJSON, tt.wantRest)
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
