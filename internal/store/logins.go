package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConsoleLogins keeps the web console's logins, so that every server on the store shares
// them: a login holds on any replica and across restarts, and a logout on one ends it on
// all. Only a hash of a login's cookie is stored. Both implementations satisfy it
// alongside Store; none of these calls wakes Watch.
type ConsoleLogins interface {
	// CreateLogin stores a login that lasts until expires, and deletes the expired ones.
	CreateLogin(ctx context.Context, hash [32]byte, expires time.Time) error
	// LoginExpiry returns when the login ends, or an error wrapping ErrNotFound when there is
	// none (never created, logged out, or swept after it expired).
	LoginExpiry(ctx context.Context, hash [32]byte) (time.Time, error)
	// DeleteLogin ends the login; one that is not there is not an error.
	DeleteLogin(ctx context.Context, hash [32]byte) error
}

var (
	_ ConsoleLogins = (*SQLite)(nil)
	_ ConsoleLogins = (*Postgres)(nil)
)

// CreateLogin stores a login and deletes the expired ones, in one write transaction.
func (s *SQLite) CreateLogin(ctx context.Context, hash [32]byte, expires time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_logins WHERE expires_at <= ?`, time.Now().UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO console_logins (hash, expires_at) VALUES (?, ?)`, hash[:], expires.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("create console login: %w", err)
	}
	return nil
}

// LoginExpiry returns when the login ends.
func (s *SQLite) LoginExpiry(ctx context.Context, hash [32]byte) (time.Time, error) {
	var ms int64
	err := s.db.QueryRowContext(ctx, `SELECT expires_at FROM console_logins WHERE hash = ?`, hash[:]).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("console login: %w", ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("console login: %w", classify(err))
	}
	return fromMillis(ms), nil
}

// DeleteLogin ends the login.
func (s *SQLite) DeleteLogin(ctx context.Context, hash [32]byte) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM console_logins WHERE hash = ?`, hash[:])
		return err
	})
	if err != nil {
		return fmt.Errorf("delete console login: %w", err)
	}
	return nil
}

// CreateLogin stores a login and deletes the expired ones, in one transaction.
func (s *Postgres) CreateLogin(ctx context.Context, hash [32]byte, expires time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_logins WHERE expires_at <= now()`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO console_logins (hash, expires_at) VALUES ($1, $2)`, hash[:], expires)
		return err
	})
	if err != nil {
		return fmt.Errorf("create console login: %w", pgClassify(ctx, err))
	}
	return nil
}

// LoginExpiry returns when the login ends.
func (s *Postgres) LoginExpiry(ctx context.Context, hash [32]byte) (time.Time, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT expires_at FROM console_logins WHERE hash = $1`, hash[:]).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("console login: %w", ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("console login: %w", pgClassify(ctx, err))
	}
	return pgTime(at), nil
}

// DeleteLogin ends the login.
func (s *Postgres) DeleteLogin(ctx context.Context, hash [32]byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_logins WHERE hash = $1`, hash[:]); err != nil {
		return fmt.Errorf("delete console login: %w", pgClassify(ctx, err))
	}
	return nil
}
