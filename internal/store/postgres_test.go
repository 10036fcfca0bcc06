package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/internal/store/storetest"
)

// The PostgreSQL tests run against the server that JFN_TEST_POSTGRES names (an admin URL:
// the tests create and drop a database per test). Without it they skip, unless
// JFN_REQUIRE_POSTGRES=1 (as in CI), where a missing server is a failure.
const pgHowTo = "run `.ci/postgres.sh start` and export the JFN_TEST_POSTGRES=… line it prints"

// TestPostgres runs the behavioural suite, each test on a fresh database. The sessions use
// a time zone far from UTC, so times that came back in the session's zone would show.
func TestPostgres(t *testing.T) {
	pgAdmin(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPostgres(t, withParam(pgDatabase(t), "timezone", "Pacific/Chatham"))
	})
}

// TestPostgresTwoHandles is two replicas on one database: a change made through one reaches
// the other's Watch within a second and shows in its Snapshot.
func TestPostgresTwoHandles(t *testing.T) {
	dsn := pgDatabase(t)
	a, b := openPostgres(t, dsn), openPostgres(t, dsn)
	ctx := t.Context()
	ch := b.Watch(ctx)

	if _, err := a.PutFunction(ctx, store.Function{Name: "probe", Upstream: "http://127.0.0.1:9001", MCP: true}); err != nil {
		t.Fatalf("a.PutFunction error = %v", err)
	}
	waitFor(t, ch, "b.Watch after a.PutFunction")

	tok := store.Token{ID: "tok_1", Function: "probe", Name: "default", Hash: [32]byte{1}, Prefix: "jfn_rt_abcd.."}
	start := time.Now()
	if err := a.CreateToken(ctx, tok); err != nil {
		t.Fatalf("a.CreateToken error = %v", err)
	}
	waitFor(t, ch, "b.Watch after a.CreateToken")
	t.Logf("a.CreateToken reached b.Watch in %v", time.Since(start))
	snap, err := b.Snapshot(ctx)
	if err != nil {
		t.Fatalf("b.Snapshot() error = %v", err)
	}
	if len(snap.Tokens) != 1 || snap.Tokens[0].ID != tok.ID || snap.Tokens[0].Hash != tok.Hash {
		t.Fatalf("b.Snapshot().Tokens = %+v, want just %q", snap.Tokens, tok.ID)
	}

	start = time.Now()
	if _, err := a.RevokeToken(ctx, "probe", tok.ID); err != nil {
		t.Fatalf("a.RevokeToken error = %v", err)
	}
	waitFor(t, ch, "b.Watch after a.RevokeToken")
	t.Logf("a.RevokeToken reached b.Watch in %v", time.Since(start))
	snap, err = b.Snapshot(ctx)
	if err != nil {
		t.Fatalf("b.Snapshot() error = %v", err)
	}
	if len(snap.Tokens) != 0 {
		t.Errorf("b.Snapshot().Tokens after revoke = %+v, want none", snap.Tokens)
	}
}

// TestPostgresConcurrentOpen is three replicas starting together on a fresh database: every
// open succeeds and each migration is applied once.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := pgDatabase(t)
	const n = 3
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		stores = make([]*store.Postgres, n)
		errs   = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = store.OpenPostgres(t.Context(), dsn)
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("concurrent OpenPostgres #%d error = %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { stores[i].Close() })
		if err := stores[i].Ping(t.Context()); err != nil {
			t.Errorf("Ping() on concurrent open #%d error = %v", i, err)
		}
	}
	var rows, distinct, max int
	if err := rawPostgres(t, dsn).QueryRow(t.Context(),
		`SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations`).Scan(&rows, &distinct, &max); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if rows != distinct || rows != max {
		t.Errorf("schema_migrations has %d rows for %d versions up to %d, want each migration applied once", rows, distinct, max)
	}
}

func TestPostgresReopenIsIdempotent(t *testing.T) {
	dsn := pgDatabase(t)
	for i := range 3 {
		s, err := store.OpenPostgres(t.Context(), dsn)
		if err != nil {
			t.Fatalf("OpenPostgres #%d error = %v", i+1, err)
		}
		created, err := s.PutFunction(t.Context(), store.Function{Name: "probe", Upstream: "http://127.0.0.1:9001"})
		if err != nil {
			t.Fatalf("PutFunction after open #%d error = %v", i+1, err)
		}
		if want := i == 0; created != want {
			t.Errorf("PutFunction after open #%d: created = %v, want %v (data must survive reopening)", i+1, created, want)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close() #%d error = %v", i+1, err)
		}
	}
}

// TestPostgresWatchReconnects kills the feed's listening connection from the server side:
// the feed reconnects and signals (a change may have gone unheard), a change committed
// while it was down is reported, and later changes arrive as before.
func TestPostgresWatchReconnects(t *testing.T) {
	dsn := pgDatabase(t)
	s := openPostgres(t, dsn)
	ctx := t.Context()
	putFunctionPG(t, s, "probe")
	ch := s.Watch(ctx)
	admin := rawPostgres(t, pgAdmin(t))
	db := databaseOf(t, dsn)

	for round := range 2 {
		drain(ch)
		old := listenerPID(t, admin, db)
		var killed bool
		if err := admin.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, old).Scan(&killed); err != nil || !killed {
			t.Fatalf("round %d: pg_terminate_backend(%d) = %v, %v; want true", round, old, killed, err)
		}
		if round == 0 {
			// Commit at once, most likely before the feed listens again.
			if err := s.CreateToken(ctx, newTokenPG("probe", "during")); err != nil {
				t.Fatalf("CreateToken right after the kill error = %v", err)
			}
		}
		waitWithin(t, ch, 3*time.Second, fmt.Sprintf("round %d: Watch after its connection was terminated", round))

		// The feed listens again: a change made now arrives within the usual deadline.
		waitListening(t, admin, db, old)
		drain(ch)
		if err := s.CreateToken(ctx, newTokenPG("probe", fmt.Sprintf("after-%d", round))); err != nil {
			t.Fatalf("CreateToken after reconnect error = %v", err)
		}
		waitFor(t, ch, fmt.Sprintf("round %d: Watch after CreateToken following the reconnect", round))
	}
}

// TestPostgresTruncateSignals empties tokens by hand, as an operator might in an emergency:
// row triggers do not see TRUNCATE, its statement trigger does.
func TestPostgresTruncateSignals(t *testing.T) {
	dsn := pgDatabase(t)
	s := openPostgres(t, dsn)
	putFunctionPG(t, s, "probe")
	createTokenPG(t, s, newTokenPG("probe", "default"))
	ch := s.Watch(t.Context())
	drain(ch)
	if _, err := rawPostgres(t, dsn).Exec(t.Context(), `TRUNCATE tokens`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ch, "Watch after TRUNCATE tokens")
}

// TestPostgresSchemasAreIsolated puts two deployments in one database, each in its own
// schema: each sees only its own tables, and one's changes do not wake the other's Watch.
func TestPostgresSchemasAreIsolated(t *testing.T) {
	dsn := pgDatabase(t)
	raw := rawPostgres(t, dsn)
	if _, err := raw.Exec(t.Context(), `CREATE SCHEMA blue; CREATE SCHEMA green`); err != nil {
		t.Fatal(err)
	}
	blue := openPostgres(t, withParam(dsn, "search_path", "blue"))
	green := openPostgres(t, withParam(dsn, "search_path", "green"))
	ctx := t.Context()
	greenCh := green.Watch(ctx)
	blueCh := blue.Watch(ctx)

	putFunctionPG(t, blue, "probe")
	waitFor(t, blueCh, "blue.Watch after blue.PutFunction")
	quiet := time.NewTimer(storetest.ChangeDeadline + storetest.ChangeDeadline/4)
	defer quiet.Stop()
	select {
	case <-greenCh:
		t.Errorf("green.Watch signalled after a change in schema blue, want no signal")
	case <-quiet.C:
	}
	fs, err := green.ListFunctions(ctx)
	if err != nil {
		t.Fatalf("green.ListFunctions() error = %v", err)
	}
	if len(fs) != 0 {
		t.Errorf("green.ListFunctions() = %d functions, want 0 (blue's are in another schema)", len(fs))
	}
}

func TestPostgresNewerSchemaRefused(t *testing.T) {
	dsn := pgDatabase(t)
	if err := openPostgres(t, dsn).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawPostgres(t, dsn).Exec(t.Context(),
		`INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')`); err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenPostgres(t.Context(), dsn)
	if err == nil {
		s.Close()
		t.Fatalf("OpenPostgres of a database from a newer build error = nil, want an error")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("OpenPostgres of a database from a newer build error = %v, want it to say the schema is newer", err)
	}
}

func TestPostgresCloseEndsWatch(t *testing.T) {
	s, err := store.OpenPostgres(t.Context(), pgDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	ch := s.Watch(context.Background())
	if err := s.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close() twice error = %v, want nil", err)
	}
	timer := time.NewTimer(storetest.ChangeDeadline)
	defer timer.Stop()
	select {
	case _, ok := <-ch:
		if ok {
			t.Errorf("Watch channel sent a value on Close, want it closed")
		}
	case <-timer.C:
		t.Errorf("Watch channel still open %v after Close", storetest.ChangeDeadline)
	}
	if _, ok := <-s.Watch(context.Background()); ok {
		t.Errorf("Watch after Close sent a value, want a closed channel")
	}
}

// TestPostgresUnreachable needs no server: nothing listens on port 1.
func TestPostgresUnreachable(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u@127.0.0.1:1/jfn?sslmode=disable",
		"POSTGRESQL://u:secret-pw@127.0.0.1:1/jfn?connect_timeout=2",
	} {
		start := time.Now()
		s, err := store.Open(t.Context(), dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) error = nil, want ErrUnreachable", dsn)
			continue
		}
		if s != nil {
			t.Errorf("Open(%q) on error = %#v, want a nil Store", dsn, s)
		}
		if !errors.Is(err, store.ErrUnreachable) {
			t.Errorf("Open(%q) error = %v, want ErrUnreachable", dsn, err)
		}
		if strings.Contains(err.Error(), "secret-pw") {
			t.Errorf("Open(%q) error = %v, want no password in it", dsn, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Open(%q) took %v to fail, want a few seconds at most", dsn, d)
		}
	}
	bad := "postgres://u:secret-pw@127.0.0.1:1/jfn?sslmode=bogus"
	_, err := store.OpenPostgres(t.Context(), bad)
	if err == nil || errors.Is(err, store.ErrUnreachable) {
		t.Errorf("OpenPostgres with an invalid sslmode error = %v, want a configuration error", err)
	} else if strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("OpenPostgres with an invalid sslmode error = %v, want no password in it", err)
	}
}

// TestOpenPostgres checks that Open hands postgres:// URLs, in any case, to OpenPostgres.
func TestOpenPostgres(t *testing.T) {
	dsn := pgDatabase(t)
	for _, scheme := range []string{"postgres://", "postgresql://", "PostgreSQL://"} {
		u := scheme + strings.TrimPrefix(dsn, "postgres://")
		s, err := store.Open(t.Context(), u)
		if err != nil {
			t.Fatalf("Open(%q) error = %v", u, err)
		}
		if _, ok := s.(*store.Postgres); !ok {
			t.Errorf("Open(%q) = %T, want *store.Postgres", u, s)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Open(%q).Ping() error = %v", u, err)
		}
		s.Close()
	}
}

// --- helpers ---

// pgAdmin returns the admin URL from JFN_TEST_POSTGRES, or skips (fails when
// JFN_REQUIRE_POSTGRES=1).
func pgAdmin(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("JFN_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("JFN_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("JFN_TEST_POSTGRES is unset and JFN_REQUIRE_POSTGRES=1: PostgreSQL is required here; %s", pgHowTo)
		}
		t.Skipf("PostgreSQL tests skipped: JFN_TEST_POSTGRES is unset; %s", pgHowTo)
	}
	if u, err := url.Parse(dsn); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("JFN_TEST_POSTGRES must be a postgres:// URL")
	}
	return dsn
}

// pgDatabase creates an empty database for this test and returns its URL; the database is
// dropped when the test ends.
func pgDatabase(t *testing.T) string {
	t.Helper()
	admin := pgAdmin(t)
	var b [6]byte
	rand.Read(b[:])
	name := "jfn_test_" + hex.EncodeToString(b[:])
	conn := rawPostgres(t, admin)
	if _, err := conn.Exec(t.Context(), `CREATE DATABASE `+name); err != nil {
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
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

func openPostgres(t *testing.T, dsn string) *store.Postgres {
	t.Helper()
	s, err := store.OpenPostgres(t.Context(), dsn)
	if err != nil {
		t.Fatalf("OpenPostgres error = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawPostgres connects directly, bypassing the store, to set up or inspect a database.
func rawPostgres(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func withParam(dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func databaseOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// listenerPID returns the backend pid of the one feed connection on db.
func listenerPID(t *testing.T, admin *pgx.Conn, db string) int {
	t.Helper()
	var pids []int
	rows, err := admin.Query(t.Context(), `SELECT pid FROM pg_stat_activity
WHERE datname = $1 AND application_name = 'jfn-watch'`, db)
	if err == nil {
		pids, err = pgx.CollectRows(rows, pgx.RowTo[int])
	}
	if err != nil {
		t.Fatalf("find the feed's connection: %v", err)
	}
	if len(pids) != 1 {
		t.Fatalf("feed connections (application_name jfn-watch) on %s = %v, want exactly one", db, pids)
	}
	return pids[0]
}

// waitListening waits until the feed on db listens on a connection other than old.
func waitListening(t *testing.T, admin *pgx.Conn, db string, old int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
WHERE datname = $1 AND application_name = 'jfn-watch' AND pid <> $2`, db, old).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed's connection is not back after 5 s (%d new ones found)", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitWithin(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
	case <-timer.C:
		t.Fatalf("%s: no signal within %v", what, d)
	}
}

func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

func putFunctionPG(t *testing.T, s store.Store, name string) {
	t.Helper()
	if _, err := s.PutFunction(t.Context(), store.Function{Name: name, Upstream: "http://127.0.0.1:9001", MCP: true}); err != nil {
		t.Fatalf("PutFunction(%q) error = %v", name, err)
	}
}

func newTokenPG(function, name string) store.Token {
	var id [8]byte
	rand.Read(id[:])
	var tok store.Token
	tok.ID = "tok_" + hex.EncodeToString(id[:])
	tok.Function = function
	tok.Name = name
	rand.Read(tok.Hash[:])
	tok.Prefix = "jfn_rt_" + hex.EncodeToString(id[:2]) + ".."
	return tok
}

func createTokenPG(t *testing.T, s store.Store, tok store.Token) store.Token {
	t.Helper()
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateToken(%q) error = %v", tok.ID, err)
	}
	return tok
}

func tokenIDsPG(ts []store.Token) []string {
	ids := make([]string, len(ts))
	for i, tok := range ts {
		ids[i] = tok.ID
	}
	return ids
}
