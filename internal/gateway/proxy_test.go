package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
)

func TestForwardedHeaders(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	tok := h.deploy("balance", up, nil)
	h.start(nil)
	tokID := h.gw.idx.Load().tokens[sha256.Sum256([]byte(tok))].info.ID

	hdr := tokenHeader(tok)
	// Clients cannot spoof the gateway's headers.
	hdr.Set("X-Jelou-Token-Id", "spoofed")
	hdr.Set("X-Jelou-Function", "spoofed")
	hdr.Set("X-Jelou-Trigger", "cron")
	hdr.Set("X-Forwarded-For", "203.0.113.7")
	hdr.Set("X-Custom", "kept")
	resp, _ := h.do(http.MethodPost, "/balance/", hdr, strings.NewReader(`{"phone":"+593"}`))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /balance/ = %d, want 200", resp.StatusCode)
	}
	got := up.LastCall(t)
	if v, ok := got.Header["X-Jelou-Token"]; ok {
		t.Errorf("upstream saw X-Jelou-Token %q, want it removed", v)
	}
	rid := resp.Header.Get("X-Request-Id")
	checks := []struct{ header, want string }{
		{"X-Request-Id", rid},
		{"X-Jelou-Function", "balance"},
		{"X-Jelou-Token-Id", tokID},
		{"X-Jelou-Trigger", "http"},
		{"X-Forwarded-For", "203.0.113.7, 127.0.0.1"},
		{"X-Forwarded-Host", strings.TrimPrefix(h.srv.URL, "http://")},
		{"X-Forwarded-Proto", "http"},
		{"X-Custom", "kept"},
	}
	for _, c := range checks {
		if v := got.Header.Values(c.header); len(v) != 1 || v[0] != c.want {
			t.Errorf("upstream saw %s = %q, want [%q]", c.header, v, c.want)
		}
	}
	if _, err := uuid.Parse(rid); err != nil {
		t.Errorf("X-Request-Id = %q, want a UUID: %v", rid, err)
	}
	if got.Host != strings.TrimPrefix(up.URL, "http://") {
		t.Errorf("upstream saw Host %q, want its own %q", got.Host, strings.TrimPrefix(up.URL, "http://"))
	}
	if strings.Contains(strings.Join(got.Header.Values("X-Jelou-Token-Id"), ","), tok) {
		t.Errorf("the token id header carries the secret")
	}
}

func TestRequestID(t *testing.T) {
	up := newUpstream(t, defineDoc, func(w http.ResponseWriter, r *http.Request) {
		// An upstream that sets its own id does not make the answer carry two.
		w.Header().Set("X-Request-Id", "upstream-id")
		_, _ = io.WriteString(w, "ok")
	})
	h := newHarness(t)
	tok := h.deploy("balance", up, nil)
	h.start(nil)

	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"uuid", "0b7c6c1e-3c5f-4c1b-9c6b-3f1f0b8f7d2a", true},
		{"dotted", "req.1:2_3-4", true},
		{"max length", strings.Repeat("a", 128), true},
		{"too long", strings.Repeat("a", 129), false},
		{"space", "bad id", false},
		{"slash", "a/b", false},
		{"quote", `a"b`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := tokenHeader(tok)
			hdr.Set("X-Request-Id", tt.sent)
			resp, _ := h.do(http.MethodGet, "/balance/x", hdr, nil)
			echoed := resp.Header.Values("X-Request-Id")
			if len(echoed) != 1 {
				t.Fatalf("response X-Request-Id = %q, want one value", echoed)
			}
			if fwd := up.LastCall(t).Header.Get("X-Request-Id"); fwd != echoed[0] {
				t.Errorf("upstream saw X-Request-Id %q, response echoed %q; want the same", fwd, echoed[0])
			}
			if tt.keep && echoed[0] != tt.sent {
				t.Errorf("X-Request-Id %q was replaced by %q, want it kept", tt.sent, echoed[0])
			}
			if !tt.keep {
				if _, err := uuid.Parse(echoed[0]); err != nil {
					t.Errorf("X-Request-Id %q became %q, want a new UUID", tt.sent, echoed[0])
				}
			}
		})
	}
}

func TestBodyByteForByte(t *testing.T) {
	secret := []byte("whsec")
	up := newUpstream(t, defineDoc, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		if hex.EncodeToString(mac.Sum(nil)) != strings.TrimPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=") {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	})
	h := newHarness(t)
	tok := h.deploy("hook", up, nil)
	h.start(nil)

	body := make([]byte, 3<<16)
	for i := range body {
		body[i] = byte(i * 7)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	hdr := tokenHeader(tok)
	hdr.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("X-Weird", " spaced value\t")
	resp, got := h.do(http.MethodPost, "/hook/in?sig=1", hdr, bytes.NewReader(body))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /hook/in = %d %s, want 200 (signature verified upstream)", resp.StatusCode, got)
	}
	if got != string(body) {
		t.Errorf("echoed body differs from the sent one (%d vs %d bytes)", len(got), len(body))
	}
	seen := up.LastCall(t)
	if !bytes.Equal(seen.Body, body) {
		t.Errorf("upstream body differs from the sent one")
	}
	if v := seen.Header.Get("X-Hub-Signature-256"); v != hdr.Get("X-Hub-Signature-256") {
		t.Errorf("upstream saw X-Hub-Signature-256 %q, want %q", v, hdr.Get("X-Hub-Signature-256"))
	}
	if seen.Method != http.MethodPost || seen.RawQuery != "sig=1" {
		t.Errorf("upstream saw %s ?%s, want POST ?sig=1", seen.Method, seen.RawQuery)
	}
}

func TestUpstreamDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := newHarness(t)
	if _, err := h.store.PutFunction(context.Background(), store.Function{Name: "down", Upstream: "http://" + addr}); err != nil {
		t.Fatal(err)
	}
	tok, _ := h.store.addToken(t, "down", time.Time{})
	h.start(nil)

	resp, body := h.do(http.MethodGet, "/down/x?token="+tok, tokenHeader(tok), nil)
	want := `{"error":"Bad Gateway","message":"The function's upstream could not be reached."}`
	if resp.StatusCode != http.StatusBadGateway || body != want {
		t.Errorf("GET /down/x = %d %s, want 502 %s", resp.StatusCode, body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("502 without X-Request-Id")
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"status":502`) || !strings.Contains(logs, "connection refused") {
		t.Errorf("log does not record the 502 and its cause:\n%s", logs)
	}
	if strings.Contains(logs, tok) {
		t.Errorf("log contains the token (from the failed upstream URL):\n%s", logs)
	}
}

func TestSlowUpstream(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	up := newUpstream(t, defineDoc, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	h := newHarness(t)
	tok := h.deploy("slow", up, func(f *store.Function) { f.Timeout = 200 * time.Millisecond })
	h.start(nil)

	start := time.Now()
	resp, body := h.do(http.MethodGet, "/slow/x", tokenHeader(tok), nil)
	want := `{"error":"Gateway Timeout","message":"The function did not answer within 200ms."}`
	if resp.StatusCode != http.StatusGatewayTimeout || body != want {
		t.Errorf("GET /slow/x = %d %s, want 504 %s", resp.StatusCode, body, want)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 3*time.Second {
		t.Errorf("504 after %s, want about 200ms", d)
	}
}

func TestBodyTooLarge(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	early := newUpstream(t, defineDoc, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "answered without reading")
	})
	h := newHarness(t)
	tok := h.deploy("big", up, nil)
	earlyTok := h.deploy("early", early, nil)
	h.start(func(o *Options) { o.MaxBodyBytes = 1 << 20 })
	want := `{"error":"Request Entity Too Large","message":"The request body is larger than 1 MiB."}`

	big := bytes.Repeat([]byte("x"), 1<<20+1)
	t.Run("content-length", func(t *testing.T) {
		before := len(up.Calls())
		resp, body := h.do(http.MethodPost, "/big/upload", tokenHeader(tok), bytes.NewReader(big))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || body != want {
			t.Errorf("POST 1 MiB + 1 = %d %s, want 413 %s", resp.StatusCode, body, want)
		}
		if len(up.Calls()) != before {
			t.Errorf("the upstream received a request over the limit")
		}
	})
	t.Run("chunked", func(t *testing.T) {
		resp, body := h.do(http.MethodPost, "/big/upload", tokenHeader(tok), io.MultiReader(bytes.NewReader(big)))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || body != want {
			t.Errorf("chunked POST 1 MiB + 1 = %d %s, want 413 %s", resp.StatusCode, body, want)
		}
	})
	t.Run("at the limit", func(t *testing.T) {
		resp, body := h.do(http.MethodPost, "/big/upload", tokenHeader(tok), bytes.NewReader(big[:1<<20]))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("POST 1 MiB = %d %s, want 200", resp.StatusCode, body)
		}
	})
	t.Run("no token first", func(t *testing.T) {
		resp, _ := h.do(http.MethodPost, "/big/upload", nil, bytes.NewReader(big))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST over the limit without token = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("upstream answers early", func(t *testing.T) {
		resp, body := h.do(http.MethodPost, "/early/upload", tokenHeader(earlyTok), io.MultiReader(bytes.NewReader(big)))
		if resp.StatusCode != http.StatusRequestEntityTooLarge && resp.StatusCode != http.StatusOK {
			t.Errorf("chunked POST to an early upstream = %d %s, want 413 (or the upstream's 200 if it answered before the limit)", resp.StatusCode, body)
		}
	})
}

func TestSizeText(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{{10 << 20, "10 MiB"}, {1 << 20, "1 MiB"}, {512 << 10, "512 KiB"}, {1000, "1000 bytes"}, {1<<20 + 1, "1048577 bytes"}}
	for _, tt := range tests {
		if got := sizeText(tt.n); got != tt.want {
			t.Errorf("sizeText(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := errTooLarge(DefaultMaxBodyBytes).Message; got != "The request body is larger than 10 MiB." {
		t.Errorf("errTooLarge(default).Message = %q", got)
	}
	if got := errTimeout(store.DefaultTimeout).Message; got != "The function did not answer within 30s." {
		t.Errorf("errTimeout(default).Message = %q", got)
	}
}

func TestSSEStreamsThrough(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	up := newUpstream(t, defineDoc, func(w http.ResponseWriter, r *http.Request) {
		defer close(finished)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "data: second\n\n")
	})
	h := newHarness(t)
	// A timeout shorter than the stream: it bounds the wait for the headers, not the stream.
	tok := h.deploy("events", up, func(f *store.Function) { f.Timeout = 300 * time.Millisecond })
	h.start(nil)

	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/events/stream", nil)
	req.Header.Set("X-Jelou-Token", tok)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET /events/stream: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /events/stream = %d %s, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() != "" {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "data: first" {
			t.Fatalf("first line = %q, want data: first", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the first event did not arrive while the upstream was still streaming")
	}
	select {
	case <-finished:
		t.Fatalf("upstream finished before release")
	default:
	}
	time.Sleep(500 * time.Millisecond) // past the function's timeout
	close(release)
	select {
	case l := <-lines:
		if l != "data: second" {
			t.Errorf("second line = %q, want data: second", l)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("the second event did not arrive")
	}
}

func TestClientCancelNotAnUpstreamError(t *testing.T) {
	entered := make(chan struct{})
	up := newUpstream(t, defineDoc, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})
	h := newHarness(t)
	tok := h.deploy("hang", up, nil)
	h.start(nil)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+"/hang/x", nil)
	req.Header.Set("X-Jelou-Token", tok)
	go func() { <-entered; cancel() }()
	if _, err := h.srv.Client().Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v, want context.Canceled", err)
	}
	jfntest.Eventually(t, 2*time.Second, "access line written", func() bool { return strings.Contains(h.logs.String(), `"status":499`) })
	logs := h.logs.String()
	if strings.Contains(logs, `"level":"error"`) || strings.Contains(logs, "could not be reached") {
		t.Errorf("a client cancellation was logged as an upstream error:\n%s", logs)
	}
}
