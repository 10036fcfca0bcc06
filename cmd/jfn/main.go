// Command jfn runs the jfn gateway and manages its functions and runtime tokens.
//
// main is thin: it turns signals into a context and hands the process's arguments, streams
// and environment to run, which tests call in-process with their own. Each command is a row
// of commands; internal/cmdline parses its command line and prints its help.
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
	"syscall"

	"github.com/jfnhq/jfn/internal/cmdline"
	"github.com/jfnhq/jfn/internal/service"
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

// commands are every command of jfn, in the order help lists them.
var commands = []command{
	serveCmd, deployCmd,
	tokensListCmd, tokensCreateCmd, tokensRevokeCmd,
	functionsListCmd, functionsInfoCmd, functionsRefreshCmd, functionsRotateSecretCmd, functionsDeleteCmd,
	cronListCmd, cronLogsCmd,
	demoCmd, toolsCmd,
}

type (
	command = cmdline.Command[*invocation]
	action  = cmdline.Action[*invocation]
	flagSet = cmdline.FlagSet
)

// invocation is one run of a jfn command: its command line, the global flags, and the store
// it opened.
type invocation struct {
	*cmdline.Invocation
	db   string      // --db
	json bool        // --json
	st   store.Store // opened by store, closed when the command returns
}

// defaultDB is the store used when neither --db nor JFN_DB names one.
const defaultDB = "./jfn.db"

// run executes the command line args and returns the process exit code: 0 on success,
// 1 on failure and 2 on a usage error. Errors are one line on stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &cmdline.Env{Stdin: bufio.NewReader(stdin), Stdout: stdout, Stderr: stderr, Getenv: getenv}
	return cmdline.Report(e, program(commands).Run(ctx, e, args))
}

// program is jfn with cmds: the global flags, and what every command checks before it runs
// and does after.
func program(cmds []command) *cmdline.Program[*invocation] {
	x := &invocation{}
	return &cmdline.Program[*invocation]{
		Name: "jfn", About: "jfn — a gateway for HTTP functions, with runtime tokens and an OpenAPI → MCP bridge.",
		Commands: cmds,
		Globals: func(fs *flagSet) {
			fs.StringVar(&x.db, "db", defaultDB, "the store: a SQLite file `PATH` or a postgres:// URL")
			fs.BoolVar(&x.json, "json", false, "print one JSON object instead of text")
			fs.FromEnv("db")
		},
		Start: func(inv *cmdline.Invocation) (*invocation, error) {
			x.Invocation = inv
			switch {
			case x.db == "" || x.db == "-":
				return nil, x.Usagef("--db needs a file path or a postgres:// URL")
			case x.Asks && x.json && !x.Yes:
				return nil, x.Usagef("--json cannot ask for confirmation; add -y")
			}
			if name, ok := x.function(); ok {
				if err := service.CheckName(name); err != nil {
					return nil, x.Usagef("invalid function name %q: %v", name, err)
				}
			}
			return x, nil
		},
		Finish: func(x *invocation, err error) error {
			if x.st != nil {
				x.st.Close()
			}
			if name, ok := x.function(); ok && errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("function %s not found; deploy it with 'jfn deploy %s --url URL' or see 'jfn functions list'", name, name)
			}
			return err
		},
	}
}

// function returns the function NAME the command line gives, and false for a command that
// takes none (a first positional argument called NAME is one).
func (x *invocation) function() (string, bool) {
	if len(x.Names) > 0 && x.Names[0] == "NAME" && len(x.Args) > 0 {
		return x.Args[0], true
	}
	return "", false
}

// store opens the store the global --db flag names; the command's return closes it.
func (x *invocation) store(ctx context.Context) (store.Store, error) {
	if x.st != nil {
		return x.st, nil
	}
	st, err := store.Open(ctx, x.db)
	if err != nil {
		return nil, fmt.Errorf("cannot open the store %s: %w; check --db or JFN_DB", store.RedactDSN(x.db), err)
	}
	x.st = st
	return st, nil
}
