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
	globals := p.globals()
	c, rest, err := p.resolve(globals, args)
	if err != nil {
		return err
	}
	fs := p.flagSet(c.Name)
	act := c.Run
	if c.Flags != nil {
		act = c.Flags(fs)
	}
	inv, err := p.parse(c, e, globals, fs, rest)
	if err != nil {
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

// resolve finds the command that args name and returns it with its arguments, after parsing
// the global flags that come before its name. "prog help COMMAND" is "prog COMMAND --help";
// the help of a group is that of each of its subcommands.
func (p *Program[X]) resolve(globals *FlagSet, args []string) (Command[X], []string, error) {
	var none Command[X]
	first, rest, err := leading(globals, args)
	if errors.Is(err, flag.ErrHelp) || first == "help" {
		if len(rest) > 0 {
			if c, _, err := p.resolve(globals, rest); err == nil {
				return c, []string{"--help"}, nil
			}
			if len(p.subcommands(rest[0])) > 0 {
				return none, nil, &HelpError{Text: p.groupHelp(rest[0])}
			}
		}
		return none, nil, &HelpError{Text: p.help(globals)}
	}
	if err != nil {
		return none, nil, err
	}
	if first == "" {
		return none, nil, Usagef("missing command; run '%s help' for the list", p.Name)
	}
	subs := p.subcommands(first)
	if len(subs) == 0 {
		c, ok := p.lookup(first)
		if !ok {
			return none, nil, Usagef("unknown command %q; run '%s help' for the list", first, p.Name)
		}
		return c, rest, nil
	}
	sub, rest, err := leading(globals, rest)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return none, nil, &HelpError{Text: p.groupHelp(first)}
	case err != nil:
		return none, nil, err
	case sub == "":
		return none, nil, Usagef("%s %s: missing subcommand (%s)", p.Name, first, strings.Join(subs, ", "))
	}
	c, ok := p.lookup(first + " " + sub)
	if !ok {
		return none, nil, Usagef("%s %s: unknown subcommand %q (want %s)", p.Name, first, sub, strings.Join(subs, ", "))
	}
	return c, rest, nil
}

// leading parses the flags of fs at the start of args, and returns the word after them (""
// when there is none) and what follows it.
func leading(fs *FlagSet, args []string) (string, []string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", fs.Args(), err
		}
		return "", nil, Usagef("%v; run '%s help'", err, fs.Name())
	}
	if fs.NArg() == 0 {
		return "", nil, nil
	}
	return fs.Arg(0), fs.Args()[1:], nil
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

// globals returns the program's global flags, on a new flag set.
func (p *Program[X]) globals() *FlagSet {
	fs := p.flagSet(p.Name)
	if p.Globals != nil {
		p.Globals(fs)
	}
	return fs
}

// flagSet returns a new flag set for the command called name, whose flags' environment
// variables start with the program's name.
func (p *Program[X]) flagSet(name string) *FlagSet {
	fs := NewFlagSet(name)
	fs.EnvPrefix = strings.ToUpper(p.Name) + "_"
	return fs
}

// parse parses args with fs, c's flags, to which it adds the global flags and, when c asks,
// -y and --yes.
func (p *Program[X]) parse(c Command[X], e *Env, globals, fs *FlagSet, args []string) (*Invocation, error) {
	x := &Invocation{Env: e, Prog: p.Name, Cmd: c.Name, Names: c.Args, Asks: c.Yes, Set: map[string]bool{}}
	if c.Yes {
		fs.BoolVar(&x.Yes, "yes", false, "do not ask for confirmation")
		fs.BoolVar(&x.Yes, "y", false, "") // without usage: help lists it with --yes
	}
	globals.VisitAll(func(f *flag.Flag) {
		fs.Var(f.Value, f.Name, f.Usage)
		fs.global[f.Name] = true
	})
	fs.env = append(fs.env, globals.env...)
	pos, err := fs.parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, &HelpError{Text: c.Usage + FlagHelp(fs)}
	}
	if err != nil {
		return nil, x.Usagef("%v; run '%s %s --help'", err, p.Name, c.Name)
	}
	globals.Visit(func(f *flag.Flag) { x.Set[f.Name] = true })
	fs.Visit(func(f *flag.Flag) { x.Set[f.Name] = true })
	for _, name := range fs.env {
		if v := e.Getenv(fs.EnvName(name)); v != "" && !x.Set[name] {
			if err := fs.Set(name, v); err != nil {
				return nil, x.Usagef("invalid %s %q: %v", fs.EnvName(name), v, err)
			}
			x.Set[name] = true
		}
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
