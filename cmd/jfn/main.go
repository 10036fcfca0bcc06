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

const usage = `jfn — a gateway for HTTP functions, with runtime tokens and an OpenAPI → MCP bridge.

Usage:
  jfn serve [--listen 127.0.0.1:8080] [--domain D] [--admin-listen 127.0.0.1:9090] [--public-url U]
  jfn deploy NAME --url URL [--openapi URL] [--public] [--timeout 30s] [--no-mcp]
  jfn tokens list NAME
  jfn tokens create NAME --name N [--expires 90d]
  jfn tokens revoke NAME TOKEN_ID [-y]
  jfn functions list
  jfn functions info NAME [--show-secret]
  jfn functions refresh NAME
  jfn functions rotate-secret NAME [--grace 24h] [-y]
  jfn functions delete NAME [-y]
  jfn cron list NAME
  jfn cron logs NAME [--state ERROR] [--limit 20]
  jfn demo [--listen 127.0.0.1:8080]
  jfn tools FILE|URL                        (preview the MCP tools of an OpenAPI document)
  jfn help [COMMAND]

Global flags (before or after the command):
  --db PATH    the store: a SQLite file path or a postgres:// URL (env JFN_DB, default ./jfn.db)
  --json       print one JSON object instead of text

Run 'jfn COMMAND --help' for a command's flags.
`

// env is what a command sees of the process: streams, environment and global flags.
type env struct {
	stdin  *bufio.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	db     string
	json   bool
}

// command is one runnable (sub)command.
type command struct {
	usage string
	run   func(ctx context.Context, e *env, args []string) error
}

// commands maps "serve", "tokens list" and so on to their implementations.
var commands = map[string]command{
	"serve":                   {serveUsage, cmdServe},
	"deploy":                  {deployUsage, cmdDeploy},
	"tokens list":             {tokensListUsage, cmdTokensList},
	"tokens create":           {tokensCreateUsage, cmdTokensCreate},
	"tokens revoke":           {tokensRevokeUsage, cmdTokensRevoke},
	"functions list":          {functionsListUsage, cmdFunctionsList},
	"functions info":          {functionsInfoUsage, cmdFunctionsInfo},
	"functions delete":        {functionsDeleteUsage, cmdFunctionsDelete},
	"functions refresh":       {functionsRefreshUsage, cmdFunctionsRefresh},
	"functions rotate-secret": {functionsRotateSecretUsage, cmdFunctionsRotateSecret},
	"cron list":               {cronListUsage, cmdCronList},
	"cron logs":               {cronLogsUsage, cmdCronLogs},
	"demo":                    {demoUsage, cmdDemo},
	"tools":                   {toolsUsage, cmdTools},
}

// groups are the commands that take a subcommand.
var groups = map[string][]string{
	"tokens":    {"list", "create", "revoke"},
	"functions": {"list", "info", "refresh", "rotate-secret", "delete"},
	"cron":      {"list", "logs"},
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
	name, cmdArgs, err := resolve(rest)
	if err != nil {
		return report(e, err)
	}
	return report(e, commands[name].run(ctx, e, cmdArgs))
}

// resolve finds the command that args name and returns its key in commands and its arguments.
func resolve(args []string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usagef("missing command; run 'jfn help' for the list")
	}
	first := args[0]
	switch first {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if name, _, err := resolve(args[1:]); err == nil {
				return "", nil, &helpError{text: commands[name].usage}
			}
			if subs, ok := groups[args[1]]; ok {
				return "", nil, &helpError{text: groupUsage(args[1], subs)}
			}
		}
		return "", nil, &helpError{text: usage}
	}
	if subs, ok := groups[first]; ok {
		if len(args) < 2 || strings.HasPrefix(args[1], "-") {
			if len(args) >= 2 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help") {
				return "", nil, &helpError{text: groupUsage(first, subs)}
			}
			return "", nil, usagef("jfn %s: missing subcommand (%s)", first, strings.Join(subs, ", "))
		}
		name := first + " " + args[1]
		if _, ok := commands[name]; !ok {
			return "", nil, usagef("jfn %s: unknown subcommand %q (want %s)", first, args[1], strings.Join(subs, ", "))
		}
		return name, args[2:], nil
	}
	if _, ok := commands[first]; !ok {
		return "", nil, usagef("unknown command %q; run 'jfn help' for the list", first)
	}
	return first, args[1:], nil
}

func groupUsage(group string, subs []string) string {
	var b strings.Builder
	for _, s := range subs {
		b.WriteString(commands[group+" "+s].usage)
		b.WriteString("\n")
	}
	return b.String()
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
