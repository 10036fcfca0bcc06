package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one numbered, append-only step of the SQLite schema. Versions start at 1 and
// have no gaps; a released migration is never edited, only followed by a new one.
type migration struct {
	version int
	name    string
	sql     string // one or more statements, run inside the migration transaction
}

// migrations is the SQLite schema history.
//
// Times are INTEGER unix milliseconds in UTC, so they round-trip exactly to the millisecond
// and compare as numbers. Tables are STRICT so a wrong type fails loudly instead of being
// stored as text.
//
// change_generation is the change feed: triggers bump its single row on every change that a
// server's in-memory snapshot depends on, and Watch polls it. The tokens update trigger lists
// its columns explicitly so that TouchTokens (last_used_at only) does not bump it: otherwise
// every last-used flush by a server would make every server reload. A migration that adds a
// column to tokens must recreate tokens_generation_update with that column listed.
var migrations = []migration{
	{
		version: 1,
		name:    "functions, tokens and the change generation",
		sql: `
CREATE TABLE functions (
	name        TEXT    NOT NULL PRIMARY KEY,
	upstream    TEXT    NOT NULL,
	openapi_url TEXT    NOT NULL DEFAULT '',
	public      INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
	timeout_ms  INTEGER NOT NULL DEFAULT 0 CHECK (timeout_ms >= 0),
	mcp         INTEGER NOT NULL DEFAULT 1 CHECK (mcp IN (0, 1)),
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
	id           TEXT    NOT NULL PRIMARY KEY,
	function     TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE ON UPDATE CASCADE,
	name         TEXT    NOT NULL,
	hash         BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
	prefix       TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	expires_at   INTEGER,
	revoked_at   INTEGER
) STRICT;

CREATE INDEX tokens_function_created ON tokens (function, created_at, id);

CREATE TABLE change_generation (
	id    INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	value INTEGER NOT NULL
) STRICT;

INSERT INTO change_generation (id, value) VALUES (1, 0);

CREATE TRIGGER functions_generation_insert AFTER INSERT ON functions
BEGIN
	UPDATE change_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER functions_generation_update AFTER UPDATE ON functions
BEGIN
	UPDATE change_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER functions_generation_delete AFTER DELETE ON functions
BEGIN
	UPDATE change_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER tokens_generation_insert AFTER INSERT ON tokens
BEGIN
	UPDATE change_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER tokens_generation_update
AFTER UPDATE OF id, function, name, hash, prefix, created_at, expires_at, revoked_at ON tokens
BEGIN
	UPDATE change_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER tokens_generation_delete AFTER DELETE ON tokens
BEGIN
	UPDATE change_generation SET value = value + 1 WHERE id = 1;
END;
`,
	},
	{
		// Sessions have no change trigger: servers read a session when a request names it, so
		// opening, touching and ending one must not make every server reload its snapshot.
		version: 2,
		name:    "mcp sessions",
		sql: `
CREATE TABLE mcp_sessions (
	id           TEXT    NOT NULL PRIMARY KEY,
	function     TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE ON UPDATE CASCADE,
	token_hash   BLOB    NOT NULL CHECK (length(token_hash) = 32),
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
) STRICT;

CREATE INDEX mcp_sessions_function ON mcp_sessions (function);
CREATE INDEX mcp_sessions_last_seen ON mcp_sessions (last_seen_at);
`,
	},
	{
		// Every function gets a signing secret; functions deployed before this migration get
		// one here (randomblob is SQLite's CSPRNG), so no function is ever unsigned. The
		// secrets are read with the function, so the change feed carries rotations.
		version: 3,
		name:    "signing secrets",
		sql: `
ALTER TABLE functions ADD COLUMN signing_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE functions ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE functions ADD COLUMN previous_secret_expires_at INTEGER;
UPDATE functions SET signing_secret = 'jfn_ss_' || lower(hex(randomblob(32))) WHERE signing_secret = '';
`,
	},
	{
		// Cron runs have no change trigger: recording a run must not make servers reload. The
		// unique key is the claim: one run per function, schedule and fire time.
		version: 4,
		name:    "cron runs",
		sql: `
CREATE TABLE cron_runs (
	id          INTEGER NOT NULL PRIMARY KEY,
	function    TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE ON UPDATE CASCADE,
	schedule    TEXT    NOT NULL,
	expression  TEXT    NOT NULL DEFAULT '',
	fired_at    INTEGER NOT NULL,
	started_at  INTEGER NOT NULL,
	state       TEXT    NOT NULL CHECK (state IN ('RUNNING', 'OK', 'ERROR')),
	status      INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	error       TEXT    NOT NULL DEFAULT '',
	UNIQUE (function, schedule, fired_at)
) STRICT;

CREATE INDEX cron_runs_function_fired ON cron_runs (function, fired_at);
`,
	},
	{
		// Sessions are bounded per function and token hash: CreateSession evicts the least
		// recently used beyond a limit, walking mcp_sessions_binding, whose first column also
		// serves the foreign key (so mcp_sessions_function goes). A session nobody used
		// after initialize (last_seen_at still created_at) expires early: the partial index
		// finds those for the sweep and holds only them.
		version: 5,
		name:    "bounded mcp sessions",
		sql: `
CREATE INDEX mcp_sessions_binding ON mcp_sessions (function, token_hash, last_seen_at, created_at, id);
DROP INDEX mcp_sessions_function;
CREATE INDEX mcp_sessions_unused ON mcp_sessions (created_at) WHERE last_seen_at <= created_at;
`,
	},
	{
		// A comma-separated list: origins hold no commas. The functions update trigger fires
		// on every column, so a change here reaches every server.
		version: 6,
		name:    "CORS origins",
		sql:     `ALTER TABLE functions ADD COLUMN cors_origins TEXT NOT NULL DEFAULT '';`,
	},
	{
		// The catalogue's defaults: a mode ('' is auto) and a comma-separated list of
		// toolsets (their names hold no commas).
		version: 7,
		name:    "MCP catalogue defaults",
		sql: `ALTER TABLE functions ADD COLUMN mcp_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE functions ADD COLUMN mcp_toolsets TEXT NOT NULL DEFAULT '';`,
	},
	{
		// Every replaced secret whose grace has not ended keeps signing, not only the last:
		// previous_secrets is a JSON array of {"secret", "expires_at" (unix ms)}, the most
		// recently replaced first ('' for none), which takes over the one previous secret.
		version: 8,
		name:    "previous signing secrets",
		sql: `ALTER TABLE functions ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '';
UPDATE functions
SET previous_secrets = json_array(json_object('secret', previous_secret, 'expires_at', previous_secret_expires_at))
WHERE previous_secret <> '' AND previous_secret_expires_at IS NOT NULL;
ALTER TABLE functions DROP COLUMN previous_secret;
ALTER TABLE functions DROP COLUMN previous_secret_expires_at;`,
	},
	{
		// A run's timeout when it was claimed (0: unknown), so that a run whose server died
		// mid-call can be failed once it is over; the partial index holds only the runs
		// still RUNNING, which is all FailStaleCronRuns looks at.
		version: 9,
		name:    "cron run timeouts",
		sql: `ALTER TABLE cron_runs ADD COLUMN timeout_ms INTEGER NOT NULL DEFAULT 0 CHECK (timeout_ms >= 0);
CREATE INDEX cron_runs_running ON cron_runs (started_at) WHERE state = 'RUNNING';`,
	},
	{
		// The web console's logins, by a hash of their cookie (never the cookie), shared by every server on
		// the store: a login holds on any replica and across restarts, and a logout on one
		// ends it on all. No change trigger: a login is read when a request brings it.
		version: 10,
		name:    "console logins",
		sql: `CREATE TABLE console_logins (
	hash       BLOB    NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX console_logins_expires ON console_logins (expires_at);`,
	},
}

// beginMigration begins the migration's transaction. While another connection is still
// creating a fresh file (switching it to WAL), SQLite can answer SQLITE_BUSY at once, without
// waiting on busy_timeout; such a begin is tried again, within busyTimeout.
func beginMigration(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	deadline := time.Now().Add(busyTimeout)
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return tx, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// migrate brings the schema up to date. It runs in one BEGIN IMMEDIATE transaction (the
// pool's _txlock), so when the CLI and a server open a fresh file at the same moment, one
// applies the migrations while the other waits on busy_timeout and then finds nothing to do.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := beginMigration(ctx, db)
	if err != nil {
		return fmt.Errorf("begin migration: %w", classify(err))
	}
	defer tx.Rollback() // a no-op after Commit

	if _, err := tx.ExecContext(ctx, `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", classify(err))
	}

	var current int
	if err := tx.QueryRowContext(ctx,
		`SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", classify(err))
	}
	latest := migrations[len(migrations)-1].version
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this build supports (%d): upgrade jfn", current, latest)
	}
	if current == latest {
		return nil // nothing written: the commit below is skipped and Rollback releases the lock
	}

	now := time.Now().UnixMilli()
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, classify(err))
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, now); err != nil {
			return fmt.Errorf("record migration %d: %w", m.version, classify(err))
		}
	}
	// user_version mirrors the schema version so that `sqlite3 jfn.db 'PRAGMA user_version'`
	// answers without knowing our tables.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", latest)); err != nil {
		return fmt.Errorf("set user_version: %w", classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	return nil
}
