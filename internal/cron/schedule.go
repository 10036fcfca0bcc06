// Package cron runs the schedules that functions declare in their OpenAPI documents
// (x-jelou-cron) inside `jfn serve`. It is the only package that uses robfig/cron, and
// only for its expression parser: the firing loop, the claims and the calls are jfn's.
//
// Compile turns a document's entries into Schedules, reporting the ones it cannot run.
// A Scheduler is told each function's settings and document with Sync (the gateway calls
// it whenever a function or its document changes, so schedules follow the document without
// a restart) and fires every schedule from Run:
//
//	s, err := cron.New(&cron.Options{Runs: st, Logger: log})
//	…
//	s.Sync(fn, spec) // whenever fn or its document changes; s.Remove(name) when deleted
//	go s.Run(ctx)
//
// A firing calls the operation on the upstream with body {} and the headers X-Jelou-Trigger:
// cron, X-Jelou-Cron (the expression), X-Jelou-Cron-Name, X-Jelou-Cron-Fire-Time,
// X-Jelou-Function, X-Request-Id and X-Jelou-Signature, bounded by the function's timeout.
// Before calling, the scheduler claims the fire time in the store (store.CronRuns): with
// several servers on one database every server tries and exactly one runs it. Fire times
// are computed from now when a schedule appears, so runs missed while no server was up are
// not replayed. @every schedules are aligned to the Unix epoch, so that every server
// computes the same fire times whenever it started.
package cron

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even on machines without a zoneinfo database

	robfig "github.com/robfig/cron/v3"

	"github.com/jfnhq/jfn/openapi"
)

// MaxSchedules is how many schedules of one function run; the rest are reported.
const MaxSchedules = 10

// parser accepts the standard 5-field expressions and the descriptors (@hourly, @daily,
// @every 30s, …). Seconds fields are not accepted.
var parser = robfig.NewParser(robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)

// Schedule is a validated schedule of a function: when it fires and the operation it calls.
type Schedule struct {
	Name       string
	Expression string
	Timezone   string // an IANA zone; "UTC" when the document gave none
	Method     string
	Path       string

	next func(after time.Time) time.Time
}

// Operation names the operation the schedule calls, "METHOD /path".
func (s Schedule) Operation() string { return s.Method + " " + s.Path }

// Next returns the first fire time strictly after t; the zero time when there is none.
func (s Schedule) Next(t time.Time) time.Time {
	if s.next == nil {
		return time.Time{}
	}
	return s.next(t)
}

// same reports whether a and b fire the same operation at the same times.
func (s Schedule) same(o Schedule) bool {
	return s.Name == o.Name && s.Expression == o.Expression && s.Timezone == o.Timezone &&
		s.Method == o.Method && s.Path == o.Path
}

// FromSpec compiles the schedules of a loaded document; nil and no problems when spec is nil.
func FromSpec(spec *openapi.Spec) ([]Schedule, []openapi.Skipped) {
	if spec == nil {
		return nil, nil
	}
	return Compile(spec.CronSchedules())
}

// Compile validates entries (as openapi.Spec.CronSchedules returns them) and returns the
// schedules to run, in order, and what it skipped with the reason: the skipped entries it
// was given, then entries whose expression or time zone is invalid, whose path has
// parameters a cron call cannot fill, that never fire, or that come after the first
// MaxSchedules. It never fails: a bad entry disables only itself.
func Compile(entries []openapi.Schedule, skipped []openapi.Skipped) ([]Schedule, []openapi.Skipped) {
	var out []Schedule
	now := time.Now()
	for _, e := range entries {
		op := e.Method + " " + e.Path
		s, err := compile(e)
		if err == nil && s.Next(now).IsZero() {
			err = fmt.Errorf("expression %q never matches a date", e.Expression)
		}
		if err == nil && len(out) == MaxSchedules {
			err = fmt.Errorf("a function runs at most %d schedules", MaxSchedules)
		}
		if err != nil {
			skipped = append(skipped, openapi.Skipped{Operation: op, Reason: fmt.Sprintf("x-jelou-cron %q: %v", e.Name, err)})
			continue
		}
		out = append(out, s)
	}
	return out, skipped
}

// compile validates one entry.
func compile(e openapi.Schedule) (s Schedule, err error) {
	s = Schedule{Name: e.Name, Expression: e.Expression, Timezone: e.Timezone, Method: e.Method, Path: e.Path}
	if s.Timezone == "" {
		s.Timezone = "UTC"
	}
	if strings.ContainsAny(e.Path, "{}") {
		return s, fmt.Errorf("the path %s has parameters, which a cron call cannot fill", e.Path)
	}
	if s.Timezone == "Local" {
		return s, fmt.Errorf("time zone %q is not allowed: name an IANA zone such as America/Guayaquil", s.Timezone)
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return s, fmt.Errorf("unknown time zone %q: name an IANA zone such as America/Guayaquil", s.Timezone)
	}
	s.next, err = parse(e.Expression, loc)
	return s, err
}

// parse turns an expression into its next-fire-time function in loc.
func parse(expr string, loc *time.Location) (next func(time.Time) time.Time, err error) {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("expression %q sets a time zone: use the timezone field instead", expr)
	}
	defer func() {
		// The parser is third-party code fed untrusted input: a panic there must only
		// disable this schedule.
		if p := recover(); p != nil {
			next, err = nil, fmt.Errorf("expression %q is not valid", expr)
		}
	}()
	sched, err := parser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("expression %q is not valid: %v (want 5 fields, such as \"0 9 * * 1-5\", or @hourly, @daily, @every 30s)", expr, err)
	}
	switch sc := sched.(type) {
	case *robfig.SpecSchedule:
		sc.Location = loc
		return sc.Next, nil
	case robfig.ConstantDelaySchedule:
		d, derr := everyDuration(expr)
		if derr != nil {
			return nil, derr
		}
		return func(t time.Time) time.Time { return alignedNext(t, d) }, nil
	}
	return nil, fmt.Errorf("expression %q is not supported", expr)
}

// everyDuration checks an @every duration: whole seconds, at least one. The parser would
// round anything else silently.
func everyDuration(expr string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(expr, "@every")))
	if err != nil || d < time.Second || d%time.Second != 0 {
		return 0, fmt.Errorf("expression %q: @every needs a whole number of seconds, at least 1s", expr)
	}
	return d, nil
}

// alignedNext returns the first multiple of d since the Unix epoch strictly after t, so
// that servers started at different moments agree on an @every schedule's fire times.
func alignedNext(t time.Time, d time.Duration) time.Time {
	sec := int64(d / time.Second)
	return time.Unix((t.Unix()/sec+1)*sec, 0).UTC() // times before 1970 do not occur here
}
