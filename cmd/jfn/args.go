package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jfnhq/jfn/internal/store"
)

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

// globals are the flags every command accepts, before or after the subcommand.
type globals struct {
	db    string
	dbSet bool
	json  bool
}

// liftGlobals removes --db and --json (in any of the forms the flag package accepts) from
// args, wherever they are, and returns them with the remaining arguments in order. It stops
// at "--", after which everything is positional.
func liftGlobals(args []string) (globals, []string, error) {
	var g globals
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := splitFlag(a)
		switch name {
		case "db":
			if !hasValue {
				if i+1 >= len(args) {
					return g, nil, usagef("flag needs an argument: --db")
				}
				i++
				value = args[i]
			}
			if value == "" {
				return g, nil, usagef("--db needs a file path or a postgres:// URL")
			}
			g.db, g.dbSet = value, true
		case "json":
			v := true
			if hasValue {
				b, err := strconv.ParseBool(value)
				if err != nil {
					return g, nil, usagef("invalid value %q for --json: want true or false", value)
				}
				v = b
			}
			g.json = v
		default:
			rest = append(rest, a)
		}
	}
	return g, rest, nil
}

// splitFlag returns the name and inline value of a "-name", "--name" or "--name=value"
// argument; name is "" for anything that is not a flag.
func splitFlag(a string) (name, value string, hasValue bool) {
	if len(a) < 2 || a[0] != '-' {
		return "", "", false
	}
	a = a[1:]
	if a[0] == '-' {
		a = a[1:]
	}
	if a == "" || a[0] == '-' || a[0] == '=' {
		return "", "", false
	}
	name, value, hasValue = strings.Cut(a, "=")
	return name, value, hasValue
}

// newFlagSet returns a FlagSet for a command that reports errors instead of printing them.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// addYes adds -y and --yes, one flag under two names, which answers a command's question.
func addYes(fs *flag.FlagSet) *bool {
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	fs.BoolVar(yes, "y", false, "") // without usage: help lists it with --yes
	return yes
}

// needYes refuses --json without -y in fs's command, whose question a JSON caller cannot
// answer.
func needYes(e *env, fs *flag.FlagSet, yes bool) error {
	if e.json && !yes {
		return usagef("jfn %s: --json cannot ask for confirmation; add -y", fs.Name())
	}
	return nil
}

// parseArgs parses args with fs, allowing flags to come after positional arguments, and
// returns the positional arguments. -h and --help become a helpError carrying usage and the
// help of fs's flags.
func parseArgs(fs *flag.FlagSet, args []string, usage string) ([]string, error) {
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

// visited returns the names of the flags set on the command line.
func visited(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// ifSet returns v when the flag called name was set on the command line, else nil.
func ifSet[T any](set map[string]bool, name string, v *T) *T {
	if set[name] {
		return v
	}
	return nil
}

// wantArgs checks that exactly the named positional arguments were given.
func wantArgs(cmd string, pos []string, names ...string) error {
	if len(pos) < len(names) {
		return usagef("jfn %s: missing %s; run 'jfn %s --help'", cmd, names[len(pos)], cmd)
	}
	if len(pos) > len(names) {
		return usagef("jfn %s: unexpected argument %q; run 'jfn %s --help'", cmd, pos[len(names)], cmd)
	}
	return nil
}

// parseName parses the flags of fs's command, whose one positional argument is a function
// NAME, and checks that name.
func parseName(fs *flag.FlagSet, args []string, usage string) (string, error) {
	pos, err := parseArgs(fs, args, usage)
	if err != nil {
		return "", err
	}
	if err := wantArgs(fs.Name(), pos, "NAME"); err != nil {
		return "", err
	}
	if err := checkName(fs.Name(), pos[0]); err != nil {
		return "", err
	}
	return pos[0], nil
}

// nameAndStore parses the flags of fs's command, whose one positional argument is a function
// NAME, and opens the store; the caller closes it.
func nameAndStore(ctx context.Context, e *env, fs *flag.FlagSet, args []string, usage string) (string, store.Store, error) {
	name, err := parseName(fs, args, usage)
	if err != nil {
		return "", nil, err
	}
	st, err := openStore(ctx, e)
	return name, st, err
}
