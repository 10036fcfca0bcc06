package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresHowTo says how to run the PostgreSQL tests on a developer's machine.
const PostgresHowTo = "run `.ci/postgres.sh start` and export the JFN_TEST_POSTGRES=… line it prints"

// PostgresDatabase creates an empty database on the PostgreSQL server that
// JFN_TEST_POSTGRES names (an admin postgres:// URL) and returns its URL; the database is
// dropped when the test ends. Without JFN_TEST_POSTGRES the test is skipped with
// PostgresHowTo, unless JFN_REQUIRE_POSTGRES=1 (as in CI), where it fails.
//
// Other packages' tests (the CLI's cluster tests) use it to run servers on PostgreSQL
// without importing a database driver themselves.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("JFN_TEST_POSTGRES")
	if admin == "" {
		if os.Getenv("JFN_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("JFN_TEST_POSTGRES is unset and JFN_REQUIRE_POSTGRES=1: PostgreSQL is required here; %s", PostgresHowTo)
		}
		t.Skipf("PostgreSQL tests skipped: JFN_TEST_POSTGRES is unset; %s", PostgresHowTo)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("JFN_TEST_POSTGRES must be a postgres:// URL")
	}
	var b [6]byte
	rand.Read(b[:])
	name := "jfn_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to PostgreSQL at JFN_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
