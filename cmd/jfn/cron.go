package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/cron"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

var cronListCmd = command{
	Name: "cron list", Args: []string{"NAME"}, Run: cronList,
	Usage: `Usage: jfn cron list NAME

Shows the cron schedules that function NAME's OpenAPI document declares (x-jelou-cron on an
operation), fetched now, with their next fire time, and the entries a server skips and why.
`,
}

var cronLogsCmd = command{
	Name: "cron logs", Args: []string{"NAME"}, Flags: cronLogs,
	Usage: `Usage: jfn cron logs NAME [--state ERROR] [--limit 20]

Shows the recent cron runs of function NAME, newest first.
`,
}

// scheduleJSON is one schedule in 'cron list --json'.
type scheduleJSON struct {
	Name       string  `json:"name"`
	Expression string  `json:"expression"`
	Timezone   string  `json:"timezone"`
	Operation  string  `json:"operation"`
	NextAt     *string `json:"next_at"`
}

// skippedJSON is an entry a server does not run, in 'cron list --json'.
type skippedJSON struct {
	Operation string `json:"operation"`
	Reason    string `json:"reason"`
}

func cronList(ctx context.Context, x *invocation) error {
	name := x.Args[0]
	st, err := x.store(ctx)
	if err != nil {
		return err
	}
	f, err := st.GetFunction(ctx, name)
	if err != nil {
		return err
	}
	spec, err := service.FetchSpec(ctx, f)
	if err != nil {
		return fmt.Errorf("cannot load the OpenAPI document of %s: %w", name, err)
	}
	schedules, skipped := cron.FromSpec(spec)
	now := time.Now()
	if x.json {
		out := struct {
			Schedules []scheduleJSON `json:"schedules"`
			Skipped   []skippedJSON  `json:"skipped"`
		}{Schedules: []scheduleJSON{}, Skipped: []skippedJSON{}}
		for _, s := range schedules {
			out.Schedules = append(out.Schedules, scheduleJSON{
				Name: s.Name, Expression: s.Expression, Timezone: s.Timezone,
				Operation: s.Operation(), NextAt: jsonTime(s.Next(now)),
			})
		}
		for _, s := range skipped {
			out.Skipped = append(out.Skipped, skippedJSON{s.Operation, s.Reason})
		}
		return printJSON(x.Stdout, out)
	}
	if len(schedules) == 0 {
		info(x.Stdout, "No cron schedules. Add x-jelou-cron to an operation of %s's OpenAPI document.", name)
	} else {
		tw := table(x.Stdout)
		fmt.Fprintln(tw, "Name\tExpression\tTimezone\tOperation\tNext Run")
		for _, s := range schedules {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Expression, s.Timezone, s.Operation(), clockTime(s.Next(now)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, s := range skipped {
		warn(x.Stdout, "Skipped %s: %s", s.Operation, s.Reason)
	}
	return nil
}

// clockTime formats a fire time for tables, to the second, in local time.
func clockTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// runJSON is one run in 'cron logs --json'.
type runJSON struct {
	Schedule   string  `json:"schedule"`
	FiredAt    *string `json:"fired_at"`
	State      string  `json:"state"`
	Status     *int    `json:"status"` // null when the upstream did not answer
	DurationMS int64   `json:"duration_ms"`
	Error      *string `json:"error"`
}

func cronLogs(fs *flagSet) action {
	state := fs.String("state", "", "only runs in state `S`: OK, ERROR or RUNNING")
	limit := fs.Int("limit", 20, "at most `N` runs, up to 1000")
	return func(ctx context.Context, x *invocation) error {
		return cronLogsRun(ctx, x, *state, *limit)
	}
}

func cronLogsRun(ctx context.Context, x *invocation, state string, limit int) error {
	name := x.Args[0]
	q := store.CronRunQuery{State: strings.ToUpper(state), Limit: limit}
	switch q.State {
	case "", store.CronOK, store.CronError, store.CronRunning:
	default:
		return x.Usagef("invalid --state %q: want OK, ERROR or RUNNING", state)
	}
	if q.Limit < 1 || q.Limit > store.MaxCronRuns {
		return x.Usagef("invalid --limit %d: want 1 to %d", limit, store.MaxCronRuns)
	}
	st, err := x.store(ctx)
	if err != nil {
		return err
	}
	cr, isCron := st.(store.CronRuns)
	if !isCron {
		return fmt.Errorf("the store %s has no cron run log", store.RedactDSN(x.db))
	}
	runs, err := cr.ListCronRuns(ctx, name, q)
	if err != nil {
		return err
	}
	if x.json {
		out := struct {
			Runs []runJSON `json:"runs"`
		}{Runs: []runJSON{}}
		for _, r := range runs {
			j := runJSON{Schedule: r.Schedule, FiredAt: jsonTime(r.FiredAt), State: r.State, DurationMS: r.Duration.Milliseconds()}
			if r.Status != 0 {
				j.Status = &r.Status
			}
			if r.Error != "" {
				j.Error = &r.Error
			}
			out.Runs = append(out.Runs, j)
		}
		return printJSON(x.Stdout, out)
	}
	if len(runs) == 0 {
		if q.State != "" {
			info(x.Stdout, "No %s cron runs for %s.", q.State, name)
		} else {
			info(x.Stdout, "No cron runs for %s yet. See its schedules with 'jfn cron list %s'.", name, name)
		}
		return nil
	}
	tw := table(x.Stdout)
	fmt.Fprintln(tw, "Fired At\tSchedule\tState\tStatus\tDuration\tError")
	for _, r := range runs {
		status := "-"
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		msg := r.Error
		if len(msg) > 80 {
			msg = msg[:80] + "…"
		}
		if msg == "" {
			msg = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", clockTime(r.FiredAt), r.Schedule, r.State, status,
			r.Duration.Round(time.Millisecond), strings.NewReplacer("\n", " ", "\t", " ").Replace(msg))
	}
	return tw.Flush()
}
