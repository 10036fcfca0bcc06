package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jfnhq/jfn/examples/balance"
)

// The bench runs each server it measures in a child process of its own (`jfn bench --child
// ROLE`), so that the CPU time it reports per request is that server's alone: neither the
// load generator nor, for the proxies, the upstream is counted. A child prints one JSON line
// (benchHello) on stdout, serves until its stdin closes, and answers its parent on a small
// control listener (CPU time, memory after GC, CPU profile).

// Child roles.
const (
	roleUpstream = "upstream" // the example function (examples/balance), the rows' upstream
	roleGateway  = "gateway"  // a bare httputil.ReverseProxy and jfn, both in front of --upstream
)

// benchHello is what a child announces once it serves.
type benchHello struct {
	Control  string `json:"control"`            // base URL of the control listener
	Upstream string `json:"upstream,omitempty"` // roleUpstream: the function's base URL
	Bare     string `json:"bare,omitempty"`     // roleGateway: the bare reverse proxy
	JFN      string `json:"jfn,omitempty"`      // roleGateway: the jfn server's public URL
	Token    string `json:"token,omitempty"`    // roleGateway: the function's runtime token
	Error    string `json:"error,omitempty"`    // the child could not start
}

// benchMem is the control listener's answer to GET /mem, taken after two forced GCs.
type benchMem struct {
	HeapInuse uint64 `json:"heap_inuse"`
	HeapAlloc uint64 `json:"heap_alloc"`
	RSS       uint64 `json:"rss"`
}

// benchFunction is the function the gateway child deploys: examples/balance.
const benchFunction = "balance"

// runBenchChild runs one child role until stdin closes or ctx ends.
func runBenchChild(ctx context.Context, e *env, role, upstream, cpuprofile, memprofile string) error {
	var (
		hello benchHello
		stop  func()
		err   error
	)
	switch role {
	case roleUpstream:
		hello, stop, err = startBenchUpstream()
	case roleGateway:
		hello, stop, err = startBenchGateway(ctx, e, upstream)
	default:
		return usagef("jfn bench: unknown --child role %q", role)
	}
	if err != nil {
		_ = json.NewEncoder(e.stdout).Encode(benchHello{Error: err.Error()})
		return err
	}
	defer stop()

	ctl, err := newBenchControl(cpuprofile, memprofile)
	if err != nil {
		return err
	}
	defer ctl.close()
	hello.Control = ctl.url
	if err := json.NewEncoder(e.stdout).Encode(hello); err != nil {
		return err
	}

	// The parent closes our stdin when it is done, or dies: either way, stop.
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, e.stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	}
	return nil
}

// serveLoopback serves h on a fresh 127.0.0.1 port and returns its base URL and a stop func.
func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func startBenchUpstream() (benchHello, func(), error) {
	u, stop, err := serveLoopback(balance.Handler())
	if err != nil {
		return benchHello{}, nil, fmt.Errorf("start the upstream: %w", err)
	}
	return benchHello{Upstream: u}, stop, nil
}

// startBenchGateway starts the bare reverse proxy and a real jfn Server (temporary SQLite
// store, the balance function deployed with its default token, access log on stderr) in
// front of upstream.
func startBenchGateway(ctx context.Context, e *env, upstream string) (benchHello, func(), error) {
	target, err := url.Parse(upstream)
	if err != nil || target.Host == "" {
		return benchHello{}, nil, usagef("jfn bench: --upstream %q is not a URL", upstream)
	}
	var stops []func()
	stopAll := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}

	// The bare proxy: what anyone would write with the standard library, given a connection
	// pool as large as jfn's so that both reuse connections to the upstream.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 256
	bareURL, stopBare, err := serveLoopback(&httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport: tr,
	})
	if err != nil {
		return benchHello{}, nil, fmt.Errorf("start the bare proxy: %w", err)
	}
	stops = append(stops, stopBare)

	dir, err := os.MkdirTemp("", "jfn-bench-")
	if err != nil {
		stopAll()
		return benchHello{}, nil, fmt.Errorf("create the bench store: %w", err)
	}
	stops = append(stops, func() { _ = os.RemoveAll(dir) })
	db := filepath.Join(dir, "jfn.db")
	st, err := openStore(ctx, &env{db: db})
	if err != nil {
		stopAll()
		return benchHello{}, nil, err
	}
	res, err := deployFunction(ctx, st, deployParams{Name: benchFunction, Upstream: upstream})
	_ = st.Close()
	if err != nil {
		stopAll()
		return benchHello{}, nil, fmt.Errorf("deploy %s: %w", benchFunction, err)
	}

	logger, logs := newLogger(e.stderr)
	s := NewServer(serveConfig{
		DB: db, Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0",
		SpecRefresh: time.Minute, SessionTTL: defaultSessionTTL, MaxBodyBytes: 10 << 20,
		ShutdownTimeout: 5 * time.Second,
	}, logger)
	if err := s.Open(ctx); err != nil {
		_ = logs.Close()
		stopAll()
		return benchHello{}, nil, err
	}
	stops = append(stops, func() { _ = s.Close(); _ = logs.Close() })
	return benchHello{Bare: bareURL, JFN: s.URL(), Token: res.Token}, stopAll, nil
}

// benchControl is a child's control listener.
type benchControl struct {
	url   string
	stop  func()
	mu    sync.Mutex
	prof  *os.File
	pfile string
	mfile string
}

func newBenchControl(cpuprofile, memprofile string) (*benchControl, error) {
	c := &benchControl{pfile: cpuprofile, mfile: memprofile}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cpu", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strconv.FormatInt(int64(processCPU()), 10))
	})
	mux.HandleFunc("GET /mem", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(memAfterGC())
	})
	mux.HandleFunc("POST /profile/start", func(w http.ResponseWriter, r *http.Request) {
		if err := c.startProfile(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /profile/stop", func(w http.ResponseWriter, r *http.Request) {
		if err := c.stopProfile(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /profile/heap", func(w http.ResponseWriter, r *http.Request) {
		if err := c.heapProfile(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	u, stop, err := serveLoopback(mux)
	if err != nil {
		return nil, fmt.Errorf("start the control listener: %w", err)
	}
	c.url, c.stop = u, stop
	return c, nil
}

func (c *benchControl) startProfile() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pfile == "" || c.prof != nil {
		return nil
	}
	f, err := os.Create(c.pfile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	c.prof = f
	return nil
}

func (c *benchControl) stopProfile() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prof == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := c.prof.Close()
	c.prof = nil
	return err
}

// heapProfile writes the live heap to the memory profile file, if there is one.
func (c *benchControl) heapProfile() error {
	if c.mfile == "" {
		return nil
	}
	runtime.GC()
	f, err := os.Create(c.mfile)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (c *benchControl) close() {
	_ = c.stopProfile()
	c.stop()
}

// processCPU is the CPU time (user + system) this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// memAfterGC forces two collections (the second frees what finalizers of the first
// released) and reports the heap and the resident set.
func memAfterGC() benchMem {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return benchMem{HeapInuse: ms.HeapInuse, HeapAlloc: ms.HeapAlloc, RSS: residentBytes()}
}

// residentBytes is the process's resident set size from /proc/self/statm (0 elsewhere).
func residentBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// benchChild is a running child process, seen from the parent.
type benchChild struct {
	hello  benchHello
	stdin  io.Closer
	exited chan struct{} // closed once the process has been waited for
	stderr string        // the file its stderr goes to
	client *http.Client
	proc   *os.Process
}

// startChild starts cmd (a `jfn bench --child …` command), whose stderr goes to stderrFile,
// and waits for its hello.
func startChild(cmd childCommand, stderrFile string, args ...string) (*benchChild, error) {
	c := cmd(args...)
	errf, err := os.Create(stderrFile)
	if err != nil {
		return nil, err
	}
	c.Stderr = errf
	stdin, err := c.StdinPipe()
	if err != nil {
		errf.Close()
		return nil, err
	}
	stdout, err := c.StdoutPipe()
	if err != nil {
		errf.Close()
		return nil, err
	}
	if err := c.Start(); err != nil {
		errf.Close()
		return nil, fmt.Errorf("start %s: %w", c.Path, err)
	}
	ch := &benchChild{
		stdin: stdin, exited: make(chan struct{}), stderr: stderrFile,
		client: &http.Client{Timeout: time.Minute}, proc: c.Process,
	}
	go func() {
		_ = c.Wait()
		errf.Close()
		close(ch.exited)
	}()
	helloc := make(chan error, 1)
	go func() {
		dec := json.NewDecoder(stdout)
		err := dec.Decode(&ch.hello)
		if err == nil && ch.hello.Error != "" {
			err = errors.New(ch.hello.Error)
		}
		helloc <- err
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case err = <-helloc:
	case <-time.After(time.Minute):
		err = errors.New("no answer within a minute")
	}
	if err != nil {
		ch.close()
		return nil, fmt.Errorf("bench child %s: %w%s", strings.Join(args, " "), err, tailOf(stderrFile))
	}
	return ch, nil
}

// tailOf returns the end of a child's stderr, to explain a failure.
func tailOf(file string) string {
	data, _ := os.ReadFile(file)
	s := strings.TrimSpace(string(data))
	if s == "" {
		return ""
	}
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return " (its stderr: " + strings.ReplaceAll(s, "\n", " | ") + ")"
}

// cpu returns the child's CPU time so far.
func (c *benchChild) cpu() (time.Duration, error) {
	resp, err := c.client.Get(c.hello.Control + "/cpu")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, err := strconv.ParseInt(string(b), 10, 64)
	return time.Duration(n), err
}

// mem returns the child's heap and resident set after two forced GCs.
func (c *benchChild) mem() (benchMem, error) {
	var m benchMem
	resp, err := c.client.Get(c.hello.Control + "/mem")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&m)
	return m, err
}

// control posts to one of the child's control actions.
func (c *benchChild) control(action string) error {
	resp, err := c.client.Post(c.hello.Control+action, "text/plain", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s", action, strings.TrimSpace(string(b)))
	}
	return nil
}

// close asks the child to stop and waits for it, killing it after 15 seconds. It may be
// called more than once.
func (c *benchChild) close() {
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(15 * time.Second):
		_ = c.proc.Kill()
		<-c.exited
	}
}
