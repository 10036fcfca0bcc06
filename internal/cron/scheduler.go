package cron

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// lateSlack is how late the loop may wake for a fire time and still run it. A fire time
// missed by more (the process was stopped, or the machine slept) is skipped, not replayed.
const lateSlack = 30 * time.Second

// A server that dies mid-call never records its run's outcome. Every server therefore
// sweeps the store (at start, then every sweepInterval) for runs still RUNNING whose start
// plus timeout is more than staleMargin ago, and records them as failed. A live run ends
// by its start plus its timeout, then takes at most a few seconds to be recorded; the
// margin covers that and the clocks of different servers disagreeing a little.
const (
	sweepInterval = time.Minute
	staleMargin   = 30 * time.Second
)

// Options configures a Scheduler. Runs is required.
type Options struct {
	// Runs claims each fire time and keeps the run log.
	Runs store.CronRuns
	// Client calls the upstreams; one that follows no redirects when nil. Its Timeout, if
	// any, applies on top of each function's own.
	Client *http.Client
	// Logger receives one line per run and per change of a function's schedules.
	Logger zerolog.Logger
	// Observe, when set, is told every run this process made: its outcome (OutcomeOK, …)
	// and how long the upstream call took. The gateway's metrics plug in here.
	Observe func(function, schedule, outcome string, d time.Duration)
	// ShutdownGrace is how long Run waits, once its context ends, for runs in flight
	// before it cancels them; 10 s when zero.
	ShutdownGrace time.Duration
	// SignatureCompatV1 adds the legacy body-only v1 values after the v2 ones in the
	// X-Jelou-Signature of every run (--signature-compat v1).
	SignatureCompatV1 bool
}

// Outcomes of a run, as Options.Observe receives them.
const (
	OutcomeOK            = "ok"             // the upstream answered 2xx
	OutcomeUpstreamError = "upstream_error" // it answered something else
	OutcomeTimeout       = "timeout"        // it did not answer within the function's timeout
	OutcomeUnreachable   = "unreachable"    // it could not be reached
)

// Scheduler fires the schedules of every function it has been told about. Its methods are
// safe for concurrent use; Sync and Remove never block on the network.
type Scheduler struct {
	runs    store.CronRuns
	client  *http.Client
	log     zerolog.Logger
	observe func(function, schedule, outcome string, d time.Duration)
	grace   time.Duration
	signV1  bool
	// sweepEvery is how often Run looks for runs a stopped server left RUNNING:
	// sweepInterval, which tests shorten.
	sweepEvery time.Duration

	mu   sync.Mutex
	fns  map[string]*target
	wake chan struct{}
}

// target is what the scheduler knows of one function.
type target struct {
	fn        store.Function
	upstream  *url.URL // nil when fn.Upstream is unusable
	timeout   time.Duration
	schedules []*entry
	skipped   []openapi.Skipped
}

// entry is a schedule and its next fire time.
type entry struct {
	Schedule
	next time.Time
}

// New returns a Scheduler that fires nothing until Run.
func New(opts *Options) (*Scheduler, error) {
	if opts == nil || opts.Runs == nil {
		return nil, errors.New("cron: a store for the runs is required")
	}
	s := &Scheduler{
		runs:       opts.Runs,
		client:     opts.Client,
		log:        opts.Logger,
		observe:    opts.Observe,
		grace:      opts.ShutdownGrace,
		signV1:     opts.SignatureCompatV1,
		sweepEvery: sweepInterval,
		fns:        make(map[string]*target),
		wake:       make(chan struct{}, 1),
	}
	if s.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil // upstreams are addressed directly, as the gateway's proxy does
		s.client = &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if s.grace <= 0 {
		s.grace = 10 * time.Second
	}
	return s, nil
}

// Sync sets fn's settings and the schedules of its document (spec; nil while none has
// loaded, which means no schedules). A schedule whose name, expression, time zone and
// operation did not change keeps its next fire time; a new or changed one fires next at its
// first fire time from now. Skipped entries are logged once per change of the document.
func (s *Scheduler) Sync(fn store.Function, spec *openapi.Spec) {
	schedules, skipped := FromSpec(spec)
	t := &target{fn: fn, timeout: fn.EffectiveTimeout(), skipped: skipped}
	if u, err := url.Parse(fn.Upstream); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		u.RawQuery, u.Fragment = "", ""
		t.upstream = u
	}
	now := time.Now()
	s.mu.Lock()
	prev := s.fns[fn.Name]
	for _, sc := range schedules {
		e := &entry{Schedule: sc, next: sc.Next(now)}
		if prev != nil {
			for _, old := range prev.schedules {
				if old.same(sc) {
					e.next = old.next
				}
			}
		}
		t.schedules = append(t.schedules, e)
	}
	s.fns[fn.Name] = t
	s.mu.Unlock()
	s.kick()

	if prev == nil || !sameSchedules(prev.schedules, t.schedules) || !slices.Equal(prev.skipped, t.skipped) {
		for _, sk := range skipped {
			s.log.Warn().Str("function", fn.Name).Str("operation", sk.Operation).Str("reason", sk.Reason).
				Msg("cron schedule skipped")
		}
		if len(t.schedules) > 0 || (prev != nil && len(prev.schedules) > 0) {
			names := make([]string, len(t.schedules))
			for i, e := range t.schedules {
				names[i] = e.Name
			}
			s.log.Info().Str("function", fn.Name).Strs("schedules", names).Msg("cron schedules loaded")
		}
	}
}

// Remove forgets a deleted function; runs in flight finish.
func (s *Scheduler) Remove(function string) {
	s.mu.Lock()
	delete(s.fns, function)
	s.mu.Unlock()
	s.kick()
}

// Schedules returns the schedules of function that run, with their next fire times, and
// the entries skipped.
func (s *Scheduler) Schedules(function string) ([]Schedule, []time.Time, []openapi.Skipped) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.fns[function]
	if t == nil {
		return nil, nil, nil
	}
	scs := make([]Schedule, len(t.schedules))
	next := make([]time.Time, len(t.schedules))
	for i, e := range t.schedules {
		scs[i], next[i] = e.Schedule, e.next
	}
	return scs, next, slices.Clone(t.skipped)
}

func sameSchedules(a, b []*entry) bool {
	return slices.EqualFunc(a, b, func(x, y *entry) bool { return x.same(y.Schedule) })
}

func (s *Scheduler) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// firing is one fire time of one schedule, with what the call needs.
type firing struct {
	fn       store.Function
	upstream *url.URL
	timeout  time.Duration
	sched    Schedule
	at       time.Time
}

// due collects the fire times reached at now, moves those schedules to their next fire
// time, and returns when the loop must wake next (zero when nothing is scheduled).
func (s *Scheduler) due(now time.Time) (fire []firing, wake time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.fns {
		for _, e := range t.schedules {
			if e.next.IsZero() {
				continue
			}
			if !e.next.After(now) {
				if now.Sub(e.next) <= lateSlack {
					fire = append(fire, firing{fn: t.fn, upstream: t.upstream, timeout: t.timeout, sched: e.Schedule, at: e.next})
					e.next = e.Next(e.next)
				}
				if !e.next.After(now) {
					e.next = e.Next(now) // far behind: skip to the future, do not replay
				}
			}
			if !e.next.IsZero() && (wake.IsZero() || e.next.Before(wake)) {
				wake = e.next
			}
		}
	}
	return fire, wake
}

// Run fires schedules until ctx ends. It then waits up to Options.ShutdownGrace for runs in
// flight, cancels what is left, and returns nil once they have been recorded. Meanwhile it
// records as failed the runs that a stopped server (this one before a restart, or another)
// left RUNNING (store.CronRuns.FailStaleCronRuns).
func (s *Scheduler) Run(ctx context.Context) error {
	base, cancelRuns := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelRuns(nil)
	swept := make(chan struct{})
	go func() { defer close(swept); s.sweepLoop(ctx) }()
	defer func() { <-swept }()
	var inflight sync.WaitGroup
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		fire, wake := s.due(now)
		for _, f := range fire {
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				s.fire(base, f)
			}()
		}
		// Wake at the next fire time, and at least once a minute in case the wall clock
		// jumped (timers follow the monotonic clock, fire times the wall clock).
		sleep := time.Minute
		if !wake.IsZero() {
			sleep = min(max(wake.Sub(now), 0), sleep)
		}
		timer.Reset(sleep)
		select {
		case <-ctx.Done():
			done := make(chan struct{})
			go func() { inflight.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(s.grace):
				cancelRuns(errShutdown)
				<-done
			}
			return nil
		case <-timer.C:
		case <-s.wake: // Reset above discards the timer's pending fire (Go 1.23 timers)
		}
	}
}

// sweepLoop calls sweep at once, then every s.sweepEvery until ctx ends.
func (s *Scheduler) sweepLoop(ctx context.Context) {
	t := time.NewTicker(s.sweepEvery)
	defer t.Stop()
	for {
		s.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep records as failed the runs still RUNNING whose timeout ended more than staleMargin
// ago. Every server sweeps; the store changes each run once.
func (s *Scheduler) sweep(ctx context.Context) {
	n, err := s.runs.FailStaleCronRuns(ctx, time.Now().Add(-staleMargin))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error().Err(err).Msg("cron: cannot look for runs a stopped server left running")
		}
		return
	}
	if n > 0 {
		s.log.Warn().Int("runs", n).Str("error", store.CronServerStopped).
			Msg("cron runs left running by a stopped server recorded as failed")
	}
}

// errShutdown is the cause of runs cancelled because the server stopped.
var errShutdown = errors.New("the server shut down during the run")
