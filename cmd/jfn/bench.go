package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jfnhq/jfn/auth"
)

const benchUsage = `Usage: jfn bench [flags]

Measures the gateway on loopback with a bounded load and prints one table: throughput, p50
and p99 latency and CPU time per request for direct calls to an example upstream, a bare
httputil.ReverseProxy, the jfn proxy with a token and jfn's MCP tools/call; the memory of
idle MCP sessions; and the conversion of the corpus's three largest OpenAPI documents.
Each server runs in a child process of its own, so that its CPU time is its own.

  --requests N       requests per row (default 20000)
  --concurrency C    concurrent clients (default 16)
  --sessions S       idle MCP sessions opened for the memory figure (default 10000; 0 skips it)
  --corpus DIR       the OpenAPI corpus with its MANIFEST.tsv (default ../shared/corpus; "" skips it)
  --out FILE         also write the table there (default bench-results/latest.md)
  --rounds R         split each row into R rounds, interleaved with the other rows, and
                     report the median round's CPU time per request, so that bursts of
                     background load on a shared machine skew no row (default 10)
  --cpuprofile FILE  write a CPU profile of the gateway process while it serves the rows
  --memprofile FILE  write a heap profile of the gateway process with the idle sessions open
`

// benchConfig is a validated bench run.
type benchConfig struct {
	Requests, Concurrency, Sessions int
	Rounds                          int
	Corpus, Out                     string
	CPUProfile, MemProfile          string
	// ConvRuns is how many times each document is converted after the first, sampled, run
	// (their median time is reported).
	ConvRuns int
	// Settle is how long the idle sessions sit before the heap is read.
	Settle time.Duration
	// Command is the command line shown with the table.
	Command string
	// Child builds the command that runs `jfn bench` with args in a child process.
	Child childCommand
}

// childCommand returns the command of a bench child process with args (e.g. --child upstream).
type childCommand func(args ...string) *exec.Cmd

// selfChild runs this very executable as the child.
func selfChild(args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, append([]string{"bench"}, args...)...)
}

func cmdBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("bench")
	requests := fs.Int("requests", 20000, "")
	concurrency := fs.Int("concurrency", 16, "")
	sessions := fs.Int("sessions", 10000, "")
	corpus := fs.String("corpus", filepath.Join("..", "shared", "corpus"), "")
	out := fs.String("out", filepath.Join("bench-results", "latest.md"), "")
	rounds := fs.Int("rounds", 10, "")
	cpuprofile := fs.String("cpuprofile", "", "")
	memprofile := fs.String("memprofile", "", "")
	// Not in the usage: how the bench runs its own children.
	child := fs.String("child", "", "")
	upstream := fs.String("upstream", "", "")
	pos, err := parseArgs(fs, args, benchUsage)
	if err != nil {
		return err
	}
	if err := wantArgs("bench", pos); err != nil {
		return err
	}
	if *child != "" {
		return runBenchChild(ctx, e, *child, *upstream, *cpuprofile, *memprofile)
	}
	cfg := benchConfig{
		Requests: *requests, Concurrency: *concurrency, Sessions: *sessions, Rounds: *rounds,
		Corpus: *corpus, Out: *out, CPUProfile: *cpuprofile, MemProfile: *memprofile,
		ConvRuns: 3, Settle: sessionFlushEvery + time.Second,
		Command: strings.TrimSpace("go run ./cmd/jfn bench " + strings.Join(args, " ")),
		Child:   selfChild,
	}
	if cfg.Requests < 1 || cfg.Concurrency < 1 || cfg.Rounds < 1 || cfg.Sessions < 0 {
		return usagef("jfn bench: --requests, --concurrency and --rounds must be positive, --sessions not negative")
	}
	cfg.Rounds = min(cfg.Rounds, cfg.Requests)
	for _, p := range []*string{&cfg.CPUProfile, &cfg.MemProfile} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return err
			}
		}
	}
	return benchMain(ctx, e, cfg)
}

// benchMain runs the bench for cmdBench (and tests, with their own cfg.Child), prints the
// table (or the report as JSON) and writes the table to cfg.Out.
func benchMain(ctx context.Context, e *env, cfg benchConfig) error {
	progress := func(format string, args ...any) {
		if !e.json {
			info(e.stderr, format, args...)
		}
	}
	rep, err := runBench(ctx, cfg, progress)
	if err != nil {
		return err
	}
	table := rep.markdown()
	if cfg.Out != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.Out), 0o755); err != nil {
			return fmt.Errorf("cannot write %s: %w", cfg.Out, err)
		}
		if err := os.WriteFile(cfg.Out, []byte(table), 0o644); err != nil {
			return fmt.Errorf("cannot write %s: %w", cfg.Out, err)
		}
	}
	if e.json {
		return printJSON(e.stdout, rep)
	}
	fmt.Fprint(e.stdout, table)
	if cfg.Out != "" {
		ok(e.stdout, "Written to %s", cfg.Out)
	}
	return nil
}

// Row names, in the table's order.
const (
	rowDirect  = "direct"
	rowBare    = "bare proxy"
	rowJFN     = "jfn proxy (token)"
	rowMCPCall = "jfn MCP tools/call"
)

// Targets from issue 6, as ratios of CPU per request to the bare proxy's.
var benchTargets = map[string]struct{ must, aim float64 }{
	rowJFN:     {1.5, 1.1},
	rowMCPCall: {3, 1.5},
}

// runBench starts the children, drives every row, opens the idle sessions and converts the
// corpus documents.
func runBench(ctx context.Context, cfg benchConfig, progress func(string, ...any)) (*benchReport, error) {
	rep := &benchReport{Machine: thisMachine(), Command: cfg.Command, Requests: cfg.Requests, Concurrency: cfg.Concurrency, Rounds: cfg.Rounds}
	var docs []convResult
	if cfg.Corpus != "" { // before the load, so that a missing corpus fails at once
		var err error
		if docs, err = largestDocuments(cfg.Corpus, 3); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp("", "jfn-bench-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	up, err := startChild(cfg.Child, filepath.Join(tmp, "upstream.log"), "--child", roleUpstream)
	if err != nil {
		return nil, err
	}
	defer up.close()
	gwArgs := []string{"--child", roleGateway, "--upstream", up.hello.Upstream}
	if cfg.CPUProfile != "" {
		gwArgs = append(gwArgs, "--cpuprofile", cfg.CPUProfile)
	}
	if cfg.MemProfile != "" {
		gwArgs = append(gwArgs, "--memprofile", cfg.MemProfile)
	}
	gw, err := startChild(cfg.Child, filepath.Join(tmp, "gateway.log"), gwArgs...)
	if err != nil {
		return nil, err
	}
	defer gw.close()
	fail := func(what string, err error) error {
		return fmt.Errorf("%s: %w%s", what, err, tailOf(gw.stderr))
	}

	client := newLoadClient(cfg.Concurrency)
	defer client.CloseIdleConnections()
	fnURL := gw.hello.JFN + "/" + benchFunction
	if err := waitHealthy(ctx, client, fnURL+"/__health"); err != nil {
		return nil, fail("jfn did not load the function's document", err)
	}
	mcpURL := fnURL + "/mcp"
	session, err := openSession(ctx, client, mcpURL, gw.hello.Token)
	if err != nil {
		return nil, fail("open an MCP session", err)
	}

	balanceCall := func(url string, h http.Header) *loadTarget {
		h = h.Clone()
		h.Set("Content-Type", "application/json")
		return &loadTarget{
			method: http.MethodPost, url: url, header: h, body: []byte(`{"phone":"+593987654321"}`),
			check: func(body []byte) error {
				if !strings.Contains(string(body), `"balance"`) {
					return errors.New("the answer has no balance")
				}
				return nil
			},
		}
	}
	rows := []struct {
		name   string
		target *loadTarget
		server *benchChild
	}{
		{rowDirect, balanceCall(up.hello.Upstream+"/", http.Header{}), up},
		{rowBare, balanceCall(gw.hello.Bare+"/", http.Header{}), gw},
		{rowJFN, balanceCall(fnURL, http.Header{auth.Header: {gw.hello.Token}}), gw},
		{rowMCPCall, toolCallTarget(mcpURL, gw.hello.Token, session), gw},
	}
	if err := gw.control("/profile/start"); err != nil {
		return nil, fail("start the CPU profile", err)
	}
	// Each row's requests are split into rounds, and the rounds of all rows interleave:
	// on a shared machine, a change in background load then touches every row alike.
	results := make([]loadResult, len(rows))
	progress("%d rows × %d requests, concurrency %d, in %d rounds…", len(rows), cfg.Requests, cfg.Concurrency, cfg.Rounds)
	for round := range cfg.Rounds {
		n := cfg.Requests / cfg.Rounds
		if round < cfg.Requests%cfg.Rounds {
			n++
		}
		for i, r := range rows {
			res, err := drive(ctx, client, r.target, n, cfg.Concurrency, r.server, up)
			if err != nil {
				return nil, fail(r.name, err)
			}
			results[i].add(res)
		}
	}
	for i, r := range rows {
		rep.Rows = append(rep.Rows, newBenchRow(r.name, results[i].sorted()))
	}
	if err := gw.control("/profile/stop"); err != nil {
		return nil, fail("stop the CPU profile", err)
	}
	rep.ratios()

	if cfg.Sessions > 0 {
		progress("opening %d idle MCP sessions…", cfg.Sessions)
		s, err := measureSessions(ctx, client, gw, mcpURL, gw.hello.Token, cfg.Sessions, cfg.Concurrency, cfg.Settle)
		if err != nil {
			return nil, fail("idle sessions", err)
		}
		if err := gw.control("/profile/heap"); err != nil {
			return nil, fail("write the heap profile", err)
		}
		rep.Sessions = &benchSessions{
			Count: s.sessions, OpenSeconds: s.open.Seconds(),
			HeapMB: float64(s.heapDelta) / (1 << 20), PerSessionKB: s.perSessionKB,
			RSSMB: float64(s.rssDelta) / (1 << 20),
		}
	}
	gw.close()
	up.close()

	if len(docs) == 0 {
		return rep, nil
	}
	progress("converting %d corpus documents…", len(docs))
	conv, err := convertDocuments(cfg.Corpus, docs, cfg.ConvRuns)
	if err != nil {
		return nil, err
	}
	for _, d := range conv {
		rep.Documents = append(rep.Documents, benchDocument{
			File: d.file, Bytes: d.bytes, Operations: d.operations, Tools: d.tools,
			FirstSecs: d.first.Seconds(), Seconds: d.time.Seconds(), CPUSeconds: d.cpu.Seconds(), PeakHeapMB: float64(d.peakHeap) / (1 << 20),
			AllocatedMB: float64(d.allocated) / (1 << 20),
		})
	}
	return rep, nil
}

// waitHealthy polls url until it answers 200 (the function's document is loaded).
func waitHealthy(ctx context.Context, client *http.Client, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			drain(resp)
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s = %d", url, resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// thisMachine describes the machine: CPU model, cores, Go version, date.
func thisMachine() benchMachine {
	m := benchMachine{
		CPU: "unknown CPU", Cores: runtime.NumCPU(), Go: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Date: time.Now().UTC().Format("2006-01-02 15:04 MST"),
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
