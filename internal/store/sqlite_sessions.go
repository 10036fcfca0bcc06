package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CreateSession stores s and evicts the least recently used sessions of its function and
// token hash beyond limit, in one BEGIN IMMEDIATE transaction: SQLite runs one writer at a
// time, across every process sharing the file, so concurrent calls never leave more than
// limit sessions. CreatedAt defaults to now and LastSeenAt to CreatedAt. It returns an error
// wrapping ErrNotFound when the function does not exist, and a plain error when the id is
// taken.
func (s *SQLite) CreateSession(ctx context.Context, sess Session, limit int) ([]string, error) {
	if sess.ID == "" {
		return nil, errors.New("create session: empty id")
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = time.Now()
	}
	if sess.LastSeenAt.IsZero() {
		sess.LastSeenAt = sess.CreatedAt
	}
	if limit <= 0 {
		limit = DefaultSessionLimit
	}
	var evicted []string
	err := s.write(ctx, func(tx *sql.Tx) error {
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM functions WHERE name = ?`, sess.Function).Scan(&exists)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("function %q: %w", sess.Function, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `
INSERT INTO mcp_sessions (id, function, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`,
			sess.ID, sess.Function, sess.TokenHash[:], sess.CreatedAt.UnixMilli(), sess.LastSeenAt.UnixMilli()); err != nil {
			return err
		}
		evicted, err = evictSessions(ctx, tx, sess, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err) // the id is a credential of sorts: not in errors
	}
	return evicted, nil
}

// sqliteEvictSessions deletes the sessions of a function and token hash (?1, ?2) other than
// the new one (?3) that are beyond the ?4 most recently used, and returns their ids. It walks
// mcp_sessions_binding backwards, so it reads at most the limit's worth of index entries
// plus the ones it deletes.
const sqliteEvictSessions = `
DELETE FROM mcp_sessions WHERE id IN (
	SELECT id FROM mcp_sessions
	WHERE function = ?1 AND token_hash = ?2 AND id <> ?3
	ORDER BY last_seen_at DESC, created_at DESC, id DESC
	LIMIT -1 OFFSET ?4
) RETURNING id`

func evictSessions(ctx context.Context, tx *sql.Tx, sess Session, limit int) ([]string, error) {
	rows, err := tx.QueryContext(ctx, sqliteEvictSessions, sess.Function, sess.TokenHash[:], sess.ID, limit-1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

const getSessionQuery = `
SELECT id, function, token_hash, created_at, last_seen_at FROM mcp_sessions WHERE id = ?`

// GetSession returns the session with id, or ErrNotFound.
func (s *SQLite) GetSession(ctx context.Context, id string) (Session, error) {
	var (
		sess                Session
		hash                []byte
		createdAt, lastSeen int64
	)
	err := s.getSession.QueryRowContext(ctx, id).Scan(&sess.ID, &sess.Function, &hash, &createdAt, &lastSeen)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("get session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("get session: %w", classify(err))
	}
	if len(hash) != sha256.Size {
		return Session{}, fmt.Errorf("get session: stored token hash has %d bytes, want %d", len(hash), sha256.Size)
	}
	copy(sess.TokenHash[:], hash)
	sess.CreatedAt = fromMillis(createdAt)
	sess.LastSeenAt = fromMillis(lastSeen)
	return sess, nil
}

// DeleteSession removes the session; ErrNotFound when there is none with that id.
func (s *SQLite) DeleteSession(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `DELETE FROM mcp_sessions WHERE id = ?`, id)
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// TouchSessions records last-seen times in one transaction. A stored time never moves
// backwards, and a touched session is Used (at least a millisecond past its creation);
// unknown ids and zero times are ignored.
func (s *SQLite) TouchSessions(ctx context.Context, seen map[string]time.Time) error {
	if err := s.touch(ctx, `UPDATE mcp_sessions
SET last_seen_at = max(last_seen_at, ?1, created_at + 1) WHERE id = ?2`, seen); err != nil {
		return fmt.Errorf("touch sessions: %w", err)
	}
	return nil
}

// DeleteIdleSessions removes every session last seen before idleBefore, and every unused
// one created before unusedBefore (none on that count when it is zero).
func (s *SQLite) DeleteIdleSessions(ctx context.Context, idleBefore, unusedBefore time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM mcp_sessions WHERE last_seen_at < ?`, idleBefore.UnixMilli())
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || unusedBefore.IsZero() {
			return err
		}
		// The condition repeats mcp_sessions_unused's, so that partial index serves it.
		res, err = tx.ExecContext(ctx, `
DELETE FROM mcp_sessions WHERE last_seen_at <= created_at AND created_at < ?`, unusedBefore.UnixMilli())
		if err != nil {
			return err
		}
		unused, err := res.RowsAffected()
		n += unused
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete idle sessions: %w", err)
	}
	return int(n), nil
}
