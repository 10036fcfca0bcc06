package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

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
