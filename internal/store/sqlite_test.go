package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "jfn.db"))
	})
}

// TestSQLiteTwoHandles is the CLI and a server sharing one file: a change made through one
// handle reaches the other's Watch within a second and shows in its Snapshot.
func TestSQLiteTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jfn.db")
	cli, server := openSQLite(t, path), openSQLite(t, path)
	ctx := t.Context()
	ch := server.Watch(ctx)

	if _, err := cli.PutFunction(ctx, store.Function{Name: "probe", Upstream: "http://127.0.0.1:9001", MCP: true}); err != nil {
		t.Fatalf("cli.PutFunction error = %v", err)
	}
	waitFor(t, ch, "server.Watch after cli.PutFunction")

	tok := store.Token{ID: "tok_1", Function: "probe", Name: "default", Hash: [32]byte{1}, Prefix: "jfn_rt_abcd.."}
	if err := cli.CreateToken(ctx, tok); err != nil {
		t.Fatalf("cli.CreateToken error = %v", err)
	}
	waitFor(t, ch, "server.Watch after cli.CreateToken")
	snap, err := server.Snapshot(ctx)
	if err != nil {
		t.Fatalf("server.Snapshot() error = %v", err)
	}
	if len(snap.Tokens) != 1 || snap.Tokens[0].ID != tok.ID || snap.Tokens[0].Hash != tok.Hash {
		t.Fatalf("server.Snapshot().Tokens = %+v, want just %q", snap.Tokens, tok.ID)
	}

	if _, err := cli.RevokeToken(ctx, "probe", tok.ID); err != nil {
		t.Fatalf("cli.RevokeToken error = %v", err)
	}
	waitFor(t, ch, "server.Watch after cli.RevokeToken")
	snap, err = server.Snapshot(ctx)
	if err != nil {
		t.Fatalf("server.Snapshot() error = %v", err)
	}
	if len(snap.Tokens) != 0 {
		t.Errorf("server.Snapshot().Tokens after revoke = %+v, want none", snap.Tokens)
	}
}

func TestSQLiteReopenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jfn.db")
	for i := range 3 {
		s, err := store.OpenSQLite(t.Context(), path)
		if err != nil {
			t.Fatalf("OpenSQLite(%q) #%d error = %v", path, i+1, err)
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
	db := rawDB(t, path)
	var rows, max, userVersion int
	if err := db.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&rows, &max); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if rows != max {
		t.Errorf("schema_migrations has %d rows for versions up to %d, want one row per version", rows, max)
	}
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&userVersion); err != nil {
		t.Fatalf("PRAGMA user_version: %v", err)
	}
	if userVersion != max {
		t.Errorf("PRAGMA user_version = %d, want the schema version %d", userVersion, max)
	}
}

// TestSQLiteConcurrentOpen opens a file that does not exist yet (in a directory that does
// not either) from several goroutines at once, as when `jfn serve` and a CLI command start
// together: every open succeeds and the migrations are applied once.
func TestSQLiteConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "jfn.db")
	const n = 4
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		stores = make([]*store.SQLite, n)
		errs   = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = store.OpenSQLite(t.Context(), path)
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("concurrent OpenSQLite #%d error = %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { stores[i].Close() })
		if err := stores[i].Ping(t.Context()); err != nil {
			t.Errorf("Ping() on concurrent open #%d error = %v", i, err)
		}
	}
	var rows, distinct int
	if err := rawDB(t, path).QueryRow(`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if rows != distinct {
		t.Errorf("schema_migrations has %d rows for %d versions, want each migration applied once", rows, distinct)
	}
}

func TestSQLiteWALAndPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jfn.db")
	openSQLite(t, path)
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatalf("PRAGMA journal_mode: %v", err)
	}
	if mode != "wal" {
		t.Errorf("PRAGMA journal_mode = %q, want %q", mode, "wal")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("database file mode = %v, want no group or other access (it holds token hashes)", perm)
	}
}

func TestSQLiteCloseEndsWatch(t *testing.T) {
	s, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "jfn.db"))
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
}

func TestSQLiteUnreachable(t *testing.T) {
	dir := t.TempDir()
	notADB := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(notADB, []byte(strings.Repeat("this is not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		dir,                                // a directory
		notADB,                             // not a database
		filepath.Join(blocker, "under.db"), // parent is a file
	} {
		s, err := store.OpenSQLite(t.Context(), path)
		if err == nil {
			s.Close()
			t.Errorf("OpenSQLite(%q) error = nil, want ErrUnreachable", path)
			continue
		}
		if !errors.Is(err, store.ErrUnreachable) {
			t.Errorf("OpenSQLite(%q) error = %v, want ErrUnreachable", path, err)
		}
	}
}

func TestSQLiteNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jfn.db")
	if err := openSQLite(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenSQLite(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatalf("OpenSQLite of a database from a newer build error = nil, want an error")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("OpenSQLite of a database from a newer build error = %v, want it to say the schema is newer", err)
	}
}

func TestOpen(t *testing.T) {
	// PostgreSQL URLs, in any case, go to the PostgreSQL store: nothing listens on port 1, so
	// it reports ErrUnreachable (TestOpenPostgres opens a live one).
	for _, dsn := range []string{"postgres://u@127.0.0.1:1/jfn", "postgresql://u@127.0.0.1:1/jfn?sslmode=disable", "POSTGRES://u@127.0.0.1:1/jfn"} {
		s, err := store.Open(t.Context(), dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) error = nil, want ErrUnreachable from the PostgreSQL store", dsn)
			continue
		}
		if !errors.Is(err, store.ErrUnreachable) {
			t.Errorf("Open(%q) error = %v, want ErrUnreachable from the PostgreSQL store", dsn, err)
		}
	}
	if _, err := store.Open(t.Context(), ""); err == nil {
		t.Errorf("Open(%q) error = nil, want an error", "")
	}

	path := filepath.Join(t.TempDir(), "jfn.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	defer s.Close()
	if _, ok := s.(*store.SQLite); !ok {
		t.Errorf("Open(%q) = %T, want *store.SQLite", path, s)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping() error = %v", err)
	}

	dir := t.TempDir()
	bad, err := store.Open(t.Context(), dir)
	if err == nil {
		t.Errorf("Open(%q) of a directory error = nil, want an error", dir)
	}
	if bad != nil {
		t.Errorf("Open(%q) on error = %#v, want a nil Store", dir, bad)
		bad.Close()
	}
}

func openSQLite(t *testing.T, path string) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatalf("OpenSQLite(%q) error = %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawDB opens the file directly, bypassing the store, to inspect it.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	timer := time.NewTimer(storetest.ChangeDeadline)
	defer timer.Stop()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
	case <-timer.C:
		t.Fatalf("%s: no signal within %v", what, storetest.ChangeDeadline)
	}
}
