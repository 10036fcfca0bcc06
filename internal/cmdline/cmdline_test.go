package cmdline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// state is the toy program's value for a run: the global flag and what the action saw.
type state struct {
	*Invocation
	verbose bool
	store   string
}

// toy is a program with a group of two subcommands and a command with flags, which prints
// what it was given.
func toy(s *state) *Program[*state] {
	show := func(ctx context.Context, x *state) error {
		fmt.Fprintf(x.Stdout, "%s %q verbose=%v", x.Cmd, x.Args, x.verbose)
		if x.store != "" {
			fmt.Fprintf(x.Stdout, " store=%s", x.store)
		}
		return nil
	}
	return &Program[*state]{
		Name: "toy", About: "toy — a program for tests.",
		Globals: func(fs *FlagSet) {
			fs.BoolVar(&s.verbose, "verbose", false, "say more")
			fs.StringVar(&s.store, "store", "", "the store `PATH`")
			fs.FromEnv("verbose", "store")
		},
		Start: func(x *Invocation) (*state, error) { s.Invocation = x; return s, nil },
		Commands: []Command[*state]{
			{Name: "item get", Usage: "Usage: toy item get ID\n\nShows an item.\n", Args: []string{"ID"}, Run: show},
			{Name: "item drop", Usage: "Usage: toy item drop ID [-y]\n\nDrops an item.\n", Args: []string{"ID"}, Yes: true,
				Run: func(ctx context.Context, x *state) error {
					if err := x.Confirm("Drop " + x.Args[0] + "?"); err != nil {
						return err
					}
					fmt.Fprint(x.Stdout, "dropped")
					return nil
				}},
			{Name: "serve", Usage: "Usage: toy serve [flags]\n\nServes.\n", Flags: func(fs *FlagSet) Action[*state] {
				listen := fs.String("listen", "127.0.0.1:1", "the address `ADDR`")
				ttl := fs.Duration("ttl", time.Hour, "sessions last `D`")
				fs.FromEnv("listen", "ttl")
				return func(ctx context.Context, x *state) error {
					fmt.Fprintf(x.Stdout, "listen=%s ttl=%s verbose=%v", *listen, *ttl, x.verbose)
					return nil
				}
			}},
		},
	}
}

// runToy runs the toy program with args, stdin and the environment kv (key, value…), and
// returns its exit code and what it printed.
func runToy(stdin string, kv []string, args ...string) (code int, stdout, stderr string) {
	env := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	var out, errOut bytes.Buffer
	e := &Env{Stdin: bufio.NewReader(strings.NewReader(stdin)), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}
	code = Report(e, toy(&state{}).Run(context.Background(), e, args))
	return code, out.String(), errOut.String()
}

func TestRun(t *testing.T) {
	tests := []struct {
		stdin      string
		env        []string
		args       []string
		wantCode   int
		wantStdout string // the whole of stdout, or with a trailing "…" its start
		wantStderr string // a part of stderr
	}{
		{"", nil, []string{"item", "get", "7"}, 0, `item get ["7"] verbose=false`, ""},
		{"", nil, []string{"--verbose", "item", "get", "7"}, 0, `item get ["7"] verbose=true`, ""},
		{"", nil, []string{"item", "--verbose", "get", "7"}, 0, `item get ["7"] verbose=true`, ""},
		{"", nil, []string{"item", "get", "7", "-verbose"}, 0, `item get ["7"] verbose=true`, ""},
		{"", nil, []string{"item", "get", "--", "-7"}, 0, `item get ["-7"] verbose=false`, ""},
		{"", []string{"TOY_VERBOSE", "true"}, []string{"item", "get", "7"}, 0, `item get ["7"] verbose=true`, ""},
		{"", []string{"TOY_VERBOSE", "true"}, []string{"item", "get", "7", "--verbose=false"}, 0, `item get ["7"] verbose=false`, ""},
		{"", []string{"TOY_VERBOSE", "maybe"}, []string{"item", "get", "7"}, 2, "", `invalid TOY_VERBOSE "maybe"`},
		{"", nil, []string{"serve"}, 0, "listen=127.0.0.1:1 ttl=1h0m0s verbose=false", ""},
		{"", []string{"TOY_LISTEN", "127.0.0.1:2", "TOY_TTL", "2h"}, []string{"serve"}, 0, "listen=127.0.0.1:2 ttl=2h0m0s verbose=false", ""},
		{"", []string{"TOY_LISTEN", "127.0.0.1:2"}, []string{"serve", "--listen", "127.0.0.1:3"}, 0, "listen=127.0.0.1:3 ttl=1h0m0s verbose=false", ""},
		{"", []string{"TOY_TTL", "soon"}, []string{"serve"}, 2, "", `toy serve: invalid TOY_TTL "soon"`},
		{"", nil, []string{"serve", "--ttl", "soon"}, 2, "", "toy serve: invalid value \"soon\" for flag -ttl"},
		{"", nil, []string{"serve", "--nope"}, 2, "", "toy serve: flag provided but not defined: -nope; run 'toy serve --help'"},
		{"", nil, []string{"serve", "extra"}, 2, "", `toy serve: unexpected argument "extra"`},
		{"", nil, []string{"item", "get"}, 2, "", "toy item get: missing ID; run 'toy item get --help'"},
		{"", nil, []string{"item"}, 2, "", "toy item: missing subcommand (get, drop)"},
		{"", nil, []string{"item", "put"}, 2, "", `toy item: unknown subcommand "put" (want get, drop)`},
		{"", nil, []string{"nope"}, 2, "", `unknown command "nope"; run 'toy help' for the list`},
		{"", nil, nil, 2, "", "missing command"},
		{"", nil, []string{"--nope"}, 2, "", `unknown command "--nope"; run 'toy help' for the list`},
		{"", nil, []string{"item", "get", "7", "--verbose=maybe"}, 2, "", `invalid value "maybe" for --verbose: want true or false`},
		{"", nil, []string{"item", "get", "7", "--store"}, 2, "", "flag needs an argument: --store"},
		{"", nil, []string{"item", "get", "--store", "--verbose", "7"}, 2, "", "flag needs an argument: --store"},
		{"", nil, []string{"item", "-store=s.db", "get", "7"}, 0, `item get ["7"] verbose=false store=s.db`, ""},
		{"", []string{"TOY_STORE", "env.db"}, []string{"item", "get", "7"}, 0, `item get ["7"] verbose=false store=env.db`, ""},
		{"", []string{"TOY_STORE", "env.db"}, []string{"item", "get", "7", "--store", "flag.db"}, 0, `item get ["7"] verbose=false store=flag.db`, ""},
		// A command's flag missing its value does not swallow a global one after it.
		{"", nil, []string{"serve", "--listen", "--verbose"}, 2, "", "toy serve: flag needs an argument: -listen"},
		{"", nil, []string{"serve", "--listen", "--store", "postgres://u:secret@h/db"}, 2, "", "toy serve: flag needs an argument: -listen"},
		{"", nil, []string{"help", "--verbose", "item"}, 0, "Usage: toy item get ID\n…", ""},
		{"", nil, []string{"item", "get", "--", "--verbose"}, 0, `item get ["--verbose"] verbose=false`, ""},
		{"y\n", nil, []string{"item", "drop", "7"}, 0, "? Drop 7? (y/N) dropped", ""},
		{"YES\n", nil, []string{"item", "drop", "7"}, 0, "? Drop 7? (y/N) dropped", ""},
		{"n\n", nil, []string{"item", "drop", "7"}, 1, "? Drop 7? (y/N) ", "Aborted: nothing was changed"},
		{"", nil, []string{"item", "drop", "7"}, 1, "? Drop 7? (y/N) \n", "Aborted"},
		{"", nil, []string{"item", "drop", "-y", "7"}, 0, "dropped", ""},
		{"", nil, []string{"item", "drop", "7", "--yes"}, 0, "dropped", ""},
		{"", nil, []string{"item", "get", "-y", "7"}, 2, "", "flag provided but not defined: -y"},
		{"", nil, []string{"help"}, 0, "toy — a program for tests.\n\nUsage:\n  toy item get ID\n  toy item drop ID [-y]\n  toy serve [flags]\n  toy help [COMMAND]\n\nGlobal flags (before or after the command):\n  --store PATH  the store PATH (env TOY_STORE)\n  --verbose     say more (env TOY_VERBOSE)\n\nRun 'toy COMMAND --help' for a command's flags.\n", ""},
		{"", nil, []string{"serve", "--help"}, 0, "Usage: toy serve [flags]\n\nServes.\n\n  --listen ADDR  the address ADDR (env TOY_LISTEN, default 127.0.0.1:1)\n  --ttl D        sessions last D (env TOY_TTL, default 1h0m0s)\n", ""},
		{"", nil, []string{"item", "drop", "-h"}, 0, "Usage: toy item drop ID [-y]\n\nDrops an item.\n\n  -y, --yes  do not ask for confirmation\n", ""},
		{"", nil, []string{"help", "item"}, 0, "Usage: toy item get ID\n\nShows an item.\n\nUsage: toy item drop ID [-y]\n\nDrops an item.\n\n  -y, --yes  do not ask for confirmation\n\n", ""},
		{"", nil, []string{"item", "--help"}, 0, "Usage: toy item get ID\n…", ""},
		{"", nil, []string{"help", "item", "get"}, 0, "Usage: toy item get ID\n\nShows an item.\n", ""},
		{"", nil, []string{"-h", "serve"}, 0, "Usage: toy serve [flags]\n…", ""},
		{"", nil, []string{"--help"}, 0, "toy — a program for tests.\n…", ""},
		{"", nil, []string{"help", "nope"}, 2, "", `no help for "nope": it is not a command`},
		{"", nil, []string{"serve", "--listen", "--ttl=2h"}, 2, "", "toy serve: flag needs an argument: -listen"},
		{"", nil, []string{"serve", "--listen=--odd"}, 0, "listen=--odd ttl=1h0m0s verbose=false", ""},
	}
	for _, tt := range tests {
		code, stdout, stderr := runToy(tt.stdin, tt.env, tt.args...)
		if strings.Contains(stderr, "secret") {
			t.Errorf("toy %q: stderr %q echoes a value it was not asked about", tt.args, stderr)
		}
		prefix, whole := strings.CutSuffix(tt.wantStdout, "…")
		okOut := stdout == tt.wantStdout || (whole && strings.HasPrefix(stdout, prefix))
		okErr := strings.Contains(stderr, tt.wantStderr) && (tt.wantStderr == "") == (stderr == "") && strings.Count(stderr, "\n") <= 1
		if code != tt.wantCode || !okOut || !okErr {
			t.Errorf("toy %q (stdin %q, env %q) = %d, stdout %q, stderr %q; want %d, stdout %q, stderr with %q",
				tt.args, tt.stdin, tt.env, code, stdout, stderr, tt.wantCode, tt.wantStdout, tt.wantStderr)
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
		{[]string{"-", "-y"}, []string{"-"}, "", true},
	}
	for _, tt := range tests {
		fs := NewFlagSet("test")
		url := fs.String("url", "", "")
		y := fs.Bool("y", false, "")
		pos, err := fs.parseArgs(tt.args)
		if err != nil || !slices.Equal(pos, tt.wantPos) || *url != tt.wantURL || *y != tt.wantY {
			t.Errorf("parseArgs(%q) = %q, %v (url %q, y %v); want %q (url %q, y %v)", tt.args, pos, err, *url, *y, tt.wantPos, tt.wantURL, tt.wantY)
		}
	}
}

func TestFlagHelp(t *testing.T) {
	fs := NewFlagSet("test")
	fs.EnvPrefix = "JFN_"
	fs.String("listen", "", "the public address `ADDR`")
	fs.Bool("public", false, "no token needed")
	fs.String("long", "", "a usage long enough to be wrapped: "+strings.Repeat("word ", 20)+"end")
	fs.String("bare", "", "")
	fs.Duration("ttl", 24*time.Hour, "sessions unused for `D` are removed")
	fs.FromEnv("listen", "ttl")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	fs.BoolVar(yes, "y", false, "")
	want := `
  --bare string
  --listen ADDR  the public address ADDR (env JFN_LISTEN)
  --long string  a usage long enough to be wrapped: word word word word word word word word word
                 word word word word word word word word word word word end
  --public       no token needed
  --ttl D        sessions unused for D are removed (env JFN_TTL, default 24h0m0s)
  -y, --yes      do not ask for confirmation
`
	if got := FlagHelp(fs); got != want {
		t.Errorf("FlagHelp() =\n%s\nwant\n%s", got, want)
	}
	if got := FlagHelp(NewFlagSet("none")); got != "" {
		t.Errorf("FlagHelp() of no flags = %q, want \"\"", got)
	}
}

// TestFinish: Finish sees what the action returned and decides what is reported.
func TestFinish(t *testing.T) {
	boom := errors.New("boom")
	var seen error
	p := &Program[*Invocation]{
		Name:     "toy",
		Start:    func(x *Invocation) (*Invocation, error) { return x, nil },
		Finish:   func(x *Invocation, err error) error { seen = err; return fmt.Errorf("wrapped: %w", err) },
		Commands: []Command[*Invocation]{{Name: "fail", Run: func(context.Context, *Invocation) error { return boom }}},
	}
	var out bytes.Buffer
	e := &Env{Stdin: bufio.NewReader(strings.NewReader("")), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if code := Report(e, p.Run(context.Background(), e, []string{"fail"})); code != 1 || seen != boom || out.String() != "Error: wrapped: boom\n" {
		t.Errorf("toy fail = %d, %q (Finish saw %v); want 1, \"Error: wrapped: boom\\n\" and boom", code, out.String(), seen)
	}
}

// FuzzRun: any command line gets an exit code of 0, 1 or 2 and at most one line on stderr.
func FuzzRun(f *testing.F) {
	f.Add("item get 7")
	f.Add("--verbose item --verbose drop -y 7")
	f.Add("serve --ttl=1h -listen x -- y")
	f.Add("help item get")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		if len(args) > 32 {
			args = args[:32]
		}
		code, _, stderr := runToy("n\n", nil, args...)
		if code < 0 || code > 2 || strings.Count(stderr, "\n") > 1 {
			t.Errorf("toy %q = %d, stderr %q; want 0, 1 or 2 and at most one line", args, code, stderr)
		}
	})
}
