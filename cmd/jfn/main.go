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
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/jfnhq/jfn/internal/store"
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

// command is one runnable (sub)command: its name, its usage (the synopsis and what it does;
// its flags' help comes from its flags) and its implementation.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, e *env, args []string) error
}

// commands are "serve", "tokens list" and so on, in the order help lists them; a name of two
// words is a subcommand of the group its first word names. 'jfn help X' runs X with --help,
// so a command parses its flags before it does anything else.
var commands = []command{
	{"serve", serveUsage, cmdServe},
	{"deploy", deployUsage, cmdDeploy},
	{"tokens list", tokensListUsage, cmdTokensList},
	{"tokens create", tokensCreateUsage, cmdTokensCreate},
	{"tokens revoke", tokensRevokeUsage, cmdTokensRevoke},
	{"functions list", functionsListUsage, cmdFunctionsList},
	{"functions info", functionsInfoUsage, cmdFunctionsInfo},
	{"functions refresh", functionsRefreshUsage, cmdFunctionsRefresh},
	{"functions rotate-secret", functionsRotateSecretUsage, cmdFunctionsRotateSecret},
	{"functions delete", functionsDeleteUsage, cmdFunctionsDelete},
	{"cron list", cronListUsage, cmdCronList},
	{"cron logs", cronLogsUsage, cmdCronLogs},
	{"demo", demoUsage, cmdDemo},
	{"tools", toolsUsage, cmdTools},
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
	e := &env{stdin: bufio.NewReader(stdin), stdout: stdout, stderr: stderr, getenv: getenv}
	g, rest, err := liftGlobals(args)
	if err != nil {
		return report(e, err)
	}
	e.json = g.json
	e.db = g.db
	if !g.dbSet {
		e.db = getenv("JFN_DB")
	}
	if e.db == "" {
		e.db = defaultDB
	}
	c, cmdArgs, err := resolve(ctx, e, rest)
	if err != nil {
		return report(e, err)
	}
	return report(e, c.run(ctx, e, cmdArgs))
}

// resolve finds the command that args name and returns it with its arguments. 'jfn help
// COMMAND' is 'jfn COMMAND --help'; the help of a group is that of each of its subcommands.
func resolve(ctx context.Context, e *env, args []string) (command, []string, error) {
	if len(args) == 0 {
		return command{}, nil, usagef("missing command; run 'jfn help' for the list")
	}
	first := args[0]
	switch first {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, _, err := resolve(ctx, e, args[1:]); err == nil {
				return c, []string{"--help"}, nil
			}
			if len(subcommands(args[1])) > 0 {
				return command{}, nil, &helpError{text: groupHelp(ctx, e, args[1])}
			}
		}
		return command{}, nil, &helpError{text: mainUsage()}
	}
	if subs := subcommands(first); len(subs) > 0 {
		if len(args) < 2 || strings.HasPrefix(args[1], "-") {
			if len(args) >= 2 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help") {
				return command{}, nil, &helpError{text: groupHelp(ctx, e, first)}
			}
			return command{}, nil, usagef("jfn %s: missing subcommand (%s)", first, strings.Join(subs, ", "))
		}
		c, ok := lookup(first + " " + args[1])
		if !ok {
			return command{}, nil, usagef("jfn %s: unknown subcommand %q (want %s)", first, args[1], strings.Join(subs, ", "))
		}
		return c, args[2:], nil
	}
	c, ok := lookup(first)
	if !ok {
		return command{}, nil, usagef("unknown command %q; run 'jfn help' for the list", first)
	}
	return c, args[1:], nil
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

// openStore opens the store the global --db flag names.
func openStore(ctx context.Context, e *env) (store.Store, error) {
	st, err := store.Open(ctx, e.db)
	if err != nil {
		return nil, fmt.Errorf("cannot open the store %s: %w; check --db or JFN_DB", store.RedactDSN(e.db), err)
	}
	return st, nil
}
