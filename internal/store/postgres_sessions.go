package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CreateSession stores s. CreatedAt defaults to now and LastSeenAt to CreatedAt. It returns
// an error wrapping ErrNotFound when the function does not exist (the foreign key says so,
// atomically with the insert), and a plain error when the id is taken.
func (s *Postgres) CreateSession(ctx context.Context, sess Session) error {
	if sess.ID == "" {
		return errors.New("create session: empty id")
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = pgNow()
	}
	if sess.LastSeenAt.IsZero() {
		sess.LastSeenAt = sess.CreatedAt
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO mcp_sessions (id, function, token_hash, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)`,
		sess.ID, sess.Function, sess.TokenHash[:], pgTime(sess.CreatedAt), pgTime(sess.LastSeenAt))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation: mcp_sessions has one FK
		return fmt.Errorf("create session: function %q: %w", sess.Function, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("create session: %w", pgClassify(ctx, err)) // the id stays out of errors
	}
	return nil
}

// GetSession returns the session with id, or ErrNotFound. It is one primary-key read.
func (s *Postgres) GetSession(ctx context.Context, id string) (Session, error) {
	var (
		sess                Session
		hash                []byte
		createdAt, lastSeen time.Time
	)
	err := s.pool.QueryRow(ctx, `
SELECT id, function, token_hash, created_at, last_seen_at FROM mcp_sessions WHERE id = $1`, id).
		Scan(&sess.ID, &sess.Function, &hash, &createdAt, &lastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, fmt.Errorf("get session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("get session: %w", pgClassify(ctx, err))
	}
	if len(hash) != sha256.Size {
		return Session{}, fmt.Errorf("get session: stored token hash has %d bytes, want %d", len(hash), sha256.Size)
	}
	copy(sess.TokenHash[:], hash)
	sess.CreatedAt = pgTime(createdAt)
	sess.LastSeenAt = pgTime(lastSeen)
	return sess, nil
}

// DeleteSession removes the session; ErrNotFound when there is none with that id.
func (s *Postgres) DeleteSession(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mcp_sessions WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete session: %w", pgClassify(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete session: %w", ErrNotFound)
	}
	return nil
}

// TouchSessions records last-seen times in one statement. A stored time never moves
// backwards; unknown ids and zero times are ignored. Ids are sent sorted so that replicas
// touching overlapping sessions lock rows in the same order; a deadlock or serialization
// failure is retried a few times all the same.
func (s *Postgres) TouchSessions(ctx context.Context, seen map[string]time.Time) error {
	ids := make([]string, 0, len(seen))
	for id, at := range seen {
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
		ats[i] = pgTime(seen[id])
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		_, err = s.pool.Exec(ctx, `
UPDATE mcp_sessions AS m SET last_seen_at = GREATEST(m.last_seen_at, u.at)
FROM unnest($1::text[], $2::timestamptz[]) AS u (id, at)
WHERE m.id = u.id`, ids, ats)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || (pe.Code != "40P01" && pe.Code != "40001") {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("touch sessions: %w", pgClassify(ctx, err))
	}
	return nil
}

// DeleteIdleSessions removes every session last seen before idleBefore. Replicas may run it
// at the same moment: each row is deleted once, and the counts add up.
func (s *Postgres) DeleteIdleSessions(ctx context.Context, idleBefore time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mcp_sessions WHERE last_seen_at < $1`, pgTime(idleBefore))
	if err != nil {
		return 0, fmt.Errorf("delete idle sessions: %w", pgClassify(ctx, err))
	}
	return int(tag.RowsAffected()), nil
}
