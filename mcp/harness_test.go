package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/mcp/mcptest"
	"github.com/jfnhq/jfn/openapi"
)

// This file is the test harness: an upstream that records what it receives, and a stand-in
// for the gateway that runs the real auth.Require middleware over an in-memory token table
// (the gateway's job in production) in front of the Bridge at /mcp.

const testFunction = "pets"

// pixelPNG is a 1×1 PNG.
var pixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// newUpstream starts the pets API the harness's document describes, recording every
// request it receives.
func newUpstream(t testing.TB) *jfntest.Upstream {
	return jfntest.NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js := func(status int, v string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, v)
		}
		switch {
		case r.Method == "GET" && r.URL.Path == "/pets":
			js(200, `[{"id":"1","name":"Rex"}]`)
		case r.Method == "POST" && r.URL.Path == "/pets":
			var in struct{ Name string }
			body, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(body, &in)
			out, _ := json.Marshal(map[string]string{"id": "2", "name": in.Name})
			js(201, string(out))
		case r.Method == "GET" && r.URL.Path == "/pets/1":
			js(200, `{"id":"1","name":"Rex","age":3}`)
		case r.Method == "GET" && r.URL.Path == "/pets/42":
			http.Redirect(w, r, "/pets/1", http.StatusFound)
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/pets/"):
			js(404, `{"error":"no such pet"}`)
		case r.Method == "DELETE" && strings.HasPrefix(r.URL.Path, "/pets/"):
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			js(200, `{"ok":true}`)
		case r.URL.Path == "/toys":
			js(200, `{"toys":["ball"]}`)
		case r.URL.Path == "/count":
			js(200, `{"count":"many"}`)
		case r.URL.Path == "/hello":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "hello")
		case r.URL.Path == "/pixel":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(pixelPNG)
		default:
			http.NotFound(w, r)
		}
	}))
}

// tokens is the harness's token table; revoke removes a token at once, as the gateway's
// in-memory index does when the store reports a revocation.
type tokens struct {
	mu sync.Mutex
	m  map[[32]byte]auth.Info
}

func (k *tokens) add(t testing.TB, id string) string {
	t.Helper()
	tok, err := auth.New()
	if err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[auth.Hash(tok)] = auth.Info{ID: id, Function: testFunction, Hash: auth.Hash(tok)}
	return tok
}

func (k *tokens) revoke(tok string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, auth.Hash(tok))
}

func (k *tokens) lookup(h [sha256.Size]byte) (auth.Info, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	info, ok := k.m[h]
	return info, ok
}

type harness struct {
	up         *jfntest.Upstream
	bridge     *Bridge
	srv        *httptest.Server
	url        string // the /mcp endpoint
	toks       *tokens
	tokA, tokB string
}

func loadSpec(t testing.TB, data []byte) *openapi.Spec {
	t.Helper()
	spec, err := openapi.Load(data)
	if err != nil {
		t.Fatalf("openapi.Load: %v", err)
	}
	return spec
}

func petsDoc(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/pets.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// newHarness starts an upstream, a Bridge for it and the gateway stand-in. mod may adjust
// the options before New.
func newHarness(t testing.TB, mod func(*Options)) *harness {
	t.Helper()
	h := &harness{up: newUpstream(t), toks: &tokens{m: map[[32]byte]auth.Info{}}}
	h.tokA = h.toks.add(t, "tok_a")
	h.tokB = h.toks.add(t, "tok_b")
	base, _ := url.Parse(h.up.URL)
	opts := &Options{
		Function: testFunction,
		Upstream: base,
		Timeout:  time.Second,
		Client:   h.up.Client(),
		Sessions: NewMemorySessions(),
		Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
	}
	if mod != nil {
		mod(opts)
	}
	b, err := New(opts, loadSpec(t, petsDoc(t)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.bridge = b
	mux := http.NewServeMux()
	mux.Handle("/mcp", auth.Require(testFunction, h.toks.lookup, nil)(b))
	h.srv = httptest.NewServer(mux)
	h.url = h.srv.URL + "/mcp"
	t.Cleanup(func() {
		b.Close()
		h.srv.CloseClientConnections()
		h.srv.Close()
	})
	return h
}

// sessionClient connects an mcp-go client on a session-based revision, with the GET stream.
func (h *harness) sessionClient(t testing.TB, token string) *mcptest.Client {
	t.Helper()
	return mcptest.Connect(t, h.url, &mcptest.Options{Token: token, Version: mcpgo.LATEST_LEGACY_PROTOCOL_VERSION, Listen: true})
}

// rawRequest sends one HTTP request to /mcp. Empty token, session or version leave the
// header out.
func (h *harness) rawRequest(t testing.TB, method, token, session, version, body string, extra http.Header) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set(auth.Header, token)
	}
	if session != "" {
		req.Header.Set(mcpgo.HeaderSessionID, session)
	}
	if version != "" {
		req.Header.Set(mcpgo.HeaderProtocolVersion, version)
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h.srv.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s /mcp: %v", method, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// openSession initializes a session with raw HTTP and returns its id.
func (h *harness) openSession(t testing.TB, token string) string {
	t.Helper()
	resp, body := h.rawRequest(t, "POST", token, "", "", initializeBody, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("initialize: status %d, body %s", resp.StatusCode, body)
	}
	id := resp.Header.Get(mcpgo.HeaderSessionID)
	if id == "" {
		t.Fatalf("initialize: no %s header", mcpgo.HeaderSessionID)
	}
	resp, body = h.rawRequest(t, "POST", token, id, "2025-06-18", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized: status %d, body %s", resp.StatusCode, body)
	}
	return id
}

func (b *Bridge) openStreams() int {
	b.streams.mu.Lock()
	defer b.streams.mu.Unlock()
	n := 0
	for _, s := range b.streams.m {
		n += len(s)
	}
	return n
}
