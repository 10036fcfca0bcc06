package gateway

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/jfnhq/jfn/mcp"
)

// Metrics live in a registry of their own per Gateway (never the global one), served on the
// admin handler at /metrics. Their cardinality is bounded by the deployed functions and the
// tools of their current documents: a request for an unknown function is counted with
// function="" and kind="not_found", a tool call is counted per tool only for a tool of the
// current document, and a deleted function's series are removed. No label ever carries a
// token or a token id.
//
// The hot path never builds a label set: each function's counters are resolved when the
// function enters the index (fnMetrics), and a request only finds its status code's counter
// in a short copy-on-write list.

// Upstream latency buckets, in seconds, up to the longest function timeout.
var upstreamBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

// Request kinds of jfn_requests_total, in the order of fnMetrics.requests; the values are
// the access log's routes.
var requestKinds = [...]string{routeProxy, routeMCP, routeHealth, routeOpenAPI, routePreflight}

// Results of jfn_spec_refresh_total, in the order of fnMetrics.refresh.
const (
	refreshOK = iota
	refreshNotModified
	refreshError
)

var refreshResults = [...]string{"ok", "not_modified", "error"}

// Outcomes of jfn_tool_calls_total, in the order of toolCounters.
var toolOutcomes = [...]string{mcp.OutcomeOK, mcp.OutcomeToolError, mcp.OutcomeUpstreamError, mcp.OutcomeTimeout, mcp.OutcomeInvalidArguments}

// metrics is a Gateway's registry and its metric families.
type metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	toolCalls    *prometheus.CounterVec
	upstream     *prometheus.HistogramVec
	sessions     *prometheus.GaugeVec
	streams      *prometheus.GaugeVec
	specRefresh  *prometheus.CounterVec
	cronRuns     *prometheus.CounterVec
	notFound     codeCounters // requests that named no deployed function
	handler      http.Handler
}

// newMetrics registers the gateway's metrics, the Go runtime's and the process's in a new
// registry. The two gauges computed at scrape time read g.
func newMetrics(g *Gateway) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jfn_requests_total",
			Help: "Requests answered, by function, kind (proxy, mcp, health, openapi; not_found with function=\"\" for an unknown function) and HTTP status code (499: the client left first).",
		}, []string{"function", "kind", "code"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jfn_auth_failures_total",
			Help: "Requests refused with 401 because the X-Jelou-Token header was missing or invalid, by function.",
		}, []string{"function"}),
		toolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jfn_tool_calls_total",
			Help: "MCP tools/call requests of a tool in the function's current document, by outcome: ok, tool_error (the upstream answered with an error or an unusable result), upstream_error (unreachable), timeout, invalid_arguments (nothing sent). Calls the client cancelled are not counted.",
		}, []string{"function", "tool", "outcome"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jfn_upstream_request_duration_seconds",
			Help:    "Time spent on upstream calls, by function and kind: proxy (until the response headers arrive or the call fails), mcp (a tool call, until the whole answer is read), cron (a scheduled run).",
			Buckets: upstreamBuckets,
		}, []string{"function", "kind"}),
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jfn_mcp_sessions",
			Help: "MCP sessions opened by this process and not yet ended (DELETE, idle sweep, token revoked or function redeployed).",
		}, []string{"function"}),
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jfn_mcp_streams",
			Help: "Open MCP GET streams in this process.",
		}, []string{"function"}),
		specRefresh: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jfn_spec_refresh_total",
			Help: "OpenAPI document fetches, by function and result: ok (a document was received and loaded or unchanged), not_modified (304), error (the last good document is kept).",
		}, []string{"function", "result"}),
		cronRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jfn_cron_runs_total",
			Help: "Cron runs fired by this process, by function, schedule name and outcome.",
		}, []string{"function", "schedule", "outcome"}),
	}
	m.notFound.vec, m.notFound.kind = m.requests, routeNotFound
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.authFailures, m.toolCalls, m.upstream, m.sessions, m.streams,
		m.specRefresh, m.cronRuns,
		specAgeCollector{g: g, desc: prometheus.NewDesc("jfn_spec_age_seconds",
			"Seconds since the function's OpenAPI document was last fetched successfully (a 200 or a 304), computed at scrape time; absent until it has loaded once.",
			[]string{"function"}, nil)},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "jfn_store_feed_lag_seconds",
			Help: "Seconds since the in-memory index of functions and tokens was last rebuilt from a successful store snapshot, computed at scrape time. Every change signal and the periodic resync (each minute) rebuild it, so it stays under about a minute while the store answers and grows while it does not.",
		}, func() float64 { return time.Since(time.Unix(0, g.reloadedAt.Load())).Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "jfn_store_up",
			Help: "1 when the store answered the gateway's last ping, snapshot or readiness check, 0 when it did not (the store is pinged every 2 s).",
		}, func() float64 {
			if g.storeDown.Load() {
				return 0
			}
			return 1
		}),
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:      m.reg, // counts its own errors in promhttp_metric_handler_errors_total
		ErrorHandling: promhttp.ContinueOnError,
	})
	return m
}

// forFunction resolves the series of the function name.
func (m *metrics) forFunction(name string) *fnMetrics {
	fm := &fnMetrics{
		m:            m,
		name:         name,
		authFailures: m.authFailures.WithLabelValues(name),
		proxyTime:    m.upstream.WithLabelValues(name, routeProxy),
		mcpTime:      m.upstream.WithLabelValues(name, routeMCP),
		sessions:     m.sessions.WithLabelValues(name),
		streams:      m.streams.WithLabelValues(name),
	}
	for i, kind := range requestKinds {
		cc := &fm.requests[i]
		cc.vec, cc.function, cc.kind, cc.gone = m.requests, name, kind, &fm.gone
	}
	for i, result := range refreshResults {
		fm.refresh[i] = m.specRefresh.WithLabelValues(name, result)
	}
	fm.tools.Store(&toolTable{})
	return fm
}

// forget removes every series of the function name, when it is deleted.
func (m *metrics) forget(fm *fnMetrics) {
	fm.gone.Store(true)
	match := prometheus.Labels{"function": fm.name}
	m.requests.DeletePartialMatch(match)
	m.authFailures.DeletePartialMatch(match)
	m.toolCalls.DeletePartialMatch(match)
	m.upstream.DeletePartialMatch(match)
	m.sessions.DeletePartialMatch(match)
	m.streams.DeletePartialMatch(match)
	m.specRefresh.DeletePartialMatch(match)
	m.cronRuns.DeletePartialMatch(match)
}

// fnMetrics is one function's resolved series. It outlives redeploys of the function (the
// Gateway keeps one per name) and is dropped when the function is deleted. It is the
// function's mcp.Observer.
type fnMetrics struct {
	m            *metrics
	name         string
	requests     [len(requestKinds)]codeCounters
	authFailures prometheus.Counter
	proxyTime    prometheus.Observer
	mcpTime      prometheus.Observer
	sessions     prometheus.Gauge
	streams      prometheus.Gauge
	refresh      [len(refreshResults)]prometheus.Counter
	tools        atomic.Pointer[toolTable]
	gone         atomic.Bool // deleted: create no new series
}

var _ mcp.Observer = (*fnMetrics)(nil)

// request counts one answered request of kind (a route) with status.
func (fm *fnMetrics) request(kind string, status int) {
	var i int
	switch kind {
	case routeProxy:
		i = 0
	case routeMCP:
		i = 1
	case routeHealth:
		i = 2
	case routeOpenAPI:
		i = 3
	case routePreflight:
		i = 4
	default:
		return
	}
	if c := fm.requests[i].counter(status); c != nil {
		c.Inc()
	}
}

// ToolCall implements mcp.Observer.
func (fm *fnMetrics) ToolCall(tool, outcome string, upstream time.Duration) {
	if upstream > 0 { // zero when nothing was sent
		fm.mcpTime.Observe(upstream.Seconds())
	}
	tc := fm.tools.Load().byName[tool]
	if tc == nil {
		return // not a tool of the current document
	}
	for i, o := range toolOutcomes {
		if o == outcome {
			if c := tc.counter(fm, tool, i); c != nil {
				c.Inc()
			}
			return
		}
	}
}

// Sessions implements mcp.Observer.
func (fm *fnMetrics) Sessions(delta int) { fm.sessions.Add(float64(delta)) }

// Streams implements mcp.Observer.
func (fm *fnMetrics) Streams(delta int) { fm.streams.Add(float64(delta)) }

// setTools makes the tools of doc the ones counted per tool, and removes the series of the
// tools it no longer has. Called with Gateway.mu held, when a new document loads.
func (fm *fnMetrics) setTools(doc *apiSpec) {
	prev := fm.tools.Load()
	next := &toolTable{byName: make(map[string]*toolCounters)}
	if doc != nil {
		for _, t := range doc.Tools() {
			tc := prev.byName[t.Name]
			if tc == nil {
				tc = &toolCounters{}
			}
			next.byName[t.Name] = tc
		}
	}
	fm.tools.Store(next)
	for name := range prev.byName {
		if _, ok := next.byName[name]; !ok {
			fm.m.toolCalls.DeletePartialMatch(prometheus.Labels{"function": fm.name, "tool": name})
		}
	}
}

// toolTable is the set of tools counted per tool; it is replaced whole.
type toolTable struct{ byName map[string]*toolCounters }

// toolCounters holds one tool's counter per outcome, created on first use so that a large
// document does not expose five empty series per tool.
type toolCounters struct {
	c [len(toolOutcomes)]atomic.Pointer[prometheus.Counter]
}

func (tc *toolCounters) counter(fm *fnMetrics, tool string, i int) prometheus.Counter {
	if p := tc.c[i].Load(); p != nil {
		return *p
	}
	if fm.gone.Load() {
		return nil
	}
	c := fm.m.toolCalls.WithLabelValues(fm.name, tool, toolOutcomes[i])
	tc.c[i].CompareAndSwap(nil, &c) // a racing creator got the same child
	return c
}

// codeCounters holds the counters of one (function, kind) by status code: a short list,
// replaced on the rare insert and scanned without a lock.
type codeCounters struct {
	vec      *prometheus.CounterVec
	function string
	kind     string
	gone     *atomic.Bool // the function's; nil for not_found

	mu   sync.Mutex
	list atomic.Pointer[[]codeCounter]
}

type codeCounter struct {
	code int
	c    prometheus.Counter
}

// counter returns the counter of status, creating it on first use; nil once the function
// is deleted.
func (cc *codeCounters) counter(status int) prometheus.Counter {
	if c := cc.find(status); c != nil {
		return c
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if c := cc.find(status); c != nil {
		return c
	}
	if cc.gone != nil && cc.gone.Load() {
		return nil
	}
	var list []codeCounter
	if l := cc.list.Load(); l != nil {
		list = *l
	}
	c := cc.vec.WithLabelValues(cc.function, cc.kind, strconv.Itoa(status))
	next := append(list[:len(list):len(list)], codeCounter{status, c})
	cc.list.Store(&next)
	return c
}

func (cc *codeCounters) find(status int) prometheus.Counter {
	if l := cc.list.Load(); l != nil {
		for _, e := range *l {
			if e.code == status {
				return e.c
			}
		}
	}
	return nil
}

// specAgeCollector exports jfn_spec_age_seconds for the functions of the current index.
type specAgeCollector struct {
	g    *Gateway
	desc *prometheus.Desc
}

func (c specAgeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c specAgeCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	for name, fn := range c.g.idx.Load().functions {
		if s := fn.spec.current(); s != nil && s.doc != nil && !s.fetchedAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, now.Sub(s.fetchedAt).Seconds(), name)
		}
	}
}

// observeRequest counts a finished request in jfn_requests_total.
func (g *Gateway) observeRequest(st *reqState, status int) {
	if st.metrics != nil {
		st.metrics.request(st.route, status)
		return
	}
	if c := g.metrics.notFound.counter(status); c != nil {
		c.Inc()
	}
}

// ObserveCronRun records one run of the cron schedule (its name) of function: outcome is a
// short word from a fixed set chosen by the scheduler (such as ok, upstream_error,
// timeout), d the time the upstream call took. Runs of a function that is not deployed
// are not recorded.
func (g *Gateway) ObserveCronRun(function, schedule, outcome string, d time.Duration) {
	fn := g.idx.Load().functions[function]
	if fn == nil || fn.metrics == nil || fn.metrics.gone.Load() {
		return
	}
	g.metrics.cronRuns.WithLabelValues(function, schedule, outcome).Inc()
	g.metrics.upstream.WithLabelValues(function, "cron").Observe(d.Seconds())
}

// RequestCounts are a function's answered requests as jfn_requests_total counts them in this
// process, every kind together (proxy, mcp, health, openapi, preflight).
type RequestCounts struct {
	Total uint64
	// Errors are the answers with a 4xx or 5xx status (499: the client left first).
	Errors uint64
}

// RequestCounts reads function name's jfn_requests_total counters; zero for a function the
// gateway does not serve.
func (g *Gateway) RequestCounts(name string) RequestCounts {
	var rc RequestCounts
	fn := g.idx.Load().functions[name]
	if fn == nil || fn.metrics == nil {
		return rc
	}
	for i := range fn.metrics.requests {
		l := fn.metrics.requests[i].list.Load()
		if l == nil {
			continue
		}
		for _, e := range *l {
			var m dto.Metric
			if e.c.Write(&m) != nil {
				continue
			}
			n := uint64(m.GetCounter().GetValue())
			rc.Total += n
			if e.code >= 400 {
				rc.Errors += n
			}
		}
	}
	return rc
}
