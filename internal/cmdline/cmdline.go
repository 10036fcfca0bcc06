// Package cmdline runs a program of subcommands declared as a table, on the standard flag
// package. A program says, once per command, its name, usage, positional arguments, whether
// it asks before it changes anything, and its flags; Run does the rest:
//
//   - "prog group sub ARGS", with the global flags before or after the command's name and
//     the command's flags before or after its arguments ("--" ends them);
//   - a flag's environment variable (PROG_FLAG_NAME) as its default, where the program says so;
//   - -h, --help and "prog help COMMAND", rendered from the usage and the flags themselves;
//   - -y/--yes for the commands that ask, and the question on standard input;
//   - exit codes and one-line errors (Report): 0, 1 on failure, 2 on a usage error.
//
// The program keeps its own state for a run (the global flags' values, what it opened) in
// the value X that Start makes from each Invocation, and that the command's action receives.
package cmdline

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Env is what a command sees of the process.
type Env struct {
	Stdin  *bufio.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// A Command is one (sub)command of a program, declared once.
type Command[X any] struct {
	Name  string    // "serve"; a name of two words, "tokens list", is a subcommand of a group
	Usage string    // "Usage: prog NAME…", a blank line and what it does; its flags' help follows
	Args  []string  // the names of its positional arguments, all required
	Yes   bool      // it asks before it changes anything (Invocation.Confirm); -y answers
	Run   Action[X] // what it does, for a command without flags of its own

	// Flags declares the command's flags on fs and returns what it does once they are parsed.
	Flags func(fs *FlagSet) Action[X]
}

// An Action is what a command does once its command line is parsed.
type Action[X any] func(ctx context.Context, x X) error

// Invocation is the parsed command line of one command.
type Invocation struct {
	*Env
	Prog  string          // the program's name
	Cmd   string          // the command's name
	Names []string        // the names of its positional arguments (Command.Args)
	Args  []string        // their values, one for each name
	Set   map[string]bool // the flags given, on the command line or by their environment variable
	Asks  bool            // the command asks before it changes anything
	Yes   bool            // -y answered its question
}

// A Program is a set of commands and what they share.
type Program[X any] struct {
	Name     string // "jfn"; its flags' environment variables are JFN_*
	About    string // the first line of its help
	Commands []Command[X]

	// Globals declares the flags every command takes, before or after its name. Run calls it
	// once, and every command's flag set shares their values.
	Globals func(fs *FlagSet)

	// Start makes the value a command's action receives from its invocation, or refuses it.
	Start func(x *Invocation) (X, error)

	// Finish, when set, runs after the action with what it returned, and returns the error
	// the program reports.
	Finish func(x X, err error) error
}

// Run runs the command args name, as the program's arguments without its own name.
func (p *Program[X]) Run(ctx context.Context, e *Env, args []string) error {
	globals := p.flagSet(p.Name)
	if p.Globals != nil {
		p.Globals(globals)
	}
	set, rest, err := lift(globals, args)
	if err != nil {
		return err
	}
	c, rest, err := p.resolve(globals, rest)
	if err != nil {
		return err
	}
	fs := p.flagSet(c.Name)
	act := c.Run
	if c.Flags != nil {
		act = c.Flags(fs)
	}
	inv, err := p.parse(c, e, fs, rest)
	if err != nil {
		return err
	}
	if err := fromEnv(inv, globals, set); err != nil {
		return err
	}
	x, err := p.Start(inv)
	if err != nil {
		return err
	}
	err = act(ctx, x)
	if p.Finish != nil {
		err = p.Finish(x, err)
	}
	return err
}

// lift takes the flags of globals out of args wherever they stand before a "--", in any
// spelling the flag package reads (-db x, --db=x, -json, --json=false), and returns the
// names of those given and the other arguments in order. Taking them out first keeps a
// command's flag that is missing its value from swallowing a global one ("--name --json").
func lift(globals *FlagSet, args []string) (map[string]bool, []string, error) {
	set := map[string]bool{}
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := splitFlag(a)
		f := globals.Lookup(name)
		if f == nil {
			rest = append(rest, a)
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if !hasValue {
				value = "true"
			}
			if _, err := strconv.ParseBool(value); err != nil {
				return nil, nil, Usagef("invalid value %q for --%s: want true or false", value, name)
			}
		} else if !hasValue {
			if i+1 >= len(args) || (len(args[i+1]) > 1 && args[i+1][0] == '-') {
				return nil, nil, Usagef("flag needs an argument: --%s", name)
			}
			i++
			value = args[i]
		}
		if err := globals.Set(name, value); err != nil {
			return nil, nil, Usagef("invalid value %q for --%s: %v", value, name, err)
		}
		set[name] = true
	}
	return set, rest, nil
}

// splitFlag returns the name and inline value of a "-name", "--name" or "--name=value"
// argument; name is "" for anything that is not a flag.
func splitFlag(a string) (name, value string, hasValue bool) {
	a, ok := strings.CutPrefix(a, "-")
	if !ok {
		return "", "", false
	}
	a = strings.TrimPrefix(a, "-")
	if a == "" || a[0] == '-' || a[0] == '=' {
		return "", "", false
	}
	return strings.Cut(a, "=")
}

// isHelp reports whether a asks for help.
func isHelp(a string) bool {
	return a == "help" || a == "-h" || a == "-help" || a == "--help"
}

// resolve finds the command that args name and returns it with its arguments. "prog help
// COMMAND" is "prog COMMAND --help"; the help of a group is that of each of its subcommands.
func (p *Program[X]) resolve(globals *FlagSet, args []string) (Command[X], []string, error) {
	var none Command[X]
	if len(args) == 0 {
		return none, nil, Usagef("missing command; run '%s help' for the list", p.Name)
	}
	first := args[0]
	if isHelp(first) {
		if len(args) > 1 {
			if c, _, err := p.resolve(globals, args[1:]); err == nil {
				return c, []string{"--help"}, nil
			}
			if len(p.subcommands(args[1])) > 0 {
				return none, nil, &HelpError{Text: p.groupHelp(args[1])}
			}
			return none, nil, Usagef("no help for %q: it is not a command; run '%s help' for the list", strings.Join(args[1:], " "), p.Name)
		}
		return none, nil, &HelpError{Text: p.help(globals)}
	}
	subs := p.subcommands(first)
	if len(subs) == 0 {
		c, ok := p.lookup(first)
		if !ok {
			return none, nil, Usagef("unknown command %q; run '%s help' for the list", first, p.Name)
		}
		return c, args[1:], nil
	}
	switch {
	case len(args) > 1 && isHelp(args[1]) && args[1] != "help":
		return none, nil, &HelpError{Text: p.groupHelp(first)}
	case len(args) < 2 || strings.HasPrefix(args[1], "-"):
		return none, nil, Usagef("%s %s: missing subcommand (%s)", p.Name, first, strings.Join(subs, ", "))
	}
	c, ok := p.lookup(first + " " + args[1])
	if !ok {
		return none, nil, Usagef("%s %s: unknown subcommand %q (want %s)", p.Name, first, args[1], strings.Join(subs, ", "))
	}
	return c, args[2:], nil
}

// lookup returns the command called name.
func (p *Program[X]) lookup(name string) (Command[X], bool) {
	for _, c := range p.Commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command[X]{}, false
}

// subcommands returns the subcommands of group in order ("list", "create" for "tokens"), or
// none when group is not one.
func (p *Program[X]) subcommands(group string) []string {
	var subs []string
	for _, c := range p.Commands {
		if g, sub, ok := strings.Cut(c.Name, " "); ok && g == group {
			subs = append(subs, sub)
		}
	}
	return subs
}

// flagSet returns a new flag set for the command called name, whose flags' environment
// variables start with the program's name.
func (p *Program[X]) flagSet(name string) *FlagSet {
	fs := NewFlagSet(name)
	fs.EnvPrefix = strings.ToUpper(p.Name) + "_"
	return fs
}

// parse parses args with fs, c's flags, to which it adds -y and --yes when c asks, and then
// reads the flags fs says come from the environment.
func (p *Program[X]) parse(c Command[X], e *Env, fs *FlagSet, args []string) (*Invocation, error) {
	x := &Invocation{Env: e, Prog: p.Name, Cmd: c.Name, Names: c.Args, Asks: c.Yes, Set: map[string]bool{}}
	if c.Yes {
		fs.BoolVar(&x.Yes, "yes", false, "do not ask for confirmation")
		fs.BoolVar(&x.Yes, "y", false, "") // without usage: help lists it with --yes
	}
	pos, err := fs.parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, &HelpError{Text: c.Usage + FlagHelp(fs)}
	}
	if err != nil {
		return nil, x.Usagef("%v; run '%s %s --help'", err, p.Name, c.Name)
	}
	fs.Visit(func(f *flag.Flag) { x.Set[f.Name] = true })
	if err := fromEnv(x, fs, x.Set); err != nil {
		return nil, err
	}
	switch {
	case len(pos) < len(c.Args):
		return nil, x.Usagef("missing %s; run '%s %s --help'", c.Args[len(pos)], p.Name, c.Name)
	case len(pos) > len(c.Args):
		return nil, x.Usagef("unexpected argument %q; run '%s %s --help'", pos[len(c.Args)], p.Name, c.Name)
	}
	x.Args = pos
	return x, nil
}

// fromEnv sets each flag of fs that reads its environment variable (FromEnv) and is not in
// set from that variable, when it is not empty, and adds it to x.Set.
func fromEnv(x *Invocation, fs *FlagSet, set map[string]bool) error {
	for _, name := range fs.env {
		if v := x.Getenv(fs.EnvName(name)); v != "" && !set[name] {
			if err := fs.Set(name, v); err != nil {
				return x.Usagef("invalid %s %q: %v", fs.EnvName(name), v, err)
			}
			set[name] = true
		}
		x.Set[name] = x.Set[name] || set[name]
	}
	return nil
}

// Usagef returns a usage error of x's command: "prog tokens create: …".
func (x *Invocation) Usagef(format string, args ...any) error {
	return Usagef("%s %s: %s", x.Prog, x.Cmd, fmt.Sprintf(format, args...))
}

// ErrAborted is what Confirm returns when the answer is not yes; Report words it.
var ErrAborted = errors.New("aborted")

// Confirm asks question unless -y answered it, and returns ErrAborted unless the answer is
// yes. It writes the question on stdout, with "? " before and " (y/N) " after, and reads a
// line from stdin: only y or yes (in any case) confirm; anything else, and end of input, refuse.
func (x *Invocation) Confirm(question string) error {
	if x.Yes {
		return nil
	}
	fmt.Fprintf(x.Stdout, "? %s (y/N) ", question)
	line, err := x.Stdin.ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(x.Stdout)
		return ErrAborted
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return ErrAborted
}

// UsageError is a mistake in the command line: Report exits 2 for it.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// HelpError asks Report to print Text on stdout and exit 0 (for -h and --help).
type HelpError struct{ Text string }

func (e *HelpError) Error() string { return "help requested" }

// Report prints err as one line on stderr ("Error: …"), or help on stdout, and returns the
// exit code: 0 for none or help, 2 for a UsageError, else 1.
func Report(e *Env, err error) int {
	var help *HelpError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		fmt.Fprint(e.Stdout, help.Text)
		return 0
	case errors.Is(err, ErrAborted):
		fmt.Fprintln(e.Stderr, "Aborted: nothing was changed (pass -y to skip the question).")
		return 1
	}
	fmt.Fprintf(e.Stderr, "Error: %s\n", strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " "))
	if errors.As(err, new(*UsageError)) {
		return 2
	}
	return 1
}
