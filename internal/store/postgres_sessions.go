package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CreateSession stores s and evicts the least recently used sessions of its function and
// token hash beyond limit. CreatedAt defaults to now and LastSeenAt to CreatedAt. It returns
// an error wrapping ErrNotFound when the function does not exist (the foreign key says so,
// atomically with the insert), and a plain error when the id is taken.
//
// Replicas open sessions of one token at the same time, and under READ COMMITTED each would
// count the others' rows without the ones not yet committed, so all could keep limit. The
// three statements therefore run in one transaction that first takes a transaction-scoped
// advisory lock on the (schema, function, token hash): creations for one binding take turns,
// each sees every row committed before it, and the lock ends with the transaction, even if
// the connection dies. Other bindings never wait (but for a 64-bit key collision, which only
// serialises). The two-key form keeps these keys apart from pgMigrationLock's one-key space.
//
// The statements go in one batch: pgx sends them with a single Sync, so they run as one
// implicit transaction in one round trip. A deadlock with a concurrent TouchSessions or
// sweep (which lock rows in other orders) is retried a few times.
func (s *Postgres) CreateSession(ctx context.Context, sess Session, limit int) ([]string, error) {
	if sess.ID == "" {
		return nil, errors.New("create session: empty id")
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = pgNow()
	}
	if sess.LastSeenAt.IsZero() {
		sess.LastSeenAt = sess.CreatedAt
	}
	if limit <= 0 {
		limit = DefaultSessionLimit
	}
	k1, k2 := sessionLockKeys(s.schema, sess.Function, sess.TokenHash)
	var (
		evicted []string
		err     error
	)
	for attempt := 0; attempt < 3; attempt++ {
		evicted, err = s.createSession(ctx, sess, limit, k1, k2)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || (pe.Code != "40P01" && pe.Code != "40001") {
			break
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation: mcp_sessions has one FK
		return nil, fmt.Errorf("create session: function %q: %w", sess.Function, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("create session: %w", pgClassify(ctx, err)) // the id stays out of errors
	}
	return evicted, nil
}

func (s *Postgres) createSession(ctx context.Context, sess Session, limit int, k1, k2 int32) ([]string, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, k1, k2)
	b.Queue(`
INSERT INTO mcp_sessions (id, function, token_hash, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)`,
		sess.ID, sess.Function, sess.TokenHash[:], pgTime(sess.CreatedAt), pgTime(sess.LastSeenAt))
	// The sessions of the binding other than the new one that are beyond the limit-1 most
	// recently used, found by walking mcp_sessions_binding backwards.
	b.Queue(`
DELETE FROM mcp_sessions WHERE id IN (
	SELECT id FROM mcp_sessions
	WHERE function = $1 AND token_hash = $2 AND id <> $3
	ORDER BY last_seen_at DESC, created_at DESC, id DESC
	OFFSET $4
) RETURNING id`, sess.Function, sess.TokenHash[:], sess.ID, limit-1)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	evicted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	return evicted, br.Close()
}

// sessionLockKeys returns the advisory lock keys of a binding: 64 bits of a SHA-256 of the
// schema, the function and the token hash.
func sessionLockKeys(schema, function string, tokenHash [sha256.Size]byte) (int32, int32) {
	h := sha256.New()
	h.Write([]byte(schema))
	h.Write([]byte{0})
	h.Write([]byte(function))
	h.Write([]byte{0})
	h.Write(tokenHash[:])
	sum := h.Sum(nil)
	return int32(binary.BigEndian.Uint32(sum[0:4])), int32(binary.BigEndian.Uint32(sum[4:8]))
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
// backwards, and a touched session is Used (at least a millisecond past its creation);
// unknown ids and zero times are ignored. Like TouchTokens (touch), it locks rows in id
// order and retries a deadlock.
func (s *Postgres) TouchSessions(ctx context.Context, seen map[string]time.Time) error {
	if err := s.touch(ctx, `
UPDATE mcp_sessions AS m SET last_seen_at = GREATEST(m.last_seen_at, u.at, m.created_at + interval '1 millisecond')
FROM unnest($1::text[], $2::timestamptz[]) AS u (id, at)
WHERE m.id = u.id`, seen); err != nil {
		return fmt.Errorf("touch sessions: %w", err)
	}
	return nil
}

// DeleteIdleSessions removes every session last seen before idleBefore, and every unused
// one created before unusedBefore (none on that count when it is zero). Replicas may run it
// at the same moment: each row is deleted once, and the counts add up.
func (s *Postgres) DeleteIdleSessions(ctx context.Context, idleBefore, unusedBefore time.Time) (int, error) {
	var unused *time.Time // NULL: the second condition never holds
	if !unusedBefore.IsZero() {
		u := pgTime(unusedBefore)
		unused = &u
	}
	// The second condition repeats mcp_sessions_unused's, so that partial index serves it.
	tag, err := s.pool.Exec(ctx, `
DELETE FROM mcp_sessions
WHERE last_seen_at < $1 OR (last_seen_at <= created_at AND created_at < $2)`, pgTime(idleBefore), unused)
	if err != nil {
		return 0, fmt.Errorf("delete idle sessions: %w", pgClassify(ctx, err))
	}
	return int(tag.RowsAffected()), nil
}
