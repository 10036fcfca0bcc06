package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jfnhq/jfn/auth"
)

// The MCP side of the bench speaks raw Streamable HTTP (2025-06-18, JSON answers): one
// initialize and notifications/initialized per session, then tools/call.

const benchProtocol = "2025-06-18"

const (
	mcpInitialize  = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"` + benchProtocol + `","capabilities":{},"clientInfo":{"name":"jfn-bench","version":"1"}}}`
	mcpInitialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	// mcpToolCall calls examples/balance's only tool, the same operation the proxy rows call.
	mcpToolCall = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"getBalance","arguments":{"phone":"+593987654321"}}}`
)

// mcpHeader returns the headers of an MCP POST with token and, unless empty, session.
func mcpHeader(token, session string) http.Header {
	h := http.Header{
		"Content-Type": {"application/json"},
		"Accept":       {"application/json, text/event-stream"},
		auth.Header:    {token},
	}
	if session != "" {
		h["Mcp-Session-Id"] = []string{session}
		h["Mcp-Protocol-Version"] = []string{benchProtocol}
	}
	return h
}

// openSession initializes one MCP session at mcpURL and returns its id.
func openSession(ctx context.Context, client *http.Client, mcpURL, token string) (string, error) {
	post := func(body, session string, want int) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, mcpURL, bytes.NewReader([]byte(body)))
		if err != nil {
			return nil, err
		}
		req.Header = mcpHeader(token, session)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		drain(resp)
		if resp.StatusCode != want {
			return nil, fmt.Errorf("POST %s (%.40s…) = %d, want %d", mcpURL, body, resp.StatusCode, want)
		}
		return resp, nil
	}
	resp, err := post(mcpInitialize, "", http.StatusOK)
	if err != nil {
		return "", err
	}
	id := resp.Header.Get("Mcp-Session-Id")
	if id == "" {
		return "", fmt.Errorf("initialize at %s returned no Mcp-Session-Id", mcpURL)
	}
	if _, err := post(mcpInitialized, id, http.StatusAccepted); err != nil {
		return "", err
	}
	return id, nil
}

// toolCallTarget is the tools/call row's request in session.
func toolCallTarget(mcpURL, token, session string) *loadTarget {
	return &loadTarget{
		method: http.MethodPost, url: mcpURL, header: mcpHeader(token, session), body: []byte(mcpToolCall),
		check: func(body []byte) error {
			if bytes.Contains(body, []byte(`"isError":true`)) || !bytes.Contains(body, []byte(`"structuredContent"`)) {
				return errors.New("the tool call did not succeed")
			}
			return nil
		},
	}
}

// sessionsResult is the idle-session memory measurement.
type sessionsResult struct {
	sessions     int
	open         time.Duration // time to open them all
	before       benchMem
	after        benchMem
	heapDelta    int64 // bytes of heap in use the sessions added
	rssDelta     int64
	perSessionKB float64
}

// measureSessions opens n MCP sessions through the gateway from concurrency workers, leaves
// them idle, and reports the gateway's heap growth after GC.
//
// The heap is read once the load generator's connections are closed (their buffers are not
// the sessions'), and after settle, which lets the gateway's batched bookkeeping of recent
// session use reach the store as it does for any idle session.
func measureSessions(ctx context.Context, client *http.Client, gw *benchChild, mcpURL, token string, n, concurrency int, settle time.Duration) (sessionsResult, error) {
	res := sessionsResult{sessions: n}
	quiet := func(d time.Duration) {
		client.CloseIdleConnections()
		time.Sleep(d)
	}
	var err error
	quiet(200 * time.Millisecond)
	if res.before, err = gw.mem(); err != nil {
		return res, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for int(next.Add(1)) <= n && ctx.Err() == nil {
				if _, err := openSession(ctx, client, mcpURL, token); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	res.open = time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return res, fmt.Errorf("open %d MCP sessions: %w", n, err)
	}
	quiet(max(settle, 200*time.Millisecond))
	if res.after, err = gw.mem(); err != nil {
		return res, err
	}
	res.heapDelta = int64(res.after.HeapInuse) - int64(res.before.HeapInuse)
	res.rssDelta = int64(res.after.RSS) - int64(res.before.RSS)
	res.perSessionKB = float64(res.heapDelta) / 1024 / float64(max(n, 1))
	return res, nil
}
