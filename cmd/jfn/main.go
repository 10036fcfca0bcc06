// Command jfn runs the jfn gateway and manages its functions and runtime tokens.
//
// main is thin: it turns signals into a context and hands the process's arguments, streams
// and environment to run, which tests call in-process with their own.
//
//	jfn demo                                  # everything in one process, on a temporary store
//	jfn serve --listen 127.0.0.1:8080         # the gateway
//	jfn deploy balance --url http://127.0.0.1:9001
//	jfn tokens create balance --name ci --expires 90d
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts a graceful shutdown, a second one kills the process.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// defaultDB is the store used when neither --db nor JFN_DB names one.
const defaultDB = "./jfn.db"

// env is what a command sees of the process: streams, environment and global flags.
type env struct {
	stdin  *bufio.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	db     string
	json   bool
}

// commands are every command of jfn, in the order help lists them. 'jfn help X' runs X
// with --help, so a command parses its flags before it does anything else.
var commands = []command{
	serveCmd, deployCmd,
	tokensListCmd, tokensCreateCmd, tokensRevokeCmd,
	functionsListCmd, functionsInfoCmd, functionsRefreshCmd, functionsRotateSecretCmd, functionsDeleteCmd,
	cronListCmd, cronLogsCmd,
	demoCmd, toolsCmd,
}

// lookup returns the command called name.
func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// subcommands returns the subcommands of group in order ("list", "create", "revoke" for
// "tokens"), or none when group is not one.
func subcommands(group string) []string {
	var subs []string
	for _, c := range commands {
		if g, sub, ok := strings.Cut(c.name, " "); ok && g == group {
			subs = append(subs, sub)
		}
	}
	return subs
}

// run executes the command line args and returns the process exit code: 0 on success,
// 1 on failure and 2 on a usage error. Errors are one line on stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: bufio.NewReader(stdin), stdout: stdout, stderr: stderr, getenv: getenv, db: getenv("JFN_DB")}
	if e.db == "" {
		e.db = defaultDB
	}
	c, cmdArgs, err := resolve(e, args)
	if err != nil {
		return report(e, err)
	}
	return report(e, c.exec(ctx, e, cmdArgs))
}

// resolve finds the command that args name and returns it with its arguments, after taking
// the global flags that come before its name. 'jfn help COMMAND' is 'jfn COMMAND --help'; the
// help of a group is that of each of its subcommands.
func resolve(e *env, args []string) (command, []string, error) {
	first, rest, err := leadingGlobals(e, args)
	if errors.Is(err, flag.ErrHelp) || first == "help" {
		if len(rest) > 0 {
			if c, _, err := resolve(e, rest); err == nil {
				return c, []string{"--help"}, nil
			}
			if len(subcommands(rest[0])) > 0 {
				return command{}, nil, &helpError{text: groupHelp(rest[0])}
			}
		}
		return command{}, nil, &helpError{text: mainUsage()}
	}
	if err != nil {
		return command{}, nil, err
	}
	if first == "" {
		return command{}, nil, usagef("missing command; run 'jfn help' for the list")
	}
	subs := subcommands(first)
	if len(subs) == 0 {
		c, ok := lookup(first)
		if !ok {
			return command{}, nil, usagef("unknown command %q; run 'jfn help' for the list", first)
		}
		return c, rest, nil
	}
	sub, rest, err := leadingGlobals(e, rest)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return command{}, nil, &helpError{text: groupHelp(first)}
	case err != nil:
		return command{}, nil, err
	case sub == "":
		return command{}, nil, usagef("jfn %s: missing subcommand (%s)", first, strings.Join(subs, ", "))
	}
	c, ok := lookup(first + " " + sub)
	if !ok {
		return command{}, nil, usagef("jfn %s: unknown subcommand %q (want %s)", first, sub, strings.Join(subs, ", "))
	}
	return c, rest, nil
}

// leadingGlobals parses the global flags at the start of args, and returns the word after
// them ("" when there is none) and what follows it.
func leadingGlobals(e *env, args []string) (string, []string, error) {
	fs := newFlagSet("jfn")
	globalFlags(fs.FlagSet, e)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", fs.Args(), err
		}
		return "", nil, usagef("%v; run 'jfn help'", err)
	}
	if fs.NArg() == 0 {
		return "", nil, nil
	}
	return fs.Arg(0), fs.Args()[1:], nil
}

// report prints err as one line on stderr (or help text on stdout) and returns the exit code.
func report(e *env, err error) int {
	if err == nil {
		return 0
	}
	var help *helpError
	if errors.As(err, &help) {
		fmt.Fprint(e.stdout, help.text)
		return 0
	}
	if errors.Is(err, errAborted) {
		fmt.Fprintln(e.stderr, "Aborted: nothing was changed (pass -y to skip the question).")
		return 1
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
	fmt.Fprintf(e.stderr, "Error: %s\n", msg)
	var usage *usageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}
