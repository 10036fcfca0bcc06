package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/internal/store/storetest"
)

// TestSQLiteMigrationBackfillsSecrets opens a database made before signing secrets (schema
// version 2) with functions in it: after migrating, each function has a secret of its own.
func TestSQLiteMigrationBackfillsSecrets(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "jfn.db")
	restore := store.KeepMigrationsForTest(2)
	s, err := store.OpenSQLite(ctx, path)
	restore()
	if err != nil {
		t.Fatalf("OpenSQLite at schema 2: %v", err)
	}
	s.Close()
	for _, name := range []string{"old-a", "old-b"} {
		if _, err := rawDB(t, path).ExecContext(ctx, `INSERT INTO functions (name, upstream, created_at, updated_at)
VALUES (?, 'http://127.0.0.1:9001', 0, 0)`, name); err != nil {
			t.Fatalf("insert %s: %v", name, err)
		}
	}
	checkBackfill(t, ctx, openSQLite(t, path))
}

// TestPostgresMigrationBackfillsSecrets is the same on PostgreSQL.
func TestPostgresMigrationBackfillsSecrets(t *testing.T) {
	ctx := t.Context()
	dsn := storetest.PostgresDatabase(t)
	restore := store.KeepMigrationsForTest(2)
	s, err := store.OpenPostgres(ctx, dsn)
	restore()
	if err != nil {
		t.Fatalf("OpenPostgres at schema 2: %v", err)
	}
	s.Close()
	for _, name := range []string{"old-a", "old-b"} {
		if _, err := rawPostgres(t, dsn).Exec(ctx, `INSERT INTO functions (name, upstream, created_at, updated_at)
VALUES ($1, 'http://127.0.0.1:9001', now(), now())`, name); err != nil {
			t.Fatalf("insert %s: %v", name, err)
		}
	}
	s, err = store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatalf("OpenPostgres migrating 2 → latest: %v", err)
	}
	defer s.Close()
	checkBackfill(t, ctx, s)
}

func checkBackfill(t *testing.T, ctx context.Context, s store.Store) {
	t.Helper()
	fs, err := s.ListFunctions(ctx)
	if err != nil {
		t.Fatalf("ListFunctions() error = %v", err)
	}
	if len(fs) != 2 {
		t.Fatalf("ListFunctions() = %d functions, want 2", len(fs))
	}
	for _, f := range fs {
		rest, ok := strings.CutPrefix(f.SigningSecret, store.SigningSecretPrefix)
		if !ok || len(rest) != 64 || strings.Trim(rest, "0123456789abcdef") != "" {
			t.Errorf("function %s after migration: secret of %d characters, want %s and 64 random hex digits", f.Name, len(f.SigningSecret), store.SigningSecretPrefix)
		}
	}
	if fs[0].SigningSecret == fs[1].SigningSecret {
		t.Errorf("the migration gave two functions the same secret")
	}
}

// TestSQLiteMigrationKeepsPreviousSecret opens a database whose functions have one previous
// secret each (schema version 7): after migrating, it is the one entry of PreviousSecrets,
// with its expiry, and still signs until then.
func TestSQLiteMigrationKeepsPreviousSecret(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "jfn.db")
	restore := store.KeepMigrationsForTest(7)
	s, err := store.OpenSQLite(ctx, path)
	restore()
	if err != nil {
		t.Fatalf("OpenSQLite at schema 7: %v", err)
	}
	s.Close()
	expires := time.Now().Add(time.Hour).Truncate(time.Millisecond).UTC()
	if _, err := rawDB(t, path).ExecContext(ctx, `
INSERT INTO functions (name, upstream, created_at, updated_at, signing_secret, previous_secret, previous_secret_expires_at)
VALUES ('graced', 'http://127.0.0.1:9001', 0, 0, 'jfn_ss_new', 'jfn_ss_old', ?),
       ('plain', 'http://127.0.0.1:9001', 0, 0, 'jfn_ss_only', '', NULL)`, expires.UnixMilli()); err != nil {
		t.Fatalf("insert: %v", err)
	}
	checkPreviousKept(t, ctx, openSQLite(t, path), expires)
}

// TestPostgresMigrationKeepsPreviousSecret is the same on PostgreSQL.
func TestPostgresMigrationKeepsPreviousSecret(t *testing.T) {
	ctx := t.Context()
	dsn := storetest.PostgresDatabase(t)
	restore := store.KeepMigrationsForTest(7)
	s, err := store.OpenPostgres(ctx, dsn)
	restore()
	if err != nil {
		t.Fatalf("OpenPostgres at schema 7: %v", err)
	}
	s.Close()
	expires := time.Now().Add(time.Hour).Truncate(time.Millisecond).UTC()
	if _, err := rawPostgres(t, dsn).Exec(ctx, `
INSERT INTO functions (name, upstream, created_at, updated_at, signing_secret, previous_secret, previous_secret_expires_at)
VALUES ('graced', 'http://127.0.0.1:9001', now(), now(), 'jfn_ss_new', 'jfn_ss_old', $1),
       ('plain', 'http://127.0.0.1:9001', now(), now(), 'jfn_ss_only', '', NULL)`, expires); err != nil {
		t.Fatalf("insert: %v", err)
	}
	s, err = store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatalf("OpenPostgres migrating 7 → latest: %v", err)
	}
	defer s.Close()
	checkPreviousKept(t, ctx, s, expires)
}

func checkPreviousKept(t *testing.T, ctx context.Context, s store.Store, expires time.Time) {
	t.Helper()
	graced, err := s.GetFunction(ctx, "graced")
	if err != nil {
		t.Fatalf("GetFunction(graced) error = %v", err)
	}
	if len(graced.PreviousSecrets) != 1 || graced.PreviousSecrets[0].Secret != "jfn_ss_old" || !graced.PreviousSecrets[0].ExpiresAt.Equal(expires) {
		t.Errorf("graced after migration: PreviousSecrets = %d entries (%v), want jfn_ss_old until %v", len(graced.PreviousSecrets), graced.PreviousSecrets, expires)
	}
	if got := graced.SigningSecrets(time.Now()); strings.Join(got, " ") != "jfn_ss_new jfn_ss_old" {
		t.Errorf("graced after migration: SigningSecrets(now) = %v, want [jfn_ss_new jfn_ss_old]", got)
	}
	plain, err := s.GetFunction(ctx, "plain")
	if err != nil {
		t.Fatalf("GetFunction(plain) error = %v", err)
	}
	if len(plain.PreviousSecrets) != 0 || plain.SigningSecret != "jfn_ss_only" {
		t.Errorf("plain after migration: %d previous secrets, want none and its secret kept", len(plain.PreviousSecrets))
	}
}
