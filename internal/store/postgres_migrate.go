package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgMigrationLock is the pg_advisory_xact_lock key that serializes migrations: "jfn_migr"
// in ASCII. Advisory locks are per database, so deployments in other databases never wait.
const pgMigrationLock int64 = 0x6a666e5f6d696772

// pgChangeChannel is the LISTEN/NOTIFY channel the change triggers notify. The payload is
// the schema of the changed table, so deployments that share a database in different
// schemas ignore each other's changes.
const pgChangeChannel = "jfn_changes"

// pgMigrations is the PostgreSQL schema history: numbered, append-only steps as in the
// SQLite store (a released one is never edited, only followed by a new one). The tables
// and their meaning are the SQLite ones; the differences are PostgreSQL's types:
//
//   - Times are timestamptz. The store writes them truncated to the millisecond in UTC and
//     reads them back in UTC, so they round-trip exactly as SQLite's unix milliseconds do.
//   - Names and ids are COLLATE "C", so ORDER BY is byte order like SQLite's BINARY,
//     whatever the database's locale.
//
// The change feed: jfn_note_change() bumps the change_generation row and sends a NOTIFY on
// pgChangeChannel, in the changing transaction (so both take effect at commit, and several
// NOTIFYs of one transaction arrive as one). The tokens UPDATE trigger lists its columns so
// that TouchTokens (last_used_at only) neither bumps nor notifies: otherwise every
// last-used flush by any replica would make every replica reload. A migration that adds a
// column to tokens must recreate tokens_changed_update with that column listed. TRUNCATE,
// which row triggers do not see, has its own statement triggers: an operator who empties
// tokens by hand in an emergency revokes them on every replica too.
// The function pins its search_path to the schema it was created in, so the trigger finds
// change_generation whatever the session's search_path.
var pgMigrations = []migration{
	{
		version: 1,
		name:    "functions, tokens and the change feed",
		sql: `
CREATE TABLE functions (
	name        text COLLATE "C" NOT NULL PRIMARY KEY,
	upstream    text        NOT NULL,
	openapi_url text        NOT NULL DEFAULT '',
	public      boolean     NOT NULL DEFAULT false,
	timeout_ms  bigint      NOT NULL DEFAULT 0 CHECK (timeout_ms >= 0),
	mcp         boolean     NOT NULL DEFAULT true,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);

CREATE TABLE tokens (
	id           text COLLATE "C" NOT NULL PRIMARY KEY,
	function     text COLLATE "C" NOT NULL
	             REFERENCES functions (name) ON DELETE CASCADE ON UPDATE CASCADE,
	name         text        NOT NULL,
	hash         bytea       NOT NULL UNIQUE CHECK (length(hash) = 32),
	prefix       text        NOT NULL,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	expires_at   timestamptz,
	revoked_at   timestamptz
);

CREATE INDEX tokens_function_created ON tokens (function, created_at, id);

CREATE TABLE change_generation (
	id    integer NOT NULL PRIMARY KEY CHECK (id = 1),
	value bigint  NOT NULL
);

INSERT INTO change_generation (id, value) VALUES (1, 0);

CREATE FUNCTION jfn_note_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
	UPDATE change_generation SET value = value + 1 WHERE id = 1;
	PERFORM pg_notify('` + pgChangeChannel + `', TG_TABLE_SCHEMA);
	RETURN NULL;
END
$$;

CREATE TRIGGER functions_changed AFTER INSERT OR UPDATE OR DELETE ON functions
FOR EACH ROW EXECUTE FUNCTION jfn_note_change();

CREATE TRIGGER tokens_changed AFTER INSERT OR DELETE ON tokens
FOR EACH ROW EXECUTE FUNCTION jfn_note_change();

CREATE TRIGGER tokens_changed_update
AFTER UPDATE OF id, function, name, hash, prefix, created_at, expires_at, revoked_at ON tokens
FOR EACH ROW EXECUTE FUNCTION jfn_note_change();

CREATE TRIGGER functions_truncated AFTER TRUNCATE ON functions
FOR EACH STATEMENT EXECUTE FUNCTION jfn_note_change();

CREATE TRIGGER tokens_truncated AFTER TRUNCATE ON tokens
FOR EACH STATEMENT EXECUTE FUNCTION jfn_note_change();
`,
	},
	{
		// Sessions have no change trigger: servers read a session when a request names it, so
		// opening, touching and ending one must not make every replica reload its snapshot.
		version: 2,
		name:    "mcp sessions",
		sql: `
CREATE TABLE mcp_sessions (
	id           text COLLATE "C" NOT NULL PRIMARY KEY,
	function     text COLLATE "C" NOT NULL
	             REFERENCES functions (name) ON DELETE CASCADE ON UPDATE CASCADE,
	token_hash   bytea       NOT NULL CHECK (length(token_hash) = 32),
	created_at   timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL
);

CREATE INDEX mcp_sessions_function ON mcp_sessions (function);
CREATE INDEX mcp_sessions_last_seen ON mcp_sessions (last_seen_at);
`,
	},
	{
		// Functions deployed before this migration get a secret here: two gen_random_uuid()
		// (built in since PostgreSQL 13, from the server's strong random source) give 244
		// random bits without the pgcrypto extension.
		version: 3,
		name:    "signing secrets",
		sql: `
ALTER TABLE functions
	ADD COLUMN signing_secret             text NOT NULL DEFAULT '',
	ADD COLUMN previous_secret            text NOT NULL DEFAULT '',
	ADD COLUMN previous_secret_expires_at timestamptz;
UPDATE functions
SET signing_secret = 'jfn_ss_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
WHERE signing_secret = '';
`,
	},
	{
		// No change trigger: recording a run must not make every replica reload. The unique
		// key is the claim that makes each fire time run on exactly one replica.
		version: 4,
		name:    "cron runs",
		sql: `
CREATE TABLE cron_runs (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	function    text COLLATE "C" NOT NULL
	            REFERENCES functions (name) ON DELETE CASCADE ON UPDATE CASCADE,
	schedule    text COLLATE "C" NOT NULL,
	expression  text        NOT NULL DEFAULT '',
	fired_at    timestamptz NOT NULL,
	started_at  timestamptz NOT NULL,
	state       text        NOT NULL CHECK (state IN ('RUNNING', 'OK', 'ERROR')),
	status      integer     NOT NULL DEFAULT 0,
	duration_ms bigint      NOT NULL DEFAULT 0,
	error       text        NOT NULL DEFAULT '',
	UNIQUE (function, schedule, fired_at)
);

CREATE INDEX cron_runs_function_fired ON cron_runs (function, fired_at);
`,
	},
	{
		// As SQLite's migration 5: the index CreateSession walks to evict the least recently
		// used sessions of a binding (its first column serves the foreign key, so
		// mcp_sessions_function goes), and a partial index of the sessions nobody used after
		// initialize, for the sweep.
		version: 5,
		name:    "bounded mcp sessions",
		sql: `
CREATE INDEX mcp_sessions_binding ON mcp_sessions (function, token_hash, last_seen_at, created_at, id);
DROP INDEX mcp_sessions_function;
CREATE INDEX mcp_sessions_unused ON mcp_sessions (created_at) WHERE last_seen_at <= created_at;
`,
	},
	{
		// A comma-separated list: origins hold no commas.
		version: 6,
		name:    "CORS origins",
		sql:     `ALTER TABLE functions ADD COLUMN cors_origins text NOT NULL DEFAULT '';`,
	},
	{
		// The catalogue's defaults: a mode ('' is auto) and a comma-separated list of
		// toolsets (their names hold no commas).
		version: 7,
		name:    "MCP catalogue defaults",
		sql: `ALTER TABLE functions ADD COLUMN mcp_mode text NOT NULL DEFAULT '';
ALTER TABLE functions ADD COLUMN mcp_toolsets text NOT NULL DEFAULT '';`,
	},
	{
		// As SQLite's migration 8: the replaced secrets still in their grace period, as the
		// same JSON text (expires_at in unix milliseconds), take over the one previous secret.
		version: 8,
		name:    "previous signing secrets",
		sql: `ALTER TABLE functions ADD COLUMN previous_secrets text NOT NULL DEFAULT '';
UPDATE functions
SET previous_secrets = json_build_array(json_build_object(
	'secret', previous_secret,
	'expires_at', (extract(epoch FROM previous_secret_expires_at) * 1000)::bigint))::text
WHERE previous_secret <> '' AND previous_secret_expires_at IS NOT NULL;
ALTER TABLE functions DROP COLUMN previous_secret, DROP COLUMN previous_secret_expires_at;`,
	},
	{
		// As SQLite's migration 9: each run's timeout, and an index of the runs still RUNNING.
		version: 9,
		name:    "cron run timeouts",
		sql: `ALTER TABLE cron_runs ADD COLUMN timeout_ms bigint NOT NULL DEFAULT 0 CHECK (timeout_ms >= 0);
CREATE INDEX cron_runs_running ON cron_runs (started_at) WHERE state = 'RUNNING';`,
	},
	{
		// As SQLite's migration 10: the web console's logins, shared by every replica.
		version: 10,
		name:    "console logins",
		sql: `CREATE TABLE console_logins (
	hash       bytea       NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
	expires_at timestamptz NOT NULL
);
CREATE INDEX console_logins_expires ON console_logins (expires_at);`,
	},
}

// pgMigrate brings the schema up to date in one transaction that first takes
// pg_advisory_xact_lock(pgMigrationLock). When several replicas start on a fresh database
// at once, one applies the migrations while the others wait on the lock, then find the
// version current and do nothing. The lock ends with the transaction, even if the process
// dies mid-way (PostgreSQL rolls the transaction back: DDL is transactional).
func pgMigrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin migration: %w", pgClassify(ctx, err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op after Commit

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrationLock); err != nil {
		return fmt.Errorf("lock for migration: %w", pgClassify(ctx, err))
	}
	if _, err := tx.Exec(ctx, `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer     NOT NULL PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", pgClassify(ctx, err))
	}

	var current int
	if err := tx.QueryRow(ctx,
		`SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", pgClassify(ctx, err))
	}
	latest := pgMigrations[len(pgMigrations)-1].version
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this build supports (%d): upgrade jfn", current, latest)
	}
	for _, m := range pgMigrations {
		if m.version <= current {
			continue
		}
		if err := pgApply(ctx, tx, m); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit migration: %w", pgClassify(ctx, err))
	}
	return nil
}

func pgApply(ctx context.Context, tx pgx.Tx, m migration) error {
	if _, err := tx.Exec(ctx, m.sql); err != nil { // no arguments: the simple protocol, several statements
		return fmt.Errorf("migration %d (%s): %w", m.version, m.name, pgClassify(ctx, err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
		m.version, m.name); err != nil {
		return fmt.Errorf("record migration %d: %w", m.version, pgClassify(ctx, err))
	}
	return nil
}
