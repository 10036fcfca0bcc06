package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/server"
)

// mapEnv returns a getenv that sees only kv (key, value, key, value…), so that tests never
// depend on the machine's JFN_* variables.
func mapEnv(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// cliResult is what one run of the CLI printed and returned.
type cliResult struct {
	stdout, stderr string
	code           int
}

// cli runs the CLI in-process with JFN_DB=db and empty stdin.
func cli(t testing.TB, db string, args ...string) cliResult {
	t.Helper()
	return cliIn(t, db, "", args...)
}

// cliIn runs the CLI in-process with JFN_DB=db and the given stdin.
func cliIn(t testing.TB, db, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr, mapEnv("JFN_DB", db))
	return cliResult{stdout.String(), stderr.String(), code}
}

// mustCLI runs the CLI and fails the test unless it exits 0.
func mustCLI(t testing.TB, db string, args ...string) cliResult {
	t.Helper()
	r := cli(t, db, args...)
	if r.code != 0 {
		t.Fatalf("jfn %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

var tokenPattern = regexp.MustCompile(`jfn_rt_[A-Za-z0-9]{43,}`)

// deployed deploys name with extra flags and returns its default token.
func deployed(t testing.TB, db, name, url string, flags ...string) string {
	t.Helper()
	r := mustCLI(t, db, append([]string{"deploy", name, "--url", url}, flags...)...)
	tok := tokenPattern.FindString(r.stdout)
	if tok == "" {
		t.Fatalf("jfn deploy %s: no token in %q", name, r.stdout)
	}
	return tok
}

// testServer is a gateway started through the same code path as 'jfn serve'.
type testServer struct {
	*server.Server
	log *serverLog
	db  string
}

// serverLog is what a test server logged. String writes out the buffered lines first, so
// that a check for what the log must never hold sees every line.
type serverLog struct {
	buf *jfntest.SyncBuffer
	w   *gateway.LogWriter
}

func (l *serverLog) String() string {
	_ = l.w.Flush()
	return l.buf.String()
}

// startServer starts 'jfn serve' in-process on 127.0.0.1:0 with a SQLite file in a temp dir.
// Extra flags for 'jfn serve' may be given.
func startServer(t testing.TB, flags ...string) *testServer {
	t.Helper()
	return startServerOn(t, filepath.Join(t.TempDir(), "jfn.db"), nil, flags...)
}

// call sends one request to the gateway and returns its status, headers and body.
func call(t testing.TB, method, url string, header http.Header, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func tokenHeader(tok string) http.Header { return http.Header{"X-Jelou-Token": {tok}} }

// decodeObject decodes one JSON object and fails the test unless its keys are exactly keys.
func decodeObject(t *testing.T, what, s string, keys ...string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s: output %q is not one JSON object: %v", what, s, err)
	}
	checkKeys(t, what, m, keys...)
	return m
}

func checkKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing in %v", what, k, m)
		}
	}
	for k := range m {
		if !want[k] {
			t.Errorf("%s: unexpected key %q in %v", what, k, m)
		}
	}
}

// errorBody checks a gateway error: JSON {"error":<status text>,"message":<non-empty>}.
func errorBody(t *testing.T, what string, status int, hdr http.Header, body string) {
	t.Helper()
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type = %q, want application/json", what, ct)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: body %q is not a JSON object: %v", what, body, err)
	}
	if m["error"] != http.StatusText(status) || m["message"] == "" {
		t.Errorf("%s: body = %s, want error %q and a message", what, body, http.StatusText(status))
	}
}

// waitFunctions waits until the running server knows every named function: the store's change
// feed reaches it within a second of a deploy.
func (s *testServer) waitFunctions(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		jfntest.Eventually(t, 2*time.Second, "the server knows function "+name, func() bool {
			_, _, body := call(t, "GET", s.URL()+"/"+name+"/__health", nil, "")
			return !strings.Contains(body, "No function named")
		})
	}
}

// waitToken waits until the running server accepts tok on url (any answer but 401): a deploy
// writes the function and its token in two steps, and the server may see the first alone.
func (s *testServer) waitToken(t *testing.T, url, tok string) {
	t.Helper()
	jfntest.Eventually(t, 2*time.Second, "the server accepts a new token on "+url, func() bool {
		code, _, _ := call(t, "GET", url, tokenHeader(tok), "")
		return code != http.StatusUnauthorized
	})
}

// lookProgram returns the path of the first of names on PATH. When none is there, the test
// fails if the environment variable require is "1" (as .ci/run sets it: CI installs the
// program, so its absence is a fault) and is skipped otherwise, saying what to install.
func lookProgram(t *testing.T, require, install string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(require) == "1" {
		t.Fatalf("%s is not on PATH and %s=1: %s", names[0], require, install)
	}
	t.Skipf("%s is not on PATH (%s=1 makes this a failure): %s", names[0], require, install)
	return ""
}
