package cron

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
)

// cronBody is what every cron call sends: the operation gets an empty JSON object.
var cronBody = []byte("{}")

// maxErrorBody bounds how much of a failed answer is read (and drained) per run.
const maxErrorBody = 64 << 10

// errTimeout is the cause of a call that exceeded the function's timeout.
var errTimeout = errors.New("timed out")

// result is what became of one call.
type result struct {
	status  int
	outcome string
	err     string
}

// fire claims f's fire time and, when this process won the claim, calls the upstream and
// records the run. Claim failures are logged and the fire time is left to other servers.
func (s *Scheduler) fire(ctx context.Context, f firing) {
	name := f.fn.Name
	run := store.CronRun{Function: name, Schedule: f.sched.Name, Expression: f.sched.Expression, FiredAt: f.at, Timeout: f.timeout}
	claimed, err := s.runs.ClaimCronRun(ctx, run)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil { // a deleted function: nothing to run
			s.log.Error().Str("function", name).Str("schedule", f.sched.Name).Time("fired_at", f.at).Err(err).
				Msg("cron run not claimed; skipped")
		}
		return
	}
	if !claimed {
		return // another server runs it
	}
	requestID := uuid.NewString()
	start := time.Now()
	res := s.call(ctx, f, requestID)
	d := time.Since(start)

	run.Status, run.Duration, run.Error, run.State = res.status, d, res.err, store.CronOK
	if res.outcome != OutcomeOK {
		run.State = store.CronError
	}
	// The run is recorded even when the server is shutting down.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	recErr := s.runs.FinishCronRun(rctx, run)
	if s.observe != nil {
		s.observe(name, f.sched.Name, res.outcome, d)
	}
	ev := s.log.Info()
	if res.outcome != OutcomeOK {
		ev = s.log.Warn().Str("error", res.err)
	}
	if recErr != nil && !errors.Is(recErr, store.ErrNotFound) {
		ev = s.log.Error().Str("error", res.err).AnErr("record_error", recErr)
	}
	ev.Str("function", name).Str("schedule", f.sched.Name).Str("operation", f.sched.Operation()).
		Time("fired_at", f.at).Str("request_id", requestID).Int("status", res.status).
		Str("outcome", res.outcome).Int64("duration_ms", d.Milliseconds()).Msg("cron run")
}

// call sends the cron request for f and classifies the answer.
func (s *Scheduler) call(ctx context.Context, f firing, requestID string) result {
	if f.upstream == nil {
		return result{outcome: OutcomeUnreachable, err: fmt.Sprintf("the upstream URL %q is not an absolute http or https URL", f.fn.Upstream)}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, f.timeout, errTimeout)
	defer cancel()
	req, err := NewRequest(ctx, f.upstream, f.fn, f.sched, f.at, requestID, s.signV1)
	if err != nil {
		return result{outcome: OutcomeUnreachable, err: err.Error()}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errTimeout):
			return result{outcome: OutcomeTimeout, err: fmt.Sprintf("the upstream did not answer within %v", f.timeout)}
		case cause != nil:
			return result{outcome: OutcomeUnreachable, err: cause.Error()}
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message repeats the URL
		}
		return result{outcome: OutcomeUnreachable, err: "the upstream could not be reached: " + err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // reuse the connection
		return result{status: resp.StatusCode, outcome: OutcomeOK}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if b := strings.TrimSpace(strings.ToValidUTF8(string(body), "�")); b != "" {
		if len(b) > 300 {
			b = b[:300] + "…"
		}
		msg += ": " + b
	}
	return result{status: resp.StatusCode, outcome: OutcomeUpstreamError, err: msg}
}

// NewRequest builds the request a cron run of sched sends to fn's upstream (an absolute
// http or https URL): the operation's method and path under the upstream's, body {}, the
// cron headers and X-Jelou-Signature made with fn's signing secrets over the method, the
// request-target the client writes, the request id and the body (auth.Sign; with signV1,
// auth.SignWithV1). No runtime token is sent: the signature is the gateway's word for the
// call.
func NewRequest(ctx context.Context, upstream *url.URL, fn store.Function, sched Schedule, firedAt time.Time, requestID string, signV1 bool) (*http.Request, error) {
	u := *upstream
	u.Path = strings.TrimRight(u.Path, "/") + sched.Path
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, sched.Method, u.String(), bytes.NewReader(cronBody))
	if err != nil {
		return nil, fmt.Errorf("build the request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "jfn-cron")
	h.Set("X-Request-Id", requestID)
	h.Set("X-Jelou-Function", fn.Name)
	h.Set("X-Jelou-Trigger", "cron")
	h.Set("X-Jelou-Cron", sched.Expression)
	h.Set("X-Jelou-Cron-Name", sched.Name)
	h.Set("X-Jelou-Cron-Fire-Time", firedAt.UTC().Format(time.RFC3339))
	now := time.Now()
	if secrets := fn.SigningSecrets(now); len(secrets) > 0 {
		m := auth.Message{Method: req.Method, Target: req.URL.RequestURI(), RequestID: requestID, Body: cronBody}
		sign := auth.Sign
		if signV1 {
			sign = auth.SignWithV1
		}
		h.Set(auth.SignatureHeader, sign(now, m, secrets...))
	}
	return req, nil
}
