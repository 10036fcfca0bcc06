package mcp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/auth"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHop compares the CPU cost of one tools/call through the Bridge (behind the real
// auth.Require, with a session) with one bare httputil.ReverseProxy hop to the same
// upstream operation. Both include the client, the server and the upstream in this process.
//
//	go test ./mcp/ -run '^$' -bench Hop -benchtime 2000x
func BenchmarkHop(b *testing.B) {
	h := newHarness(b, func(o *Options) { o.Logger = o.Logger.Level(zerolog.Disabled) })
	sess := h.openSession(b, h.tokA)
	base, _ := url.Parse(h.up.URL)
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(base)
		pr.SetXForwarded()
	}})
	defer proxy.Close()
	client := h.srv.Client()
	call := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"getPet","arguments":{"id":"1"}}}`

	run := func(b *testing.B, do func() (*http.Response, error)) {
		b.Helper()
		for range 20 { // warm up connections
			if resp, err := do(); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		b.ResetTimer()
		start := cpuTime(b)
		for range b.N {
			resp, err := do()
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/float64(b.N), "cpu-µs/op")
	}
	b.Run("proxy", func(b *testing.B) {
		run(b, func() (*http.Response, error) {
			req, _ := http.NewRequest("GET", proxy.URL+"/pets/1", nil)
			req.Header.Set(auth.Header, h.tokA)
			return client.Do(req)
		})
	})
	b.Run("tools-call", func(b *testing.B) {
		run(b, func() (*http.Response, error) {
			req, _ := http.NewRequest("POST", h.url, strings.NewReader(call))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set(auth.Header, h.tokA)
			req.Header.Set(mcpgo.HeaderSessionID, sess)
			req.Header.Set(mcpgo.HeaderProtocolVersion, "2025-06-18")
			return client.Do(req)
		})
	})
}
