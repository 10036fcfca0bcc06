package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	// pgConnectTimeout bounds a connection attempt when the DSN sets no connect_timeout, so
	// that an unreachable host fails in seconds rather than after the kernel's TCP timeout.
	pgConnectTimeout = 5 * time.Second
	// pgPingTimeout bounds Ping and the pool's liveness check of an idle connection.
	pgPingTimeout = 2 * time.Second
	// pgApplicationName names the store's connections in pg_stat_activity when the DSN does
	// not; the change feed's connection gets pgApplicationName + "-watch".
	pgApplicationName = "jfn"
)

// Postgres is the Store shared by several jfn replicas: a pgx connection pool for reads and
// writes, plus (once Watch is first called) one dedicated connection that LISTENs for
// changes and fans them out to every Watch channel. It is safe for concurrent use.
type Postgres struct {
	pool   *pgxpool.Pool
	listen *pgx.ConnConfig // for the change feed's own connection
	schema string          // where the tables live; the NOTIFY payload the feed follows

	mu       sync.Mutex
	watchers map[chan struct{}]struct{}
	closed   bool
	feeding  bool               // the feed goroutine has been started
	stopFeed context.CancelFunc // ends the feed goroutine
	feedDone chan struct{}      // closed when the feed goroutine has returned
	ready    chan struct{}      // closed once the feed first listens
	late     atomic.Bool        // a Watch gave up waiting for ready: signal on first listen

	done chan struct{} // closed by Close; ends every Watch
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the PostgreSQL database that dsn names (a postgres:// or
// postgresql:// URL, any parameter pgx understands, e.g. sslmode, search_path,
// connect_timeout, pool_max_conns) and brings its schema up to date. The tables go into the
// first schema of the search_path, so several deployments can share a database.
//
// Migrations take a transaction-scoped advisory lock, so replicas that start at the same
// moment apply them once, one after the other. Errors that mean the database could not be
// reached wrap ErrUnreachable.
func OpenPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(pgNormalizeScheme(dsn))
	if err != nil {
		// pgconn's parse error echoes the URL with its password redacted.
		return nil, fmt.Errorf("open postgres: parse dsn: %w", err)
	}
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = pgConnectTimeout
	}
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = pgApplicationName
	}
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = pgPingTimeout
	}
	listen := cc.Copy()
	listen.RuntimeParams["application_name"] = cc.RuntimeParams["application_name"] + "-watch"

	pool, err := pgxpool.NewWithConfig(ctx, cfg) // connects lazily: errors show up below
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", pgClassify(ctx, err))
	}
	if err := pgMigrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", pgDescribe(cc), err)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s: current schema: %w", pgDescribe(cc), pgClassify(ctx, err))
	}
	return &Postgres{
		pool:     pool,
		listen:   listen,
		schema:   schema,
		watchers: make(map[chan struct{}]struct{}),
		ready:    make(chan struct{}),
		done:     make(chan struct{}),
	}, nil
}

// openPostgres is OpenPostgres for Open: a nil Store, not a nil *Postgres, on error.
func openPostgres(ctx context.Context, dsn string) (Store, error) {
	s, err := OpenPostgres(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// pgNormalizeScheme lowercases a POSTGRES:// or PostgreSQL:// scheme, which pgx only
// recognizes in lower case (Open accepts any case).
func pgNormalizeScheme(dsn string) string {
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		if len(dsn) >= len(scheme) && strings.EqualFold(dsn[:len(scheme)], scheme) {
			return scheme + dsn[len(scheme):]
		}
	}
	return dsn
}

// pgDescribe names the database for error messages without the password.
func pgDescribe(cc *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)
}

// Close ends every Watch, stops the change feed and closes the pool. It is safe to call
// more than once.
func (s *Postgres) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	stop, feedDone := s.stopFeed, s.feedDone
	s.mu.Unlock()
	if stop != nil {
		stop()
		<-feedDone
	}
	s.pool.Close()
	return nil
}

// Ping checks within a couple of seconds that the database answers and holds the schema.
func (s *Postgres) Ping(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, pgPingTimeout)
	defer cancel()
	if _, err := s.generation(pctx, s.pool); err != nil {
		return fmt.Errorf("ping: %w", pgClassify(ctx, err))
	}
	return nil
}

// pgNow is the store's "now": UTC, to the millisecond, from this process's clock as in the
// SQLite store.
func pgNow() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// pgTime converts a time for storage: UTC, truncated to the millisecond.
func pgTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// pgNullTime stores a zero time as NULL.
func pgNullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return pgTime(t)
}

// fromPgTime converts a stored time back: UTC to the millisecond, zero for NULL.
func fromPgTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return pgTime(*t)
}

// PutFunction inserts or updates f, matched by name, in one statement, so two replicas
// deploying the same new name at once cannot both insert. On insert CreatedAt is
// f.CreatedAt, or now when zero, and the signing secret is f.SigningSecret, or a new one
// when empty; on update the stored CreatedAt and secrets are kept. UpdatedAt is always now.
func (s *Postgres) PutFunction(ctx context.Context, f Function) (created bool, err error) {
	if f.Name == "" {
		return false, errors.New("put function: empty name")
	}
	if f.Timeout < 0 {
		return false, fmt.Errorf("put function %q: negative timeout %v", f.Name, f.Timeout)
	}
	now := pgNow()
	createdAt := now
	if !f.CreatedAt.IsZero() {
		createdAt = pgTime(f.CreatedAt)
	}
	secret := f.SigningSecret
	if secret == "" {
		secret = newSigningSecret()
	}
	// xmax is 0 on a row version that the statement inserted and non-zero on one that ON
	// CONFLICT updated: the usual way to learn which of the two happened. An update keeps the
	// stored secret (a row without one, which migration 3 leaves none of, gets this one).
	err = s.pool.QueryRow(ctx, `
INSERT INTO functions (name, upstream, openapi_url, public, timeout_ms, mcp, created_at, updated_at, signing_secret, cors_origins, mcp_mode, mcp_toolsets)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (name) DO UPDATE SET
	upstream = excluded.upstream, openapi_url = excluded.openapi_url, public = excluded.public,
	timeout_ms = excluded.timeout_ms, mcp = excluded.mcp, updated_at = excluded.updated_at,
	cors_origins = excluded.cors_origins, mcp_mode = excluded.mcp_mode, mcp_toolsets = excluded.mcp_toolsets,
	signing_secret = CASE WHEN functions.signing_secret = '' THEN excluded.signing_secret
	                      ELSE functions.signing_secret END
RETURNING xmax = 0`,
		f.Name, f.Upstream, f.OpenAPIURL, f.Public, f.Timeout.Milliseconds(), f.MCP, createdAt, now, secret,
		joinOrigins(f.CORSOrigins), f.MCPMode, joinOrigins(f.MCPToolsets),
	).Scan(&created)
	if err != nil {
		return false, fmt.Errorf("put function %q: %w", f.Name, pgClassify(ctx, err))
	}
	return created, nil
}

// errCreatedMeanwhile is PatchFunction's signal that another replica created the function
// between its read and its insert: it tries again, now updating that row.
var errCreatedMeanwhile = errors.New("created meanwhile")

// PatchFunction reads the function with its row locked, changes it and writes it in one
// transaction, so concurrent patches (from any replica) take turns. Two creating at once
// both find no row to lock; the insert that loses does nothing, and its patch is applied
// again to the row the other inserted.
func (s *Postgres) PatchFunction(ctx context.Context, name string, p FunctionPatch, create bool) (f Function, created bool, err error) {
	for range 3 {
		f, created, err = s.patchFunction(ctx, name, p, create)
		if !errors.Is(err, errCreatedMeanwhile) {
			break
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Function{}, false, fmt.Errorf("patch function %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Function{}, false, fmt.Errorf("patch function %q: %w", name, pgClassify(ctx, err))
	}
	return f, created, nil
}

func (s *Postgres) patchFunction(ctx context.Context, name string, p FunctionPatch, create bool) (f Function, created bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := pgNow()
		f, err = pgScanFunction(tx.QueryRow(ctx, `SELECT `+pgFunctionColumns+` FROM functions WHERE name = $1 FOR UPDATE`, name))
		exists := err == nil
		switch {
		case errors.Is(err, pgx.ErrNoRows) && create:
			f = Function{Name: name, Timeout: DefaultTimeout, MCP: true}
		case err != nil:
			return err
		}
		p.Apply(&f)
		if f.Timeout < 0 {
			return fmt.Errorf("negative timeout %v", f.Timeout)
		}
		args := []any{name, f.Upstream, f.OpenAPIURL, f.Public, f.Timeout.Milliseconds(), f.MCP,
			joinOrigins(f.CORSOrigins), f.MCPMode, joinOrigins(f.MCPToolsets), now}
		if exists {
			f, err = pgScanFunction(tx.QueryRow(ctx, `
UPDATE functions SET upstream = $2, openapi_url = $3, public = $4, timeout_ms = $5, mcp = $6,
	cors_origins = $7, mcp_mode = $8, mcp_toolsets = $9, updated_at = $10
WHERE name = $1 RETURNING `+pgFunctionColumns, args...))
			return err
		}
		f, err = pgScanFunction(tx.QueryRow(ctx, `
INSERT INTO functions (name, upstream, openapi_url, public, timeout_ms, mcp, cors_origins, mcp_mode, mcp_toolsets, created_at, updated_at, signing_secret)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)
ON CONFLICT (name) DO NOTHING RETURNING `+pgFunctionColumns, append(args, newSigningSecret())...))
		if errors.Is(err, pgx.ErrNoRows) {
			return errCreatedMeanwhile
		}
		created = err == nil
		return err
	})
	return f, created, err
}

const pgFunctionColumns = `name, upstream, openapi_url, public, timeout_ms, mcp, created_at, updated_at,
signing_secret, previous_secrets, cors_origins, mcp_mode, mcp_toolsets`

// GetFunction returns the named function or ErrNotFound.
func (s *Postgres) GetFunction(ctx context.Context, name string) (Function, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+pgFunctionColumns+` FROM functions WHERE name = $1`, name)
	f, err := pgScanFunction(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return Function{}, fmt.Errorf("get function %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Function{}, fmt.Errorf("get function %q: %w", name, pgClassify(ctx, err))
	}
	return f, nil
}

// TouchFunction moves the function's updated_at to at, or a millisecond past the stored one.
func (s *Postgres) TouchFunction(ctx context.Context, name string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `
UPDATE functions SET updated_at = GREATEST(updated_at + interval '1 millisecond', $1) WHERE name = $2`,
		pgTime(at), name)
	if err != nil {
		return fmt.Errorf("touch function %q: %w", name, pgClassify(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("touch function %q: %w", name, ErrNotFound)
	}
	return nil
}

// ListFunctions returns all functions ordered by name (byte order: the column is
// COLLATE "C", as SQLite's BINARY).
func (s *Postgres) ListFunctions(ctx context.Context) ([]Function, error) {
	fs, err := pgListFunctions(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", pgClassify(ctx, err))
	}
	return fs, nil
}

// DeleteFunction removes the function and, by ON DELETE CASCADE, all its tokens and MCP
// sessions. It returns
// ErrNotFound when the function does not exist.
func (s *Postgres) DeleteFunction(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM functions WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("delete function %q: %w", name, pgClassify(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete function %q: %w", name, ErrNotFound)
	}
	return nil
}

// CreateToken stores t. CreatedAt defaults to now; LastUsedAt, ExpiresAt and RevokedAt are
// stored as given (zero means unset). It returns an error wrapping ErrNotFound when the
// function does not exist (the foreign key says so, atomically with the insert), and a
// plain error when the id or the hash is already taken.
func (s *Postgres) CreateToken(ctx context.Context, t Token) error {
	if t.ID == "" {
		return errors.New("create token: empty id")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = pgNow()
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO tokens (id, function, name, hash, prefix, created_at, last_used_at, expires_at, revoked_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.Function, t.Name, t.Hash[:], t.Prefix, pgTime(t.CreatedAt),
		pgNullTime(t.LastUsedAt), pgNullTime(t.ExpiresAt), pgNullTime(t.RevokedAt))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation: tokens has one FK
		return fmt.Errorf("create token %q: function %q: %w", t.ID, t.Function, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.ID, pgClassify(ctx, err))
	}
	return nil
}

const pgTokenColumns = `id, function, name, hash, prefix, created_at, last_used_at, expires_at, revoked_at`

// ListTokens returns the unrevoked tokens of function, expired ones included, oldest first.
// It returns ErrNotFound when the function does not exist. Both reads see one snapshot.
func (s *Postgres) ListTokens(ctx context.Context, function string) ([]Token, error) {
	var ts []Token
	err := s.read(ctx, func(tx pgx.Tx) error {
		var exists bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM functions WHERE name = $1)`, function).Scan(&exists)
		if err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		ts, err = pgQueryTokens(ctx, tx, `SELECT `+pgTokenColumns+` FROM tokens
WHERE function = $1 AND revoked_at IS NULL ORDER BY created_at, id`, function)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens of %q: %w", function, err)
	}
	return ts, nil
}

// RevokeToken marks the token revoked now and returns it. It returns ErrNotFound when
// function has no unrevoked token with that id (unknown, already revoked, or another
// function's).
func (s *Postgres) RevokeToken(ctx context.Context, function, id string) (Token, error) {
	row := s.pool.QueryRow(ctx, `UPDATE tokens SET revoked_at = $1
WHERE id = $2 AND function = $3 AND revoked_at IS NULL RETURNING `+pgTokenColumns,
		pgNow(), id, function)
	t, err := pgScanToken(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, fmt.Errorf("revoke token %q of %q: %w", id, function, ErrNotFound)
	}
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %q of %q: %w", id, function, pgClassify(ctx, err))
	}
	return t, nil
}

// TouchTokens records last-used times in one statement. A stored time is never moved
// backwards (GREATEST ignores a NULL), so servers flushing in any order keep the latest.
// Unknown ids are ignored. Only last_used_at is written, which the change triggers leave
// out, so it does not wake Watch.
func (s *Postgres) TouchTokens(ctx context.Context, used map[string]time.Time) error {
	if err := s.touch(ctx, `
UPDATE tokens AS t SET last_used_at = GREATEST(t.last_used_at, u.at)
FROM unnest($1::text[], $2::timestamptz[]) AS u (id, at)
WHERE t.id = u.id`, used); err != nil {
		return fmt.Errorf("touch tokens: %w", err)
	}
	return nil
}

// touch is TouchTokens and TouchSessions: it runs update, a statement that takes the ids
// ($1, text[]) and times ($2, timestamptz[]) of the entries of times with a non-zero time,
// once. Nothing is sent when there are none. Ids are sent sorted so that replicas touching
// overlapping rows lock them in the same order; a deadlock or serialization failure is
// retried a few times all the same. Errors come back classified.
func (s *Postgres) touch(ctx context.Context, update string, times map[string]time.Time) error {
	ids := make([]string, 0, len(times))
	for id, at := range times {
		if !at.IsZero() {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	ats := make([]time.Time, len(ids))
	for i, id := range ids {
		ats[i] = pgTime(times[id])
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		_, err = s.pool.Exec(ctx, update, ids, ats)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || (pe.Code != "40P01" && pe.Code != "40001") {
			break
		}
	}
	if err != nil {
		return pgClassify(ctx, err)
	}
	return nil
}

// Snapshot returns all functions (by name) and unrevoked tokens (by function, then age),
// read in one REPEATABLE READ transaction so they are consistent with each other.
func (s *Postgres) Snapshot(ctx context.Context) (Snapshot, error) {
	var snap Snapshot
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		if snap.Functions, err = pgListFunctions(ctx, tx); err != nil {
			return err
		}
		snap.Tokens, err = pgQueryTokens(ctx, tx, `SELECT `+pgTokenColumns+` FROM tokens
WHERE revoked_at IS NULL ORDER BY function, created_at, id`)
		return err
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	return snap, nil
}

// read runs fn in a read-only REPEATABLE READ transaction, so its queries share one
// snapshot. ErrNotFound from fn passes through; other errors come back classified.
func (s *Postgres) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return pgClassify(ctx, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // read-only: nothing to commit
	if err := fn(tx); err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		return pgClassify(ctx, err)
	}
	return nil
}

// pgQuerier is what the pool, a connection and a transaction have in common for reads.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func pgListFunctions(ctx context.Context, q pgQuerier) ([]Function, error) {
	rows, err := q.Query(ctx, `SELECT `+pgFunctionColumns+` FROM functions ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	fs := []Function{}
	for rows.Next() {
		f, err := pgScanFunction(rows)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, rows.Err()
}

func pgScanFunction(r scanner) (Function, error) {
	var (
		f                    Function
		timeoutMS            int64
		createdAt, updatedAt time.Time
		previous             string
		origins, toolsets    string
	)
	if err := r.Scan(&f.Name, &f.Upstream, &f.OpenAPIURL, &f.Public, &timeoutMS, &f.MCP,
		&createdAt, &updatedAt, &f.SigningSecret, &previous, &origins,
		&f.MCPMode, &toolsets); err != nil {
		return Function{}, err
	}
	f.CreatedAt = pgTime(createdAt)
	f.UpdatedAt = pgTime(updatedAt)
	return f, f.readColumns(timeoutMS, previous, origins, toolsets)
}

func pgQueryTokens(ctx context.Context, q pgQuerier, query string, args ...any) ([]Token, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ts := []Token{}
	for rows.Next() {
		t, err := pgScanToken(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

func pgScanToken(r scanner) (Token, error) {
	var (
		t                             Token
		hash                          []byte
		createdAt                     time.Time
		lastUsedAt, expiresAt, revoke *time.Time
	)
	if err := r.Scan(&t.ID, &t.Function, &t.Name, &hash, &t.Prefix, &createdAt,
		&lastUsedAt, &expiresAt, &revoke); err != nil {
		return Token{}, err
	}
	if len(hash) != sha256.Size {
		return Token{}, fmt.Errorf("token %q: stored hash has %d bytes, want %d", t.ID, len(hash), sha256.Size)
	}
	copy(t.Hash[:], hash)
	t.CreatedAt = pgTime(createdAt)
	t.LastUsedAt = fromPgTime(lastUsedAt)
	t.ExpiresAt = fromPgTime(expiresAt)
	t.RevokedAt = fromPgTime(revoke)
	return t, nil
}
