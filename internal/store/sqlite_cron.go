package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RotateSecret gives function a new signing secret; the old one signs until now+grace, and
// the previous ones until their own ends. The read and the write share one BEGIN IMMEDIATE
// transaction, so concurrent rotations (from any process) take turns.
func (s *SQLite) RotateSecret(ctx context.Context, function string, grace time.Duration) (Function, error) {
	now := time.Now().Truncate(time.Millisecond)
	var f Function
	err := s.write(ctx, func(tx *sql.Tx) error {
		var current, stored string
		err := tx.QueryRowContext(ctx, `SELECT signing_secret, previous_secrets FROM functions WHERE name = ?`, function).
			Scan(&current, &stored)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		previous, err := decodePreviousSecrets(stored)
		if err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx, `
UPDATE functions SET signing_secret = ?, previous_secrets = ?, updated_at = ?
WHERE name = ? RETURNING `+functionColumns,
			newSigningSecret(), encodePreviousSecrets(rotatedSecrets(now, grace, current, previous)), now.UnixMilli(), function)
		f, err = scanFunction(row)
		return err
	})
	if err != nil {
		return Function{}, fmt.Errorf("rotate signing secret of %q: %w", function, err)
	}
	return f, nil
}

// ClaimCronRun records r unless its function, schedule and fire time were already claimed.
func (s *SQLite) ClaimCronRun(ctx context.Context, r CronRun) (claimed bool, err error) {
	if r.StartedAt.IsZero() {
		r.StartedAt = time.Now()
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM functions WHERE name = ?`, r.Function).Scan(&exists)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("function %q: %w", r.Function, ErrNotFound)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
INSERT INTO cron_runs (function, schedule, expression, fired_at, started_at, timeout_ms, state)
VALUES (?, ?, ?, ?, ?, ?, 'RUNNING')
ON CONFLICT (function, schedule, fired_at) DO NOTHING`,
			r.Function, r.Schedule, r.Expression, r.FiredAt.UnixMilli(), r.StartedAt.UnixMilli(), max(r.Timeout.Milliseconds(), 0))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim cron run %q of %q: %w", r.Schedule, r.Function, err)
	}
	return claimed, nil
}

// FinishCronRun stores a claimed run's outcome and prunes the function's oldest runs.
func (s *SQLite) FinishCronRun(ctx context.Context, r CronRun) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := execOne(ctx, tx, `
UPDATE cron_runs SET state = ?, status = ?, duration_ms = ?, error = ?
WHERE function = ? AND schedule = ? AND fired_at = ?`,
			r.State, r.Status, r.Duration.Milliseconds(), r.Error, r.Function, r.Schedule, r.FiredAt.UnixMilli())
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
DELETE FROM cron_runs WHERE function = ?1 AND id NOT IN (
	SELECT id FROM cron_runs WHERE function = ?1 ORDER BY fired_at DESC, id DESC LIMIT ?2)`,
			r.Function, MaxCronRuns)
		return err
	})
	if err != nil {
		return fmt.Errorf("finish cron run %q of %q: %w", r.Schedule, r.Function, err)
	}
	return nil
}

const cronRunColumns = `function, schedule, expression, fired_at, started_at, timeout_ms, state, status, duration_ms, error`

// ListCronRuns returns function's runs, newest first.
func (s *SQLite) ListCronRuns(ctx context.Context, function string, q CronRunQuery) ([]CronRun, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxCronRuns {
		limit = MaxCronRuns
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list cron runs of %q: %w", function, classify(err))
	}
	defer tx.Rollback() // read-only: nothing to commit
	var exists int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM functions WHERE name = ?`, function).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list cron runs of %q: %w", function, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("list cron runs of %q: %w", function, classify(err))
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+cronRunColumns+` FROM cron_runs
WHERE function = ?1 AND (?2 = '' OR state = ?2) ORDER BY fired_at DESC, id DESC LIMIT ?3`,
		function, q.State, limit)
	if err != nil {
		return nil, fmt.Errorf("list cron runs of %q: %w", function, classify(err))
	}
	defer rows.Close()
	runs := []CronRun{}
	for rows.Next() {
		var (
			r                     CronRun
			firedAt, startedAt    int64
			timeoutMS, durationMS int64
		)
		if err := rows.Scan(&r.Function, &r.Schedule, &r.Expression, &firedAt, &startedAt, &timeoutMS,
			&r.State, &r.Status, &durationMS, &r.Error); err != nil {
			return nil, fmt.Errorf("list cron runs of %q: %w", function, classify(err))
		}
		r.FiredAt, r.StartedAt = fromMillis(firedAt), fromMillis(startedAt)
		r.Timeout = time.Duration(timeoutMS) * time.Millisecond
		r.Duration = time.Duration(durationMS) * time.Millisecond
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cron runs of %q: %w", function, classify(err))
	}
	return runs, nil
}

// FailStaleCronRuns fails the runs still RUNNING whose start plus timeout is before cutoff,
// in one UPDATE (SQLite runs one writer at a time, across processes).
func (s *SQLite) FailStaleCronRuns(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		// started_at < cutoff is implied by the last condition; it lets cron_runs_running
		// serve the query.
		res, err := tx.ExecContext(ctx, `
UPDATE cron_runs SET state = 'ERROR', error = ?1
WHERE state = 'RUNNING' AND started_at < ?2
	AND started_at + CASE WHEN timeout_ms > 0 THEN timeout_ms ELSE ?3 END < ?2`,
			CronServerStopped, cutoff.UnixMilli(), MaxTimeout.Milliseconds())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("fail stale cron runs: %w", err)
	}
	return int(n), nil
}
