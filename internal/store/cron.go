package store

import (
	"context"
	"time"
)

// States of a cron run.
const (
	CronRunning = "RUNNING" // claimed, not finished (or the process died mid-run, until FailStaleCronRuns)
	CronOK      = "OK"      // the upstream answered 2xx
	CronError   = "ERROR"   // any other answer, or no answer
)

// CronServerStopped is the Error of a run that FailStaleCronRuns gave up on: the server
// running it stopped before recording its outcome.
const CronServerStopped = "server stopped"

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
	// Timeout is the function's timeout when the run was claimed: the call ends by
	// StartedAt+Timeout. Zero when unknown (runs recorded before it was kept), which
	// FailStaleCronRuns takes as MaxTimeout.
	Timeout  time.Duration
	State    string // CronRunning, CronOK or CronError
	Status   int    // the upstream's HTTP status; 0 when it did not answer
	Duration time.Duration
	Error    string // why the run failed; "" when it did not
}

// CronRunQuery selects runs for ListCronRuns.
type CronRunQuery struct {
	State string // only runs in this state; "" for all
	Limit int    // at most this many, newest first; MaxCronRuns when <= 0
}

// CronRuns claims and records cron runs. Both implementations satisfy it alongside Store.
// None of these calls wakes Watch.
type CronRuns interface {
	// ClaimCronRun records r (Function, Schedule, FiredAt, Expression and Timeout set by the
	// caller; StartedAt defaults to now, State is CronRunning) unless a run with the same function,
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
	// FailStaleCronRuns records as CronError, with Error CronServerStopped, every run still
	// CronRunning whose StartedAt+Timeout (MaxTimeout when Timeout is zero) is before cutoff,
	// and returns how many it changed: a server that dies mid-run never finishes its runs.
	// It writes only rows still CronRunning, each in one atomic update, so any number of
	// servers may call it at once and each run is changed once; a FinishCronRun that comes
	// later still records the real outcome. It does not prune.
	FailStaleCronRuns(ctx context.Context, cutoff time.Time) (int, error)
}
