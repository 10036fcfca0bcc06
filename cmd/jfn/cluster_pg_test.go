package main

// A private PostgreSQL instance that one test may stop and start at will, apart from the
// shared one (JFN_TEST_POSTGRES) that the store suite and the other cluster tests use in
// parallel.

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store/storetest"
)

// privatePG is a throwaway PostgreSQL server run through .ci/postgres.sh on a free loopback
// port with its own data folder.
type privatePG struct {
	t    *testing.T
	port int
	dir  string // data folder
	DSN  string
}

// startPrivatePostgres initdbs and starts a private PostgreSQL, and stops and removes it when
// the test ends. Without PostgreSQL's binaries the test is skipped with a how-to, unless
// JFN_REQUIRE_POSTGRES=1 (as in CI), where .ci/postgres.sh installs them or the test fails.
func startPrivatePostgres(t *testing.T) *privatePG {
	t.Helper()
	if bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl"); len(bins) == 0 && os.Getenv("JFN_REQUIRE_POSTGRES") != "1" {
		t.Skipf("PostgreSQL outage test skipped: no /usr/lib/postgresql/*/bin/pg_ctl; %s (it installs PostgreSQL from Debian's packages)", storetest.PostgresHowTo)
	}
	// Not t.TempDir: the server runs as the postgres user when we are root, and must be able
	// to reach its data folder through a parent that it may enter.
	parent, err := os.MkdirTemp("", "jfn-pg-outage-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &privatePG{t: t, port: freePort(t), dir: filepath.Join(parent, "data")}
	p.DSN = "postgres://postgres@127.0.0.1:" + strconv.Itoa(p.port) + "/postgres?sslmode=disable"
	t.Cleanup(func() {
		defer os.RemoveAll(parent)
		p.script("stop")
	})
	p.Start()
	return p
}

// Start starts the server (after initdb on the first call) and waits until it is ready.
func (p *privatePG) Start() { p.t.Helper(); p.script("start") }

// Stop stops the server with pg_ctl -m fast: clients are disconnected at once.
func (p *privatePG) Stop() { p.t.Helper(); p.script("stop") }

func (p *privatePG) script(cmd string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "../../.ci/postgres.sh", cmd)
	c.Env = append(os.Environ(), "JFN_PG_PORT="+strconv.Itoa(p.port), "JFN_PG_DIR="+p.dir)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		p.t.Fatalf(".ci/postgres.sh %s (port %d, %s): %v\n%s", cmd, p.port, p.dir, err, out.String())
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
