package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

// A command is one (sub)command of jfn, declared once: help, flags, arguments, the question
// it asks and the store it opens all follow from these fields.
type command struct {
	name  string   // "serve"; a name of two words, "tokens list", is a subcommand of a group
	usage string   // the synopsis and what it does; the help of its flags comes from them
	args  []string // its positional arguments; a first "NAME" is a function name, checked
	yes   bool     // it asks before it changes anything: -y answers, and --json needs -y
	run   action   // what it does, for a command without flags of its own

	// flags declares the command's flags on fs and returns what it does once they are parsed.
	flags func(fs *flagSet) action
}

// An action is what a command does once its command line is parsed.
type action func(ctx context.Context, x *invocation) error

// invocation is one run of a command: the process's env and the parsed command line.
type invocation struct {
	*env
	cmd  string          // the command's name
	args []string        // its positional arguments, as many as it names
	set  map[string]bool // the flags given, on the command line or by their environment variable
	yes  bool            // -y was given
	st   store.Store     // opened by store, closed when the command returns
}

// exec parses args and runs c.
func (c command) exec(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(c.name)
	act := c.run
	if c.flags != nil {
		act = c.flags(fs)
	}
	x, err := c.parse(fs, e, args)
	if err != nil {
		return err
	}
	defer func() {
		if x.st != nil {
			x.st.Close()
		}
	}()
	err = act(ctx, x)
	if len(c.args) > 0 && c.args[0] == "NAME" && errors.Is(err, store.ErrNotFound) {
		name := x.args[0]
		return fmt.Errorf("function %s not found; deploy it with 'jfn deploy %s --url URL' or see 'jfn functions list'", name, name)
	}
	return err
}

// parse parses args with fs, the command's flags, to which it adds the global flags and -y.
func (c command) parse(fs *flagSet, e *env, args []string) (*invocation, error) {
	x := &invocation{env: e, cmd: c.name}
	if c.yes {
		fs.BoolVar(&x.yes, "yes", false, "do not ask for confirmation")
		fs.BoolVar(&x.yes, "y", false, "") // without usage: help lists it with --yes
	}
	globalFlags(fs.FlagSet, e)
	pos, err := parseArgs(fs, args, c.usage)
	if err != nil {
		return nil, err
	}
	x.args, x.set = pos, map[string]bool{}
	fs.Visit(func(f *flag.Flag) { x.set[f.Name] = true })
	for _, name := range fs.env {
		if v := e.getenv(envName(name)); v != "" && !x.set[name] {
			if err := fs.Set(name, v); err != nil {
				return nil, x.usagef("invalid %s %q: %v", envName(name), v, err)
			}
			x.set[name] = true
		}
	}
	switch {
	case e.db == "":
		return nil, x.usagef("--db needs a file path or a postgres:// URL")
	case len(pos) < len(c.args):
		return nil, x.usagef("missing %s; run 'jfn %s --help'", c.args[len(pos)], c.name)
	case len(pos) > len(c.args):
		return nil, x.usagef("unexpected argument %q; run 'jfn %s --help'", pos[len(c.args)], c.name)
	case len(pos) > 0 && c.args[0] == "NAME":
		if err := service.CheckName(pos[0]); err != nil {
			return nil, x.usagef("invalid function name %q: %v", pos[0], err)
		}
	}
	if c.yes && e.json && !x.yes {
		return nil, x.usagef("--json cannot ask for confirmation; add -y")
	}
	return x, nil
}

// globalFlags declares the flags every command takes, before or after its name, on fs.
func globalFlags(fs *flag.FlagSet, e *env) {
	fs.StringVar(&e.db, "db", e.db, "")
	fs.BoolVar(&e.json, "json", e.json, "")
}

// isGlobal reports whether the flag called name is one of globalFlags, which the help of
// jfn lists once rather than with every command.
func isGlobal(name string) bool { return name == "db" || name == "json" }

// store opens the store the global --db flag names; the command's return closes it.
func (x *invocation) store(ctx context.Context) (store.Store, error) {
	st, err := store.Open(ctx, x.db)
	if err != nil {
		return nil, fmt.Errorf("cannot open the store %s: %w; check --db or JFN_DB", store.RedactDSN(x.db), err)
	}
	x.st = st
	return st, nil
}

// confirm asks question unless -y answered it, and returns errAborted unless the answer is yes.
func (x *invocation) confirm(question string) error {
	if x.yes || confirm(x.env, question) {
		return nil
	}
	return errAborted
}

// usagef returns a usage error of x's command: "jfn tokens create: …".
func (x *invocation) usagef(format string, args ...any) error {
	return usagef("jfn %s: %s", x.cmd, fmt.Sprintf(format, args...))
}

// flagSet is a command's flags, and those of them that fall back on an environment variable.
type flagSet struct {
	*flag.FlagSet
	env []string // the names of the flags read from envName(name) when the command line does not set them
}

// newFlagSet returns the flags of the command called name, which report errors instead of
// printing them.
func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs}
}

// fromEnv reads the flags called names from their environment variables (envName) when the
// command line does not set them: the flag beats its variable, which beats its default.
func (fs *flagSet) fromEnv(names ...string) { fs.env = append(fs.env, names...) }

// envName is the environment variable of the flag called name: JFN_PUBLIC_URL for public-url.
func envName(name string) string {
	return "JFN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// usageError is a mistake in the command line: run reports it and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// helpError asks run to print text on stdout and exit 0 (for -h and --help).
type helpError struct{ text string }

func (e *helpError) Error() string { return "help requested" }

// parseArgs parses args with fs, allowing flags to come after positional arguments, and
// returns the positional arguments. -h and --help become a helpError carrying usage and the
// help of fs's flags.
func parseArgs(fs *flagSet, args []string, usage string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpError{text: usage + flagHelp(fs)}
			}
			return nil, usagef("jfn %s: %v; run 'jfn %s --help'", fs.Name(), err, fs.Name())
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// ifSet returns v when the flag called name was given, else nil.
func ifSet[T any](x *invocation, name string, v *T) *T {
	if x.set[name] {
		return v
	}
	return nil
}

// durationFlag is a flag.Value for a positive duration in the forms service.ParseDuration
// reads (36h, 7d).
type durationFlag struct {
	d    time.Duration
	text string
}

func (f *durationFlag) String() string { return f.text }

func (f *durationFlag) Set(s string) error {
	d, err := service.ParseDuration(s)
	if err != nil || d <= 0 {
		return errors.New("want a positive duration such as 30s, 24h or 7d")
	}
	f.d, f.text = d, s
	return nil
}

// duration declares a durationFlag with the default def (0 for none).
func (fs *flagSet) duration(name string, def time.Duration, usage string) *time.Duration {
	f := &durationFlag{d: def}
	if def != 0 {
		f.text = def.String() // without zero minutes and seconds: 24h, 1m, 30s
		if strings.HasSuffix(f.text, "m0s") {
			f.text = strings.TrimSuffix(f.text, "0s")
		}
		if strings.HasSuffix(f.text, "h0m") {
			f.text = strings.TrimSuffix(f.text, "0m")
		}
	}
	fs.Var(f, name, usage)
	return &f.d
}
