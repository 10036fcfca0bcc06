package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"balance", "shop"}, {"balance", "--bogus"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("run(%q) = %d (stderr %q), want 2 and an error", args, code, stderr.String())
		}
	}
}

func TestRunServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	// The flag comes after the name, as in the README.
	go func() { done <- run(ctx, []string{"shop", "--listen", "127.0.0.1:0"}, stdout, stderr) }()
	addr := regexp.MustCompile(`on (http://\S+) `)
	deadline := time.Now().Add(5 * time.Second)
	for addr.FindStringSubmatch(stdout.String()) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("example shop printed %q, want its address", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	url := addr.FindStringSubmatch(stdout.String())[1]
	resp, err := http.Get(url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /openapi.json = %d %s, want 200 JSON", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("run = %d after cancel, want 0 (stderr %q)", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}
