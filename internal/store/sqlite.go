package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeout is how long a statement waits for another connection's (or process's) write
// lock before failing with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// maxIdleConns is how many pooled connections stay open between queries.
const maxIdleConns = 16

// SQLite is the embedded Store: one database file in WAL mode that the CLI and a running
// server share. It is safe for concurrent use by many goroutines and many processes.
type SQLite struct {
	db   *sql.DB
	path string
	// getSession is GetSession's query, prepared once: it runs on every MCP request, and
	// preparing it each time cost as much CPU as running it.
	getSession *sql.Stmt

	closeOnce sync.Once
	done      chan struct{} // closed by Close; stops Watch pollers
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating if needed) the SQLite database at path and brings its schema up
// to date. The parent directory and the file are created when absent, readable only by the
// current user, since the file holds token hashes. Every pooled connection runs in WAL mode
// with busy_timeout, foreign keys on and synchronous=NORMAL, and starts its write
// transactions with BEGIN IMMEDIATE.
//
// Errors that mean the file cannot be opened or read wrap ErrUnreachable.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	if path == ":memory:" {
		// Every pooled connection would get its own empty database; a temp file is the way.
		return nil, errors.New("open sqlite: in-memory databases are not supported, use a file path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w: %w", path, ErrUnreachable, err)
	}
	// Create the file ourselves so it gets 0600; SQLite gives the -wal and -shm files the
	// same mode as the database file.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w: %w", path, ErrUnreachable, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w: %w", path, ErrUnreachable, err)
	}

	db, err := sql.Open("sqlite", sqliteDSN(abs))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	// database/sql keeps 2 idle connections by default: under concurrent reads (an MCP
	// session lookup per request) every other connection was closed after one query and
	// reopened for the next, running the DSN's pragmas again each time.
	db.SetMaxIdleConns(maxIdleConns)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	getSession, err := db.PrepareContext(ctx, getSessionQuery)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, classify(err))
	}
	return &SQLite{db: db, path: abs, getSession: getSession, done: make(chan struct{})}, nil
}

// sqliteDSN builds the modernc.org/sqlite DSN for the file at abs. The file: URI form keeps
// paths containing '?' or '#' intact; the _pragma parameters run on every new pooled
// connection (busy_timeout first), and _txlock makes db.BeginTx issue BEGIN IMMEDIATE for
// every non-read-only transaction, so a writer waits for the lock up front instead of failing
// with SQLITE_BUSY when it upgrades from reading to writing.
func sqliteDSN(abs string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// Path returns the absolute path of the database file.
func (s *SQLite) Path() string { return s.path }

// Close stops every Watch poller and closes the database.
func (s *SQLite) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		s.getSession.Close()
		err = s.db.Close()
	})
	if err != nil {
		return fmt.Errorf("close sqlite: %w", err)
	}
	return nil
}

// Ping checks that the database file can be read by running a trivial query on it.
func (s *SQLite) Ping(ctx context.Context) error {
	if _, err := s.generation(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// PutFunction inserts or updates f, matched by name. On insert CreatedAt is f.CreatedAt, or
// now when zero, and the signing secret is f.SigningSecret, or a new one when empty; on update
// the stored CreatedAt and secrets are kept. UpdatedAt is always now.
func (s *SQLite) PutFunction(ctx context.Context, f Function) (created bool, err error) {
	if f.Name == "" {
		return false, errors.New("put function: empty name")
	}
	if f.Timeout < 0 {
		return false, fmt.Errorf("put function %q: negative timeout %v", f.Name, f.Timeout)
	}
	secret := f.SigningSecret
	if secret == "" {
		secret = newSigningSecret()
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		created, err = putFunction(ctx, tx, f, secret)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("put function %q: %w", f.Name, err)
	}
	return created, nil
}

// PatchFunction reads, changes and writes the function in one write transaction, which
// SQLite runs one at a time (BEGIN IMMEDIATE).
func (s *SQLite) PatchFunction(ctx context.Context, name string, p FunctionPatch, create bool) (f Function, created bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		f, err = scanFunction(tx.QueryRowContext(ctx, `SELECT `+functionColumns+` FROM functions WHERE name = ?`, name))
		switch {
		case errors.Is(err, sql.ErrNoRows) && create:
			f = Function{Name: name, Timeout: DefaultTimeout, MCP: true, SigningSecret: newSigningSecret()}
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		}
		p.Apply(&f)
		if f.Timeout < 0 {
			return fmt.Errorf("negative timeout %v", f.Timeout)
		}
		if created, err = putFunction(ctx, tx, f, f.SigningSecret); err != nil {
			return err
		}
		f, err = scanFunction(tx.QueryRowContext(ctx, `SELECT `+functionColumns+` FROM functions WHERE name = ?`, name))
		return err
	})
	if err != nil {
		return Function{}, false, fmt.Errorf("patch function %q: %w", name, err)
	}
	return f, created, nil
}

// putFunction is PutFunction's write, in tx.
func putFunction(ctx context.Context, tx *sql.Tx, f Function, secret string) (created bool, err error) {
	now := time.Now().UnixMilli()
	// A row without a secret (none should exist after migration 3) gets one on update.
	res, err := tx.ExecContext(ctx, `
UPDATE functions
SET upstream = ?, openapi_url = ?, public = ?, timeout_ms = ?, mcp = ?, cors_origins = ?, mcp_mode = ?, mcp_toolsets = ?, updated_at = ?,
	signing_secret = CASE WHEN signing_secret = '' THEN ? ELSE signing_secret END
WHERE name = ?`,
		f.Upstream, f.OpenAPIURL, f.Public, f.Timeout.Milliseconds(), f.MCP, joinOrigins(f.CORSOrigins), f.MCPMode, joinOrigins(f.MCPToolsets), now, secret, f.Name)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, err
	} else if n > 0 {
		return false, nil
	}
	createdAt := now
	if !f.CreatedAt.IsZero() {
		createdAt = f.CreatedAt.UnixMilli()
	}
	if _, err := tx.ExecContext(ctx, `
INSERT INTO functions (name, upstream, openapi_url, public, timeout_ms, mcp, cors_origins, mcp_mode, mcp_toolsets, created_at, updated_at, signing_secret)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.Name, f.Upstream, f.OpenAPIURL, f.Public, f.Timeout.Milliseconds(), f.MCP, joinOrigins(f.CORSOrigins),
		f.MCPMode, joinOrigins(f.MCPToolsets), createdAt, now, secret); err != nil {
		return false, err
	}
	return true, nil
}

const functionColumns = `name, upstream, openapi_url, public, timeout_ms, mcp, created_at, updated_at,
signing_secret, previous_secrets, cors_origins, mcp_mode, mcp_toolsets`

// GetFunction returns the named function or ErrNotFound.
func (s *SQLite) GetFunction(ctx context.Context, name string) (Function, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+functionColumns+` FROM functions WHERE name = ?`, name)
	f, err := scanFunction(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Function{}, fmt.Errorf("get function %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Function{}, fmt.Errorf("get function %q: %w", name, classify(err))
	}
	return f, nil
}

// TouchFunction moves the function's updated_at to at, or a millisecond past the stored one.
func (s *SQLite) TouchFunction(ctx context.Context, name string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE functions SET updated_at = max(updated_at + 1, ?) WHERE name = ?`, at.UnixMilli(), name)
	})
	if err != nil {
		return fmt.Errorf("touch function %q: %w", name, err)
	}
	return nil
}

// ListFunctions returns all functions ordered by name.
func (s *SQLite) ListFunctions(ctx context.Context) ([]Function, error) {
	fs, err := listFunctions(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", classify(err))
	}
	return fs, nil
}

// DeleteFunction removes the function and, by ON DELETE CASCADE, all its tokens and MCP
// sessions. It returns
// ErrNotFound when the function does not exist.
func (s *SQLite) DeleteFunction(ctx context.Context, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM functions WHERE name = ?`, name)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete function %q: %w", name, err)
	}
	return nil
}

// CreateToken stores t. CreatedAt defaults to now; LastUsedAt, ExpiresAt and RevokedAt are
// stored as given (zero means unset). It returns an error wrapping ErrNotFound when the
// function does not exist, and a plain error when the id or the hash is already taken.
func (s *SQLite) CreateToken(ctx context.Context, t Token) error {
	if t.ID == "" {
		return errors.New("create token: empty id")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM functions WHERE name = ?`, t.Function).Scan(&exists)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("function %q: %w", t.Function, ErrNotFound)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
INSERT INTO tokens (id, function, name, hash, prefix, created_at, last_used_at, expires_at, revoked_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Function, t.Name, t.Hash[:], t.Prefix, t.CreatedAt.UnixMilli(),
			nullMillis(t.LastUsedAt), nullMillis(t.ExpiresAt), nullMillis(t.RevokedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.ID, err)
	}
	return nil
}

const tokenColumns = `id, function, name, hash, prefix, created_at, last_used_at, expires_at, revoked_at`

// ListTokens returns the unrevoked tokens of function, expired ones included, oldest first.
// It returns ErrNotFound when the function does not exist.
func (s *SQLite) ListTokens(ctx context.Context, function string) ([]Token, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list tokens of %q: %w", function, classify(err))
	}
	defer tx.Rollback() // read-only: nothing to commit

	var exists int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM functions WHERE name = ?`, function).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list tokens of %q: %w", function, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("list tokens of %q: %w", function, classify(err))
	}
	ts, err := queryTokens(ctx, tx, `SELECT `+tokenColumns+` FROM tokens
WHERE function = ? AND revoked_at IS NULL ORDER BY created_at, id`, function)
	if err != nil {
		return nil, fmt.Errorf("list tokens of %q: %w", function, classify(err))
	}
	return ts, nil
}

// RevokeToken marks the token revoked now and returns it. It returns ErrNotFound when
// function has no unrevoked token with that id (unknown, already revoked, or another
// function's).
func (s *SQLite) RevokeToken(ctx context.Context, function, id string) (Token, error) {
	var t Token
	err := s.write(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `UPDATE tokens SET revoked_at = ?
WHERE id = ? AND function = ? AND revoked_at IS NULL RETURNING `+tokenColumns,
			time.Now().UnixMilli(), id, function)
		var err error
		t, err = scanToken(row)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %q of %q: %w", id, function, err)
	}
	return t, nil
}

// TouchTokens records last-used times in one transaction. A stored time is never moved
// backwards, so servers flushing in any order keep the latest. Unknown ids are ignored.
// It does not wake Watch.
func (s *SQLite) TouchTokens(ctx context.Context, used map[string]time.Time) error {
	if err := s.touch(ctx, `UPDATE tokens
SET last_used_at = max(coalesce(last_used_at, ?1), ?1) WHERE id = ?2`, used); err != nil {
		return fmt.Errorf("touch tokens: %w", err)
	}
	return nil
}

// touch is TouchTokens and TouchSessions: it runs update, a statement that takes the time
// in unix milliseconds as ?1 and the id as ?2, once per entry of times with a non-zero time,
// all in one transaction. Nothing is written when times is empty.
func (s *SQLite) touch(ctx context.Context, update string, times map[string]time.Time) error {
	if len(times) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, update)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for id, at := range times {
			if at.IsZero() {
				continue
			}
			if _, err := stmt.ExecContext(ctx, at.UnixMilli(), id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Snapshot returns all functions (by name) and unrevoked tokens (by function, then age),
// read in one transaction so they are consistent with each other.
func (s *SQLite) Snapshot(ctx context.Context) (Snapshot, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: %w", classify(err))
	}
	defer tx.Rollback() // read-only: nothing to commit

	fs, err := listFunctions(ctx, tx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: %w", classify(err))
	}
	ts, err := queryTokens(ctx, tx, `SELECT `+tokenColumns+` FROM tokens
WHERE revoked_at IS NULL ORDER BY function, created_at, id`)
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: %w", classify(err))
	}
	return Snapshot{Functions: fs, Tokens: ts}, nil
}

// write runs fn in a BEGIN IMMEDIATE transaction and commits it. Errors from fn and from the
// driver come back classified (ErrUnreachable where it applies).
func (s *SQLite) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	if err := tx.Commit(); err != nil {
		return classify(err)
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common for reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

func listFunctions(ctx context.Context, q querier) ([]Function, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+functionColumns+` FROM functions ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	fs := []Function{}
	for rows.Next() {
		f, err := scanFunction(rows)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, rows.Err()
}

func scanFunction(r scanner) (Function, error) {
	var (
		f                    Function
		timeoutMS            int64
		createdAt, updatedAt int64
		previous             string
		origins, toolsets    string
	)
	if err := r.Scan(&f.Name, &f.Upstream, &f.OpenAPIURL, &f.Public, &timeoutMS, &f.MCP,
		&createdAt, &updatedAt, &f.SigningSecret, &previous, &origins,
		&f.MCPMode, &toolsets); err != nil {
		return Function{}, err
	}
	f.CreatedAt = fromMillis(createdAt)
	f.UpdatedAt = fromMillis(updatedAt)
	return f, f.readColumns(timeoutMS, previous, origins, toolsets)
}

// readColumns sets the fields both databases store as text or milliseconds.
func (f *Function) readColumns(timeoutMS int64, previous, origins, toolsets string) error {
	var err error
	if f.PreviousSecrets, err = decodePreviousSecrets(previous); err != nil {
		return fmt.Errorf("function %q: %w", f.Name, err)
	}
	f.CORSOrigins = splitOrigins(origins)
	f.MCPToolsets = splitOrigins(toolsets)
	f.Timeout = time.Duration(timeoutMS) * time.Millisecond
	return nil
}

func queryTokens(ctx context.Context, q querier, query string, args ...any) ([]Token, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ts := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

func scanToken(r scanner) (Token, error) {
	var (
		t                             Token
		hash                          []byte
		createdAt                     int64
		lastUsedAt, expiresAt, revoke sql.NullInt64
	)
	if err := r.Scan(&t.ID, &t.Function, &t.Name, &hash, &t.Prefix, &createdAt,
		&lastUsedAt, &expiresAt, &revoke); err != nil {
		return Token{}, err
	}
	if len(hash) != sha256.Size {
		return Token{}, fmt.Errorf("token %q: stored hash has %d bytes, want %d", t.ID, len(hash), sha256.Size)
	}
	copy(t.Hash[:], hash)
	t.CreatedAt = fromMillis(createdAt)
	t.LastUsedAt = fromNullMillis(lastUsedAt)
	t.ExpiresAt = fromNullMillis(expiresAt)
	t.RevokedAt = fromNullMillis(revoke)
	return t, nil
}

// nullMillis stores a zero time as NULL and any other as unix milliseconds.
func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func fromNullMillis(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMillis(n.Int64)
}

// classify wraps err with ErrUnreachable when SQLite reports that the file cannot be opened,
// read or locked in time: the store is then unavailable rather than the request wrong.
// isBusy reports whether err is SQLite's SQLITE_BUSY.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

func classify(err error) error {
	if err == nil || errors.Is(err, ErrUnreachable) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // extended result codes are on; the low byte is the primary code
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOTADB,
			sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH,
			sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
	}
	return err
}

// execOne runs a statement that must change at least one row: ErrNotFound when it changed none.
func execOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}
