//go:build linux

package main

// Figures for several replicas on one PostgreSQL: how long a revocation takes to reach every
// replica, and the requests per second of a round-robin load across three replicas versus
// one. They are measurements, not checks, and take a minute: they run only when asked.
//
//	eval "$(.ci/postgres.sh start)"
//	JFN_CLUSTER_FIGURES=1 go test -count=1 -v -run '^TestClusterFigures$' ./cmd/jfn

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/server"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store/storetest"
)

const (
	figTrials      = 20                   // revocation trials
	figPoll        = 5 * time.Millisecond // how often each replica is asked during a trial
	figRequests    = 20000                // requests per throughput run
	figWarmup      = 2000                 // requests before each run, not counted
	figConcurrency = 32                   // concurrent clients
	figRuns        = 3                    // throughput runs per configuration; the median is kept
)

func TestClusterFigures(t *testing.T) {
	if os.Getenv("JFN_CLUSTER_FIGURES") != "1" {
		t.Skip("a measurement: run it with JFN_CLUSTER_FIGURES=1 go test -count=1 -v -run '^TestClusterFigures$' ./cmd/jfn")
	}
	t.Logf("machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	t.Run("revocation", figRevocation)
	t.Run("throughput", figThroughput)
}

// figUpstream is the trivial upstream: balance's OpenAPI document, and "ok" for anything else.
func figUpstream(t *testing.T) *httptest.Server {
	doc := balance.Handler()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/openapi.json" {
			doc.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
	}))
	t.Cleanup(up.Close)
	return up
}

// figRevocation: three in-process servers; each trial creates a token through one replica's
// store, waits until all three accept it, revokes it through another replica's store, and
// times from the start of that RevokeToken call until the last replica refuses it, asking
// every replica every figPoll.
func figRevocation(t *testing.T) {
	db := storetest.PostgresDatabase(t)
	up := figUpstream(t)
	servers, _ := replicas(t, db, 3, up.URL)
	ctx := t.Context()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 5 * time.Second}
	// status is the answer of s to a request with tok, or 0 when there was none. It may run
	// on any goroutine.
	status := func(s *testServer, tok string) int {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/balance/probe", nil)
		req.Header.Set("X-Jelou-Token", tok)
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	var times []time.Duration
	for i := range figTrials {
		creator, revoker := servers[(i+1)%3], servers[i%3]
		secret, tok, err := service.CreateToken(ctx, creator.Store(), "balance", fmt.Sprintf("trial-%d", i), 0)
		if err != nil {
			t.Fatalf("createToken: %v", err)
		}
		for j, s := range servers {
			jfntest.Eventually(t, 2*time.Second, fmt.Sprintf("trial %d: replica %d accepts the new token", i, j),
				func() bool { return status(s, secret) == http.StatusOK })
		}
		start := time.Now()
		var wg sync.WaitGroup
		refused := make([]time.Duration, len(servers))
		for j, s := range servers {
			wg.Go(func() {
				for {
					if status(s, secret) == http.StatusUnauthorized {
						refused[j] = time.Since(start)
						return
					}
					if time.Since(start) > 10*time.Second {
						refused[j] = -1
						return
					}
					time.Sleep(figPoll)
				}
			})
		}
		if _, err := revoker.Store().RevokeToken(ctx, "balance", tok.ID); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		wg.Wait()
		if slices.Contains(refused, -1) {
			t.Fatalf("trial %d: a replica still accepted the revoked token after 10 s (%v)", i, refused)
		}
		times = append(times, slices.Max(refused))
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	median := (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	t.Logf("revocation propagation across 3 replicas, %d trials (from the start of RevokeToken through one replica's store until all three answer 401; each replica polled every %v):", figTrials, figPoll)
	t.Logf("  median %v, worst %v, best %v", median.Round(100*time.Microsecond), sorted[len(sorted)-1].Round(100*time.Microsecond), sorted[0].Round(100*time.Microsecond))
	t.Logf("  all: %v", roundAll(times))
	if worst := sorted[len(sorted)-1]; worst > time.Second {
		t.Errorf("worst revocation propagation %v, want at most 1 s", worst)
	}
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(100 * time.Microsecond)
	}
	return out
}

// figThroughput: three replicas, each a child process running 'jfn serve' (this test binary,
// re-executed into TestClusterFiguresReplicaProcess), on one database; the load generator and
// the upstream run in this process. The same bounded load goes round-robin to replica 0
// alone, then to all three, figRuns times each, alternating.
func figThroughput(t *testing.T) {
	db := storetest.PostgresDatabase(t)
	up := figUpstream(t)
	tok := deployed(t, db, "bench", up.URL, "--no-mcp")
	reps := make([]*figReplica, 3)
	for i := range reps {
		reps[i] = startFigReplica(t, db)
	}
	for i, r := range reps {
		jfntest.Eventually(t, 10*time.Second, fmt.Sprintf("replica %d: /readyz answers 200", i), func() bool {
			code, _, _ := call(t, "GET", r.admin+"/readyz", nil, "")
			return code == http.StatusOK
		})
		jfntest.Eventually(t, 2*time.Second, fmt.Sprintf("replica %d accepts the token", i), func() bool {
			code, _, _ := call(t, "GET", r.url+"/bench/x", tokenHeader(tok), "")
			return code == http.StatusOK
		})
	}

	results := map[int][]figResult{}
	for range figRuns {
		for _, n := range []int{1, 3} {
			results[n] = append(results[n], figLoad(t, reps[:n], tok))
		}
	}
	t.Logf("round-robin load: %d requests (after %d of warm-up), %d concurrent clients, GET /bench/x with a token, loopback, keep-alive; upstream answers \"ok\" in-process", figRequests, figWarmup, figConcurrency)
	med := map[int]figResult{}
	for _, n := range []int{1, 3} {
		rs := results[n]
		slices.SortFunc(rs, func(a, b figResult) int { return cmp.Compare(a.rps, b.rps) })
		med[n] = rs[len(rs)/2]
		for _, r := range rs {
			t.Logf("  %d replica(s): %6.0f req/s, p50 %v, p99 %v; CPU per request: replicas %v, load generator and upstream %v; %d CPUs busy %.0f%%: these processes %.0f%%, others %.0f%%",
				n, r.rps, r.p50, r.p99, r.replicaCPU, r.clientCPU, runtime.NumCPU(), r.machine*100, r.busy*100, max(r.machine-r.busy, 0)*100)
		}
	}
	t.Logf("median of %d runs: 1 replica %.0f req/s, 3 replicas %.0f req/s: ratio %.2f", figRuns, med[1].rps, med[3].rps, med[3].rps/med[1].rps)
}

// figReplica is a 'jfn serve' child process.
type figReplica struct {
	cmd        *exec.Cmd
	url, admin string
}

// startFigReplica starts a replica process on db and reads the addresses it prints.
func startFigReplica(t *testing.T, db string) *figReplica {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterFiguresReplicaProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "JFN_FIGURES_REPLICA=1", "JFN_DB="+db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = nil // the access log goes to /dev/null, written as in production
	if err := cmd.Start(); err != nil {
		t.Fatalf("start replica process: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	var addrs struct {
		Listen      string `json:"listen"`
		AdminListen string `json:"admin_listen"`
	}
	dec := json.NewDecoder(out)
	if err := dec.Decode(&addrs); err != nil {
		t.Fatalf("replica process: no JSON object with its addresses on stdout: %v", err)
	}
	go io.Copy(io.Discard, io.MultiReader(dec.Buffered(), out))
	return &figReplica{cmd: cmd, url: server.BaseURL(addrs.Listen), admin: server.BaseURL(addrs.AdminListen)}
}

// TestClusterFiguresReplicaProcess is not a test: it is the body of a replica process that
// TestClusterFigures starts, and runs 'jfn --json serve' until SIGTERM.
func TestClusterFiguresReplicaProcess(t *testing.T) {
	if os.Getenv("JFN_FIGURES_REPLICA") != "1" {
		t.Skip("the replica process of TestClusterFigures; it runs only as that test's child")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	args := []string{"--json", "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--shutdown-timeout", "2s"}
	if code := run(ctx, args, strings.NewReader(""), os.Stdout, os.Stderr, os.Getenv); code != 0 {
		t.Fatalf("jfn serve exited %d", code)
	}
}

// figResult is one throughput run.
type figResult struct {
	rps                   float64
	p50, p99              time.Duration
	replicaCPU, clientCPU time.Duration // CPU time per request
	busy                  float64       // CPU time of these processes over wall time, per CPU
	machine               float64       // the machine's busy share (/proc/stat), all processes
}

// figLoad sends figWarmup then figRequests requests round-robin across reps with
// figConcurrency clients, and measures the timed part.
func figLoad(t *testing.T, reps []*figReplica, tok string) figResult {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: figConcurrency, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	urls := make([]string, len(reps))
	for i, r := range reps {
		urls[i] = r.url + "/bench/x"
	}
	fire := func(n int, lat []time.Duration) {
		var next atomic.Int64
		var failed atomic.Value
		var wg sync.WaitGroup
		for range figConcurrency {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= n {
						return
					}
					req, _ := http.NewRequest("GET", urls[i%len(urls)], nil)
					req.Header.Set("X-Jelou-Token", tok)
					start := time.Now()
					resp, err := client.Do(req)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					if err != nil {
						failed.Store(err)
						return
					}
					if lat != nil {
						lat[i] = time.Since(start)
					}
				}
			})
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			t.Fatalf("load: %v", err)
		}
	}

	fire(figWarmup, nil)
	lat := make([]time.Duration, figRequests)
	busy0, total0 := figMachineBusy()
	cpu0, self0 := figReplicaCPU(t, reps), figSelfCPU()
	start := time.Now()
	fire(figRequests, lat)
	wall := time.Since(start)
	cpu1, self1 := figReplicaCPU(t, reps), figSelfCPU()
	busy1, total1 := figMachineBusy()
	slices.Sort(lat)
	return figResult{
		rps:        float64(figRequests) / wall.Seconds(),
		p50:        lat[len(lat)/2].Round(10 * time.Microsecond),
		p99:        lat[len(lat)*99/100].Round(10 * time.Microsecond),
		replicaCPU: ((cpu1 - cpu0) / figRequests).Round(time.Microsecond),
		clientCPU:  ((self1 - self0) / figRequests).Round(time.Microsecond),
		busy:       float64(cpu1-cpu0+self1-self0) / float64(wall) / float64(runtime.NumCPU()),
		machine:    float64(busy1-busy0) / float64(max(total1-total0, 1)),
	}
}

// figReplicaCPU sums process_cpu_seconds_total over all three replicas' /metrics (idle ones
// included: they take part in the machine's load too).
func figReplicaCPU(t *testing.T, reps []*figReplica) time.Duration {
	t.Helper()
	var total float64
	for _, r := range reps {
		_, _, body := call(t, "GET", r.admin+"/metrics", nil, "")
		found := false
		for l := range strings.Lines(body) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "process_cpu_seconds_total "); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("process_cpu_seconds_total %q: %v", v, err)
				}
				total += f
				found = true
			}
		}
		if !found {
			t.Fatalf("%s/metrics has no process_cpu_seconds_total", r.admin)
		}
	}
	return time.Duration(total * float64(time.Second))
}

// figSelfCPU is this process's CPU time: the load generator and the upstream.
func figSelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// figMachineBusy returns the busy and total CPU ticks of the whole machine since boot, from
// the first line of /proc/stat (steal counts as busy: another guest had the CPU).
func figMachineBusy() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:min(len(f), 9)] { // user nice system idle iowait irq softirq steal
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return busy, total
}
