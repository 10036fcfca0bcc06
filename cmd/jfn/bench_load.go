package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadTarget is one row's request, built afresh for every send, and the check its answers
// must pass (a wrong answer fails the bench: a fast error is not a measurement).
type loadTarget struct {
	method string
	url    string
	header http.Header
	body   []byte
	// check inspects a 200 answer's body.
	check func(body []byte) error
}

func (t *loadTarget) request(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, t.method, t.url, bytes.NewReader(t.body))
	if err != nil {
		return nil, err
	}
	for k, v := range t.header {
		req.Header[k] = v
	}
	return req, nil
}

// loadResult is what one row measured.
type loadResult struct {
	requests  int
	wall      time.Duration
	latencies []time.Duration // sorted by drive and sorted
	serverCPU time.Duration   // of the process the load generator talked to
	upCPU     time.Duration   // of the upstream process
	// Per round (see add): CPU time per request of the server and of the upstream.
	roundCPU, roundUpCPU []time.Duration
}

// add accumulates another round of the same row.
func (r *loadResult) add(o loadResult) {
	r.requests += o.requests
	r.wall += o.wall
	r.latencies = append(r.latencies, o.latencies...)
	r.serverCPU += o.serverCPU
	r.upCPU += o.upCPU
	r.roundCPU = append(r.roundCPU, o.cpuPerRequest())
	r.roundUpCPU = append(r.roundUpCPU, o.upstreamCPUPerRequest())
}

// sorted returns r with its latencies in order, as percentile expects.
func (r loadResult) sorted() loadResult {
	slices.Sort(r.latencies)
	return r
}

func (r loadResult) throughput() float64 { return float64(r.requests) / r.wall.Seconds() }

func (r loadResult) percentile(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, len(r.latencies)*p/100)]
}

// cpuPerRequest is the server's CPU time per request: the median of the rounds' when
// there were several (on a shared machine, a burst of background load inflates the CPU time
// of whatever runs meanwhile, and the median leaves such a round out), else the overall one.
func (r loadResult) cpuPerRequest() time.Duration {
	if len(r.roundCPU) > 1 {
		return median(r.roundCPU)
	}
	return r.serverCPU / time.Duration(max(r.requests, 1))
}

// upstreamCPUPerRequest is the upstream's CPU time per request, as cpuPerRequest.
func (r loadResult) upstreamCPUPerRequest() time.Duration {
	if len(r.roundUpCPU) > 1 {
		return median(r.roundUpCPU)
	}
	return r.upCPU / time.Duration(max(r.requests, 1))
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// newLoadClient returns the one client every row shares: enough idle connections for the
// concurrency on every host, no proxy from the environment, no compression.
func newLoadClient(concurrency int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConns:        8 * concurrency,
			MaxIdleConnsPerHost: 2 * concurrency,
			IdleConnTimeout:     2 * time.Minute,
			DisableCompression:  true,
		},
		Timeout: time.Minute,
	}
}

// send does one request and checks its answer. buf is the caller's scratch buffer.
func send(ctx context.Context, client *http.Client, t *loadTarget, buf *bytes.Buffer) error {
	req, err := t.request(ctx)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", t.method, t.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s = %d, want 200: %.200s", t.method, t.url, resp.StatusCode, buf.Bytes())
	}
	if t.check != nil {
		if err := t.check(buf.Bytes()); err != nil {
			return fmt.Errorf("%s %s: %w: %.200s", t.method, t.url, err, buf.Bytes())
		}
	}
	return nil
}

// drive sends n requests to t from concurrency workers, after a warm-up that opens the
// connections, and measures the CPU time server and upstream use meanwhile.
func drive(ctx context.Context, client *http.Client, t *loadTarget, n, concurrency int, server, upstream *benchChild) (loadResult, error) {
	warm := min(n, 4*concurrency+100)
	if _, err := fire(ctx, client, t, warm, concurrency, false); err != nil {
		return loadResult{}, fmt.Errorf("warm-up: %w", err)
	}
	s0, err := server.cpu()
	if err != nil {
		return loadResult{}, err
	}
	u0, err := upstream.cpu()
	if err != nil {
		return loadResult{}, err
	}
	start := time.Now()
	lat, err := fire(ctx, client, t, n, concurrency, true)
	wall := time.Since(start)
	if err != nil {
		return loadResult{}, err
	}
	s1, err := server.cpu()
	if err != nil {
		return loadResult{}, err
	}
	u1, err := upstream.cpu()
	if err != nil {
		return loadResult{}, err
	}
	slices.Sort(lat)
	return loadResult{requests: n, wall: wall, latencies: lat, serverCPU: s1 - s0, upCPU: u1 - u0}, nil
}

// fire sends n requests from concurrency workers and returns their latencies when timed.
// The first failure stops every worker.
func fire(ctx context.Context, client *http.Client, t *loadTarget, n, concurrency int, timed bool) ([]time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var lat []time.Duration
	if timed {
		lat = make([]time.Duration, n)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := send(ctx, client, t, &buf); err != nil {
					cancel(err)
					return
				}
				if timed {
					lat[i] = time.Since(t0)
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return lat, nil
}

// drain reads and closes an answer's body so its connection is reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
