package store

import (
	"context"
	"time"
)

// States of a cron run.
const (
	CronRunning = "RUNNING" // claimed, not finished (or the process died mid-run)
	CronOK      = "OK"      // the upstream answered 2xx
	CronError   = "ERROR"   // any other answer, or no answer
)

// MaxCronRuns is how many runs the store keeps per function; older ones are pruned.
const MaxCronRuns = 1000

// CronRun is one firing of a function's cron schedule. Function, Schedule and FiredAt are
// its key: each fire time of a schedule is claimed once, whichever server fires it.
type CronRun struct {
	Function   string
	Schedule   string    // the schedule's name
	Expression string    // the schedule's expression when it fired
	FiredAt    time.Time // the fire time the run was scheduled for
	StartedAt  time.Time // when it was claimed
	State      string    // CronRunning, CronOK or CronError
	Status     int       // the upstream's HTTP status; 0 when it did not answer
	Duration   time.Duration
	Error      string // why the run failed; "" when it did not
}

// CronRunQuery selects runs for ListCronRuns.
type CronRunQuery struct {
	State string // only runs in this state; "" for all
	Limit int    // at most this many, newest first; MaxCronRuns when <= 0
}

// CronRuns claims and records cron runs. Both implementations satisfy it alongside Store.
// None of these calls wakes Watch.
type CronRuns interface {
	// ClaimCronRun records r (Function, Schedule, FiredAt and Expression set by the caller;
	// StartedAt defaults to now, State is CronRunning) unless a run with the same function,
	// schedule and fire time exists. It reports whether this call claimed it: with several
	// servers on one store, exactly one claim per fire time succeeds. It returns an error
	// wrapping ErrNotFound when the function does not exist.
	ClaimCronRun(ctx context.Context, r CronRun) (claimed bool, err error)
	// FinishCronRun stores the outcome of a claimed run (State, Status, Duration, Error),
	// found by its key, and prunes the function's runs beyond MaxCronRuns, oldest first.
	// ErrNotFound when there is no such run (its function was deleted meanwhile).
	FinishCronRun(ctx context.Context, r CronRun) error
	// ListCronRuns returns function's runs, newest fire time first. ErrNotFound when the
	// function does not exist.
	ListCronRuns(ctx context.Context, function string, q CronRunQuery) ([]CronRun, error)
}
