package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

// signedRequest is one request an upstream received from the gateway, as raw as Go gives it.
type signedRequest struct {
	function  string
	trigger   string // X-Jelou-Trigger: http, mcp or cron
	method    string
	target    string // r.RequestURI
	requestID string
	header    string // X-Jelou-Signature
	body      []byte
}

// newSignedUpstream starts an upstream that serves doc at any path ending in
// /openapi.json and answers every other request with {"ok":true}.
func newSignedUpstream(t *testing.T, doc string) *jfntest.Upstream {
	return jfntest.NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/openapi.json") {
			io.WriteString(w, doc)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
}

// signedRequests returns the requests up received other than for its document.
func signedRequests(up *jfntest.Upstream) []signedRequest {
	var out []signedRequest
	for _, r := range up.Requests() {
		if strings.HasSuffix(r.Path, "/openapi.json") {
			continue
		}
		out = append(out, signedRequest{
			function: r.Header.Get("X-Jelou-Function"), trigger: r.Header.Get("X-Jelou-Trigger"),
			method: r.Method, target: r.RequestURI, requestID: r.Header.Get("X-Request-Id"),
			header: r.Header.Get(auth.SignatureHeader), body: r.Body,
		})
	}
	return out
}

const verifierDoc = `{"openapi":"3.1.0","info":{"title":"signed","version":"1"},"paths":{
"/job":{"post":{"operationId":"runJob","description":"Run the job.",
  "x-jelou-cron":[{"expression":"@every 1s","name":"tick"}],
  "requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"k":{"type":"string"}}}}}},
  "responses":{"200":{"description":"ok"}}}},
"/items/{id}":{"get":{"operationId":"getItem","description":"Read an item.",
  "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}},
                {"name":"q","in":"query","schema":{"type":"string"}}],
  "responses":{"200":{"description":"ok"}}}}}}`

// verifierCase is one check handed to the README's verifiers: the request as the function
// received it, and whether the verifier must accept it.
type verifierCase struct {
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	Method    string `json:"method"`
	Target    string `json:"target_b64"` // the request-target's raw bytes
	RequestID string `json:"request_id"`
	Header    string `json:"header"`
	Body      string `json:"body_b64"`
	Want      bool   `json:"want"`
}

// TestReadmeVerifiersAcceptGatewayTraffic runs the real server with functions whose upstream
// records what it receives, drives proxied calls (a GET with a query, a POST with a body,
// percent-encoded paths, an upstream base path), MCP tool calls and a cron run, and also a
// server with --signature-compat v1. Every recorded request must verify with
// auth.VerifySignature and with the Node and Python verifiers taken from README.md's own code
// blocks; the same signature with another method, path, request id or body, or only its v1
// values, must be refused by all three.
//
// Without node or python3 the script verifiers are skipped, unless JFN_REQUIRE_VERIFIERS=1
// (CI), where that is a failure.
func TestReadmeVerifiersAcceptGatewayTraffic(t *testing.T) {
	up := newSignedUpstream(t, verifierDoc)
	s := startServer(t)
	tokFlat := deployed(t, s.db, "flat", up.URL)
	tokBase := deployed(t, s.db, "based", up.URL+"/base")
	secrets := map[string]string{"flat": signingSecret(t, s.db, "flat"), "based": signingSecret(t, s.db, "based")}
	s.waitHealthy(t, "flat")
	s.waitHealthy(t, "based")
	s.waitToken(t, s.URL()+"/flat/job", tokFlat)
	s.waitToken(t, s.URL()+"/based/job", tokBase)

	compat := startServer(t, "--signature-compat", "v1")
	tokCompat := deployed(t, compat.db, "compat", up.URL)
	secrets["compat"] = signingSecret(t, compat.db, "compat")
	compat.waitHealthy(t, "compat")
	compat.waitToken(t, compat.URL()+"/compat/job", tokCompat)

	proxied := []struct {
		srv              *testServer
		tok              string
		method, path     string
		body, wantTarget string
	}{
		{s, tokFlat, "GET", "/flat/items/1?q=a%20b&q=2&x", "", "/items/1?q=a%20b&q=2&x"},
		{s, tokFlat, "POST", "/flat/job?mode=now", `{"k":"ñandú","n":[1,2]}`, "/job?mode=now"},
		{s, tokFlat, "GET", "/flat/a%2Fb/c%41", "", "/a%2Fb/c%41"},
		{s, tokFlat, "GET", "/flat/q?name=%C3%B1&empty=", "", "/q?name=%C3%B1&empty="},
		{s, tokFlat, "GET", "/flat/raw?name=ñ", "", "/raw?name=ñ"},
		{s, tokBase, "DELETE", "/based/items/x%2Fy?z=%2F", "", "/base/items/x%2Fy?z=%2F"},
		{s, tokBase, "PUT", "/based/job", "line one\nline two\n", "/base/job"},
		{compat, tokCompat, "POST", "/compat/job?v=1", `{"k":"compat"}`, "/job?v=1"},
	}
	for _, p := range proxied {
		if code, _, resp := call(t, p.method, p.srv.URL()+p.path, tokenHeader(p.tok), p.body); code != http.StatusOK {
			t.Fatalf("%s %s = %d %s, want 200", p.method, p.path, code, resp)
		}
	}
	c := mcptest.Connect(t, s.URL()+"/based/mcp", &mcptest.Options{Token: tokBase})
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"getItem", map[string]any{"id": "a/b c", "q": "x y&z"}},
		{"runJob", map[string]any{"k": "from mcp"}},
	} {
		if res := mcptest.CallTool(t, c, tc.tool, tc.args); res.IsError {
			t.Fatalf("tools/call %s = isError: %s", tc.tool, mcptest.Text(res))
		}
	}
	var reqs []signedRequest
	jfntest.Eventually(t, 5*time.Second, "a cron run of based reaches the upstream", func() bool {
		reqs = signedRequests(up)
		for _, r := range reqs {
			if r.trigger == "cron" && r.function == "based" {
				return true
			}
		}
		return false
	})

	// What the upstream received is what the callers sent, under the base path.
	targets := map[string]bool{}
	for _, r := range reqs {
		targets[r.target] = true
	}
	for _, p := range proxied {
		if !targets[p.wantTarget] {
			t.Errorf("%s %s: the upstream never received request-target %q (got %v)", p.method, p.path, p.wantTarget, targets)
		}
	}
	triggers := map[string]int{}
	var cases []verifierCase
	for i, r := range reqs {
		triggers[r.trigger]++
		secret := secrets[r.function]
		name := fmt.Sprintf("#%d %s %s %s (%s)", i, r.function, r.method, r.target, r.trigger)
		if r.header == "" || r.requestID == "" {
			t.Errorf("%s: X-Jelou-Signature %q, X-Request-Id %q; want both", name, r.header, r.requestID)
			continue
		}
		sig, err := auth.ParseSignature(r.header)
		if err != nil || len(sig.V2) != 1 || (len(sig.V1) == 1) != (r.function == "compat") {
			t.Errorf("%s: X-Jelou-Signature %q (%v), want one v2, and one v1 only with --signature-compat v1", name, r.header, err)
		}
		tamper := func(what string, f func(*signedRequest)) verifierCase {
			x := r
			f(&x)
			return caseOf(name+" with another "+what, secret, x, false)
		}
		cases = append(cases,
			caseOf(name, secret, r, true),
			tamper("method", func(x *signedRequest) { x.method = map[bool]string{true: "POST", false: "GET"}[x.method == "GET"] }),
			tamper("path", func(x *signedRequest) { x.target = "/other" + x.target }),
			tamper("query", func(x *signedRequest) { x.target = strings.SplitN(x.target, "?", 2)[0] + "?admin=1" }),
			tamper("request id", func(x *signedRequest) { x.requestID += "0" }),
			tamper("body", func(x *signedRequest) { x.body = append(append([]byte(nil), x.body...), ' ') }),
			tamper("secret", func(x *signedRequest) {}),
		)
		cases[len(cases)-1].Secret = "jfn_ss_not_the_secret"
		if len(sig.V1) > 0 {
			// The legacy values alone prove nothing about the request: refused.
			cases = append(cases, tamper("header: v1 only", func(x *signedRequest) {
				x.header = strings.Join(slicesWithout(strings.Split(x.header, ","), "v2="), ",")
			}))
		}
	}
	for _, trigger := range []string{"http", "mcp", "cron"} {
		if triggers[trigger] == 0 {
			t.Errorf("no %s request reached the upstream (got %v)", trigger, triggers)
		}
	}

	// auth.VerifySignature, on the request rebuilt as the function's handler saw it.
	for _, vc := range cases {
		target, _ := base64.StdEncoding.DecodeString(vc.Target)
		body, _ := base64.StdEncoding.DecodeString(vc.Body)
		r := &http.Request{Method: vc.Method, RequestURI: string(target), Header: http.Header{
			auth.SignatureHeader: {vc.Header}, "X-Request-Id": {vc.RequestID}}}
		if err := auth.VerifySignature(vc.Secret, r, body, 0); (err == nil) != vc.Want {
			t.Errorf("auth.VerifySignature(%s) = %v, want accepted %v", vc.Name, err, vc.Want)
		}
	}
	if t.Failed() {
		return
	}

	dir := t.TempDir()
	casesFile := filepath.Join(dir, "cases.json")
	data, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(casesFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("node", func(t *testing.T) {
		src := codeBlock(t, readme, "js", "function verifyJelou")
		script := filepath.Join(dir, "verify.cjs")
		writeFile(t, script, src+nodeHarness)
		runVerifier(t, "node", script, casesFile, len(cases))
	})
	t.Run("python", func(t *testing.T) {
		src := codeBlock(t, readme, "python", "def verify_jelou")
		script := filepath.Join(dir, "verify.py")
		writeFile(t, script, src+pythonHarness)
		runVerifier(t, "python3", script, casesFile, len(cases))
	})
}

func caseOf(name, secret string, r signedRequest, want bool) verifierCase {
	return verifierCase{
		Name: name, Secret: secret, Method: r.method, RequestID: r.requestID, Header: r.header, Want: want,
		Target: base64.StdEncoding.EncodeToString([]byte(r.target)),
		Body:   base64.StdEncoding.EncodeToString(r.body),
	}
}

func slicesWithout(parts []string, prefix string) []string {
	var out []string
	for _, p := range parts {
		if !strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// codeBlock returns the README's fenced block of lang that contains marker.
func codeBlock(t *testing.T, readme []byte, lang, marker string) string {
	t.Helper()
	var block []string
	in := false
	for _, line := range strings.Split(string(readme), "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```"+lang:
			in, block = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			if src := strings.Join(block, "\n") + "\n"; strings.Contains(src, marker) {
				return src
			}
		case in:
			block = append(block, line)
		}
	}
	t.Fatalf("README.md has no ```%s block containing %q", lang, marker)
	return ""
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runVerifier runs interpreter on script with the cases file; the harness prints
// "verified N cases" and exits 0 only when every case came out as wanted.
func runVerifier(t *testing.T, interpreter, script, cases string, n int) {
	t.Helper()
	path := lookProgram(t, "JFN_REQUIRE_VERIFIERS", "the README's verifier in it cannot be checked", interpreter)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(path, script, cases)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if want := fmt.Sprintf("verified %d cases\n", n); err != nil || !strings.HasSuffix(stdout.String(), want) {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s\nwant the last line %q", interpreter, filepath.Base(script), err, stdout.String(), stderr.String(), want)
	}
	t.Logf("%s (%s): %s", interpreter, path, strings.TrimSpace(stdout.String()))
}

// nodeHarness follows the README's verifyJelou: it feeds it each case as Node's http server
// would present the request (req.url holds the request-target's bytes as Latin-1).
const nodeHarness = `
const cases = JSON.parse(require("node:fs").readFileSync(process.argv[2], "utf8"));
let failed = 0;
for (const c of cases) {
  const req = {
    method: c.method,
    url: Buffer.from(c.target_b64, "base64").toString("latin1"),
    headers: { "x-jelou-signature": c.header, "x-request-id": c.request_id },
  };
  const got = verifyJelou(c.secret, req, Buffer.from(c.body_b64, "base64"));
  if (got !== c.want) {
    failed++;
    console.log("FAIL " + c.name + ": verifyJelou = " + got + ", want " + c.want);
  }
}
if (failed) process.exit(1);
console.log("verified " + cases.length + " cases");
`

// pythonHarness follows the README's verify_jelou: each case once with the request-target as
// bytes (ASGI) and once as a Latin-1 str (WSGI).
const pythonHarness = `
import base64, json, sys

failed = 0
cases = json.load(open(sys.argv[1]))
for c in cases:
    target = base64.b64decode(c["target_b64"])
    body = base64.b64decode(c["body_b64"])
    for form in (target, target.decode("latin-1")):
        got = verify_jelou(c["secret"], c["method"], form, c["request_id"], c["header"], body)
        if got is not c["want"]:
            failed += 1
            print("FAIL %s (target as %s): verify_jelou = %r, want %r" % (c["name"], type(form).__name__, got, c["want"]))
if failed:
    sys.exit(1)
print("verified %d cases" % len(cases))
`
