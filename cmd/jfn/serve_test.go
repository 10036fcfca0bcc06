package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/cmdline"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/server"
)

// background runs the CLI in a goroutine until ctx ends and returns its stdout, stderr and
// a channel with its exit code.
func background(ctx context.Context, getenv func(string) string, args ...string) (*jfntest.SyncBuffer, *jfntest.SyncBuffer, <-chan int) {
	stdout, stderr := &jfntest.SyncBuffer{}, &jfntest.SyncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, strings.NewReader(""), stdout, stderr, getenv) }()
	return stdout, stderr, done
}

// waitFor returns the first match of pattern in buf, where the command that sends its exit
// code on done prints; it fails the test when the command exits first or 15 s pass.
func waitFor(t *testing.T, what string, buf *jfntest.SyncBuffer, done <-chan int, pattern *regexp.Regexp) []string {
	t.Helper()
	var m []string
	code, exited := 0, false
	if !jfntest.Poll(15*time.Second, func() bool {
		if m = pattern.FindStringSubmatch(buf.String()); m != nil {
			return true
		}
		select {
		case code = <-done:
			exited = true
		default:
		}
		return exited
	}) {
		t.Fatalf("%s did not print %v:\n%s", what, pattern, buf)
	}
	if exited {
		t.Fatalf("%s exited %d before printing %v:\n%s", what, code, pattern, buf)
	}
	return m
}

func waitExit(t *testing.T, what string, done <-chan int) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not stop after its context ended", what)
		return -1
	}
}

func TestServeCommand(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// JFN_LISTEN is the default; the flag beats it.
	getenv := mapEnv("JFN_DB", db, "JFN_LISTEN", "256.0.0.1:1", "JFN_ADMIN_LISTEN", "127.0.0.1:0")
	stdout, stderr, done := background(ctx, getenv, "serve", "--listen", "127.0.0.1:0")
	m := waitFor(t, "jfn serve", stdout, done, regexp.MustCompile(`✓ Serving on (http://\S+)\n▸ Admin: (http://\S+) `))

	code, hdr, body := call(t, "GET", m[1]+"/nope", nil, "")
	if code != 404 {
		t.Errorf("GET /nope on jfn serve = %d %s, want 404", code, body)
	}
	errorBody(t, "unknown function", code, hdr, body)
	if code, _, body := call(t, "GET", m[2]+"/healthz", nil, ""); code != 200 {
		t.Errorf("GET admin /healthz = %d %s, want 200", code, body)
	}
	if code, _, body := call(t, "GET", m[2]+"/readyz", nil, ""); code != 200 {
		t.Errorf("GET admin /readyz = %d %s, want 200", code, body)
	}
	cancel()
	if code := waitExit(t, "jfn serve", done); code != 0 {
		t.Errorf("jfn serve exited %d after SIGINT, want 0 (stderr %s)", code, stderr)
	}
	// The log is JSON lines.
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line %q is not JSON", line)
		}
	}
	if !strings.Contains(stderr.String(), `"message":"listening"`) {
		t.Errorf("the log has no listening line:\n%s", stderr)
	}
}

func TestServeBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr jfntest.SyncBuffer
	code := run(ctx, []string{"serve", "--listen", ln.Addr().String(), "--admin-listen", "127.0.0.1:0"},
		strings.NewReader(""), &stdout, &stderr, mapEnv("JFN_DB", t.TempDir()+"/jfn.db"))
	if code != 1 || !strings.Contains(stderr.String(), "cannot listen on "+ln.Addr().String()) {
		t.Errorf("jfn serve on a busy port: exit %d, stderr %q; want 1 and a clear error", code, stderr.String())
	}
}

func TestServeConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		args    []string
		wantErr bool
		check   func(server.Config) bool
	}{
		{"defaults", nil, nil, false, func(c server.Config) bool {
			return c.Listen == "127.0.0.1:8080" && c.AdminListen == "127.0.0.1:9090" && c.SpecRefresh == time.Minute
		}},
		{"env", []string{"JFN_LISTEN", "127.0.0.1:1", "JFN_DOMAIN", "Fn.Example.com", "JFN_PUBLIC_URL", "https://gw.example.com/"}, nil, false, func(c server.Config) bool {
			return c.Listen == "127.0.0.1:1" && c.Domain == "fn.example.com" && c.PublicURL == "https://gw.example.com"
		}},
		{"flag beats env", []string{"JFN_LISTEN", "127.0.0.1:1"}, []string{"--listen", "127.0.0.1:2"}, false, func(c server.Config) bool {
			return c.Listen == "127.0.0.1:2"
		}},
		{"origins", nil, []string{"--allowed-origins", "https://a.example, https://b.example"}, false, func(c server.Config) bool {
			return len(c.AllowedOrigins) == 2 && c.AllowedOrigins[1] == "https://b.example"
		}},
		{"both on port 0", nil, []string{"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, false, nil},
		{"admin on the public port", nil, []string{"--listen", ":8080", "--admin-listen", "127.0.0.1:8080"}, true, nil},
		{"bad domain", nil, []string{"--domain", "https://x"}, true, nil},
		{"bad refresh", nil, []string{"--spec-refresh", "0s"}, true, nil},
		{"bad body limit", nil, []string{"--max-body-bytes", "-1"}, true, nil},
		{"positional", nil, []string{"extra"}, true, nil},
		{"v2 signatures only by default", nil, nil, false, func(c server.Config) bool { return c.SignatureCompat == "" }},
		{"signature compat v1", nil, []string{"--signature-compat", "v1"}, false, func(c server.Config) bool { return c.SignatureCompat == "v1" }},
		{"signature compat from env", []string{"JFN_SIGNATURE_COMPAT", "v1"}, nil, false, func(c server.Config) bool { return c.SignatureCompat == "v1" }},
		{"bad signature compat", nil, []string{"--signature-compat", "v0"}, true, nil},
		{"bad signature compat env", []string{"JFN_SIGNATURE_COMPAT", "V1"}, nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseServeConfig(mapEnv(append([]string{"JFN_DB", "x.db"}, tt.env...)...), tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseServeConfig(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(cfg) {
				t.Errorf("parseServeConfig(%q) = %+v", tt.args, cfg)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	// Hold a port so that the demo has to fall back to a free one.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr, done := background(ctx, mapEnv(), "demo", "--listen", ln.Addr().String())
	m := waitFor(t, "jfn demo", stdout, done, regexp.MustCompile(`curl -s -X POST (\S+) -H 'X-Jelou-Token: (jfn_rt_[A-Za-z0-9]+)' -H 'Content-Type: application/json' -d '(\{[^']*\})'`))
	out := waitFor(t, "jfn demo", stdout, done, regexp.MustCompile(`(?s).*Header value.*Header value[^\n]*\n`))[0]

	code, _, body := call(t, "POST", m[1], tokenHeader(m[2]), m[3])
	if code != 200 || !strings.Contains(body, `"balance"`) {
		t.Errorf("the demo's curl line: POST %s = %d %s, want 200 and a balance", m[1], code, body)
	}
	if code, _, _ := call(t, "POST", m[1], nil, m[3]); code != 401 {
		t.Errorf("the demo's curl line without the token = %d, want 401", code)
	}
	for _, want := range []string{"is busy", m[1] + "/mcp", "Header name   X-Jelou-Token", "Header value  " + m[2], "temporary", "/shop"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	cancel()
	if code := waitExit(t, "jfn demo", done); code != 0 {
		t.Errorf("jfn demo exited %d, want 0 (stderr %s)", code, stderr)
	}
}

func TestDemoJSONRemovesStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, _, done := background(ctx, mapEnv(), "demo", "--listen", "127.0.0.1:0", "--json")
	waitFor(t, "jfn demo --json", stdout, done, regexp.MustCompile(`(?s)^\{.*\n\}\n$`))
	var out struct {
		Gateway   string
		Store     string
		Functions []demoResult
	}
	if err := json.Unmarshal([]byte(stdout.String()), &out); err != nil {
		t.Fatalf("jfn demo --json: %v", err)
	}
	if len(out.Functions) != 2 || out.Functions[1].Name != "shop" {
		t.Fatalf("jfn demo --json functions = %+v", out.Functions)
	}
	req, _ := http.NewRequest("GET", out.Functions[1].URL+"/products?limit=1", nil)
	req.Header.Set("X-Jelou-Token", out.Functions[1].Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET shop/products with the demo's token = %d, want 200", resp.StatusCode)
	}
	if _, err := os.Stat(out.Store); err != nil {
		t.Errorf("the demo's store %s: %v", out.Store, err)
	}
	cancel()
	waitExit(t, "jfn demo", done)
	if _, err := os.Stat(out.Store); !os.IsNotExist(err) {
		t.Errorf("the demo's store %s still exists after it stopped (%v)", out.Store, err)
	}
}

// parseServeConfig parses the arguments of 'jfn serve' as the command does, with getenv as
// the environment, and returns the configuration it would run.
func parseServeConfig(getenv func(string) string, args []string) (server.Config, error) {
	var cfg server.Config
	probe := serveCmd
	probe.Flags = func(fs *flagSet) action {
		config := configFlags(fs)
		return func(ctx context.Context, x *invocation) (err error) {
			cfg, err = config(x)
			return err
		}
	}
	e := &cmdline.Env{Stdin: bufio.NewReader(strings.NewReader("")), Stdout: io.Discard, Stderr: io.Discard, Getenv: getenv}
	err := program([]command{probe}).Run(context.Background(), e, append([]string{"serve"}, args...))
	return cfg, err
}
