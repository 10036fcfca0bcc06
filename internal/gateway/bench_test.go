package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/rs/zerolog"
)

// BenchmarkProxy compares the jfn proxy path (access log, routing, token check, forwarding
// headers) with a bare httputil.ReverseProxy against the same loopback upstream. Besides
// ns/op it reports cpu-ns/op: the process CPU time per request, client and upstream
// included (the same for both), so the difference between the two is the gateway's cost.
//
//	go test -run '^$' -bench BenchmarkProxy -benchtime 20000x -v ./internal/gateway/
//
// (-v prints the ratio line.)
func BenchmarkProxy(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/openapi.json" {
			_, _ = io.WriteString(w, defineDoc)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"balance":42}`)
	}))
	defer up.Close()
	target, _ := url.Parse(up.URL)

	bare := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport: newTransport(),
	})
	defer bare.Close()

	st := newFakeStore()
	if _, err := st.PutFunction(context.Background(), store.Function{Name: "balance", Upstream: up.URL}); err != nil {
		b.Fatal(err)
	}
	tok, err := auth.New()
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateToken(context.Background(), store.Token{ID: "tok1", Function: "balance", Hash: auth.Hash(tok)}); err != nil {
		b.Fatal(err)
	}
	gw, err := New(context.Background(), &Options{Store: st, Logger: zerolog.New(io.Discard)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = gw.Run(ctx) }()
	jfn := httptest.NewServer(gw.Handler())
	defer jfn.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var cpuPerReq float64 // of the last sub-benchmark run
	run := func(b *testing.B, url string, header http.Header) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header = header
		// Warm the connections (and, for jfn, wait for the first document fetch).
		for i := 0; i < 10; i++ {
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("GET %s = %d, want 200", url, resp.StatusCode)
			}
		}
		b.ReportAllocs()
		cpu0 := cpuTime()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		b.StopTimer()
		cpuPerReq = float64((cpuTime() - cpu0).Nanoseconds()) / float64(b.N)
		b.ReportMetric(cpuPerReq, "cpu-ns/op")
	}
	var bareCPU, jfnCPU float64
	b.Run("bare", func(b *testing.B) {
		run(b, bare.URL+"/x?y=1", http.Header{"X-Request-Id": {"bench"}})
		bareCPU = cpuPerReq
	})
	b.Run("jfn", func(b *testing.B) {
		run(b, jfn.URL+"/balance/x?y=1", http.Header{"X-Request-Id": {"bench"}, auth.Header: {tok}})
		jfnCPU = cpuPerReq
	})
	if bareCPU > 0 && jfnCPU > 0 {
		b.Logf("CPU per request: bare %.1f µs, jfn %.1f µs, ratio %.2f (client and upstream included in both)",
			bareCPU/1000, jfnCPU/1000, jfnCPU/bareCPU)
	}
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAuthorize measures the token check on the hot path: header read, checksum, hash,
// in-memory lookup and last-use recording.
func BenchmarkAuthorize(b *testing.B) {
	st := newFakeStore()
	if _, err := st.PutFunction(context.Background(), store.Function{Name: "balance", Upstream: "http://127.0.0.1:1"}); err != nil {
		b.Fatal(err)
	}
	tok, _ := auth.New()
	if err := st.CreateToken(context.Background(), store.Token{ID: "tok1", Function: "balance", Hash: auth.Hash(tok)}); err != nil {
		b.Fatal(err)
	}
	gw, err := New(context.Background(), &Options{Store: st, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	idx := gw.idx.Load()
	t := target{fn: idx.functions["balance"], path: "/x"}
	r := httptest.NewRequest(http.MethodGet, "/balance/x", nil)
	st2 := &reqState{}
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st2))
	w := httptest.NewRecorder()
	vals := []string{tok}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Header[auth.Header] = vals
		if _, ok := gw.authorize(w, r, idx, t, true); !ok {
			b.Fatal("refused")
		}
	}
}

// BenchmarkMetricsPerRequest measures what the metrics add to one proxied request: the
// status code's counter (pre-resolved per function) and the upstream latency histogram.
// The "labels" variant resolves the same series by label values on every request, which
// the pre-resolved path avoids.
func BenchmarkMetricsPerRequest(b *testing.B) {
	st := newFakeStore()
	if _, err := st.PutFunction(context.Background(), store.Function{Name: "balance", Upstream: "http://127.0.0.1:1"}); err != nil {
		b.Fatal(err)
	}
	gw, err := New(context.Background(), &Options{Store: st, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	fm := gw.idx.Load().functions["balance"].metrics
	b.Run("resolved", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			fm.request(routeProxy, 200)
			fm.proxyTime.Observe(0.001)
		}
	})
	b.Run("labels", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			gw.metrics.requests.WithLabelValues("balance", routeProxy, strconv.Itoa(200)).Inc()
			gw.metrics.upstream.WithLabelValues("balance", routeProxy).Observe(0.001)
		}
	})
}
