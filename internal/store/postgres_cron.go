package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// RotateSecret gives function a new signing secret; the old one signs until now+grace, and
// the previous ones until their own ends. It reads the row FOR UPDATE and writes it in one
// transaction, so concurrent rotations (from any replica) take turns and none loses
// another's secret.
func (s *Postgres) RotateSecret(ctx context.Context, function string, grace time.Duration) (Function, error) {
	now := pgNow()
	var f Function
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var current, stored string
		if err := tx.QueryRow(ctx, `SELECT signing_secret, previous_secrets FROM functions WHERE name = $1 FOR UPDATE`, function).
			Scan(&current, &stored); err != nil {
			return err
		}
		previous, err := decodePreviousSecrets(stored)
		if err != nil {
			return err
		}
		row := tx.QueryRow(ctx, `
UPDATE functions SET signing_secret = $1, previous_secrets = $2, updated_at = $3
WHERE name = $4 RETURNING `+pgFunctionColumns,
			newSigningSecret(), encodePreviousSecrets(rotatedSecrets(now, grace, current, previous)), now, function)
		f, err = pgScanFunction(row)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Function{}, fmt.Errorf("rotate signing secret of %q: %w", function, ErrNotFound)
	}
	if err != nil {
		return Function{}, fmt.Errorf("rotate signing secret of %q: %w", function, pgClassify(ctx, err))
	}
	return f, nil
}

// ClaimCronRun records r unless its function, schedule and fire time were already claimed.
// The unique key decides between replicas racing for the same fire time: one INSERT wins,
// the others do nothing.
func (s *Postgres) ClaimCronRun(ctx context.Context, r CronRun) (claimed bool, err error) {
	if r.StartedAt.IsZero() {
		r.StartedAt = pgNow()
	}
	tag, err := s.pool.Exec(ctx, `
INSERT INTO cron_runs (function, schedule, expression, fired_at, started_at, timeout_ms, state)
VALUES ($1, $2, $3, $4, $5, $6, 'RUNNING')
ON CONFLICT (function, schedule, fired_at) DO NOTHING`,
		r.Function, r.Schedule, r.Expression, pgTime(r.FiredAt), pgTime(r.StartedAt), max(r.Timeout.Milliseconds(), 0))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation: cron_runs has one FK
		return false, fmt.Errorf("claim cron run %q: function %q: %w", r.Schedule, r.Function, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("claim cron run %q of %q: %w", r.Schedule, r.Function, pgClassify(ctx, err))
	}
	return tag.RowsAffected() == 1, nil
}

// FinishCronRun stores a claimed run's outcome and prunes the function's oldest runs.
func (s *Postgres) FinishCronRun(ctx context.Context, r CronRun) error {
	tag, err := s.pool.Exec(ctx, `
UPDATE cron_runs SET state = $1, status = $2, duration_ms = $3, error = $4
WHERE function = $5 AND schedule = $6 AND fired_at = $7`,
		r.State, r.Status, r.Duration.Milliseconds(), r.Error, r.Function, r.Schedule, pgTime(r.FiredAt))
	if err != nil {
		return fmt.Errorf("finish cron run %q of %q: %w", r.Schedule, r.Function, pgClassify(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish cron run %q of %q: %w", r.Schedule, r.Function, ErrNotFound)
	}
	if _, err := s.pool.Exec(ctx, `
DELETE FROM cron_runs WHERE function = $1 AND id NOT IN (
	SELECT id FROM cron_runs WHERE function = $1 ORDER BY fired_at DESC, id DESC LIMIT $2)`,
		r.Function, MaxCronRuns); err != nil {
		return fmt.Errorf("prune cron runs of %q: %w", r.Function, pgClassify(ctx, err))
	}
	return nil
}

const pgCronRunColumns = `function, schedule, expression, fired_at, started_at, timeout_ms, state, status, duration_ms, error`

// ListCronRuns returns function's runs, newest first. Both reads see one snapshot.
func (s *Postgres) ListCronRuns(ctx context.Context, function string, q CronRunQuery) ([]CronRun, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxCronRuns {
		limit = MaxCronRuns
	}
	runs := []CronRun{}
	err := s.read(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM functions WHERE name = $1)`, function).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		rows, err := tx.Query(ctx, `SELECT `+pgCronRunColumns+` FROM cron_runs
WHERE function = $1 AND ($2 = '' OR state = $2) ORDER BY fired_at DESC, id DESC LIMIT $3`,
			function, q.State, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				r                     CronRun
				firedAt, startedAt    time.Time
				timeoutMS, durationMS int64
			)
			if err := rows.Scan(&r.Function, &r.Schedule, &r.Expression, &firedAt, &startedAt, &timeoutMS,
				&r.State, &r.Status, &durationMS, &r.Error); err != nil {
				return err
			}
			r.FiredAt, r.StartedAt = pgTime(firedAt), pgTime(startedAt)
			r.Timeout = time.Duration(timeoutMS) * time.Millisecond
			r.Duration = time.Duration(durationMS) * time.Millisecond
			runs = append(runs, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list cron runs of %q: %w", function, err)
	}
	return runs, nil
}

// FailStaleCronRuns fails the runs still RUNNING whose start plus timeout is before cutoff,
// in one UPDATE. Replicas may run it at the same moment: under READ COMMITTED an UPDATE that
// waited for another's row lock checks the row again, finds it no longer RUNNING and skips
// it, so each run is changed (and counted) once.
func (s *Postgres) FailStaleCronRuns(ctx context.Context, cutoff time.Time) (int, error) {
	// started_at < cutoff is implied by the last condition; it lets cron_runs_running serve
	// the query.
	tag, err := s.pool.Exec(ctx, `
UPDATE cron_runs SET state = 'ERROR', error = $1
WHERE state = 'RUNNING' AND started_at < $2
	AND started_at + (CASE WHEN timeout_ms > 0 THEN timeout_ms ELSE $3 END) * interval '1 millisecond' < $2`,
		CronServerStopped, pgTime(cutoff), MaxTimeout.Milliseconds())
	if err != nil {
		return 0, fmt.Errorf("fail stale cron runs: %w", pgClassify(ctx, err))
	}
	return int(tag.RowsAffected()), nil
}
