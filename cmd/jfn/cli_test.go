package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/examples/shop"
)

func TestJSONOutput(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	up := httptest.NewServer(balance.Handler())
	defer up.Close()

	r := mustCLI(t, db, "deploy", "balance", "--url", up.URL, "--json")
	m := decodeObject(t, "deploy --json (first)", r.stdout, "name", "url", "created", "token")
	if m["name"] != "balance" || m["url"] != "http://127.0.0.1:8080/balance" || m["created"] != true || auth.Check(m["token"].(string)) != nil {
		t.Errorf("deploy --json (first) = %s", r.stdout)
	}
	r = mustCLI(t, db, "deploy", "balance", "--url", up.URL, "--json")
	m = decodeObject(t, "deploy --json (again)", r.stdout, "name", "url", "created")
	if m["created"] != false {
		t.Errorf("deploy --json (again) = %s, want created false", r.stdout)
	}

	r = mustCLI(t, db, "tokens", "create", "balance", "--name", "ci", "--expires", "90d", "--json")
	m = decodeObject(t, "tokens create --json", r.stdout, "id", "name", "prefix", "token")
	secret, _ := m["token"].(string)
	id, _ := m["id"].(string)
	if auth.Check(secret) != nil || m["prefix"] != auth.DisplayPrefix(secret) || m["name"] != "ci" || !regexp.MustCompile(`^tok_[A-Za-z0-9]{12}$`).MatchString(id) {
		t.Errorf("tokens create --json = %s", r.stdout)
	}

	r = mustCLI(t, db, "tokens", "list", "balance", "--json")
	m = decodeObject(t, "tokens list --json", r.stdout, "tokens")
	list := m["tokens"].([]any)
	if len(list) != 2 {
		t.Fatalf("tokens list --json = %s, want 2 tokens", r.stdout)
	}
	for _, v := range list {
		checkKeys(t, "tokens list --json item", v.(map[string]any), "id", "name", "prefix", "created_at", "last_used_at", "expires_at")
	}
	ci := list[1].(map[string]any)
	if ci["id"] != id || ci["last_used_at"] != nil {
		t.Errorf("tokens list --json second item = %v, want id %s and last_used_at null", ci, id)
	}
	for _, k := range []string{"created_at", "expires_at"} {
		ts, err := time.Parse(time.RFC3339, ci[k].(string))
		if err != nil {
			t.Errorf("tokens list --json %s = %v: not RFC 3339: %v", k, ci[k], err)
		}
		if k == "expires_at" && (ts.Before(time.Now().Add(89*24*time.Hour)) || ts.After(time.Now().Add(91*24*time.Hour))) {
			t.Errorf("expires_at = %v, want about 90 days from now", ts)
		}
	}
	if list[0].(map[string]any)["expires_at"] != nil {
		t.Errorf("the default token's expires_at = %v, want null", list[0].(map[string]any)["expires_at"])
	}

	r = mustCLI(t, db, "tokens", "revoke", "balance", id, "-y", "--json")
	m = decodeObject(t, "tokens revoke --json", r.stdout, "id", "revoked")
	if m["id"] != id || m["revoked"] != true {
		t.Errorf("tokens revoke --json = %s", r.stdout)
	}

	r = mustCLI(t, db, "functions", "info", "balance", "--json")
	m = decodeObject(t, "functions info --json", r.stdout, "name", "url", "upstream", "openapi_url", "public", "timeout_ms", "mcp", "tools", "spec")
	if m["upstream"] != up.URL || m["openapi_url"] != up.URL+"/openapi.json" || m["public"] != false || m["timeout_ms"] != 30000.0 || m["mcp"] != true {
		t.Errorf("functions info --json = %s", r.stdout)
	}
	spec := m["spec"].(map[string]any)
	checkKeys(t, "functions info --json spec", spec, "status", "fetched_at", "error")
	if spec["status"] != "ok" || spec["error"] != nil {
		t.Errorf("functions info --json spec = %v, want status ok", spec)
	}
	if tools, _ := m["tools"].([]any); len(tools) != 1 || tools[0] != "getBalance" {
		t.Errorf("functions info --json tools = %v, want [getBalance]", m["tools"])
	}

	r = mustCLI(t, db, "functions", "list", "--json")
	m = decodeObject(t, "functions list --json", r.stdout, "functions")
	if fns := m["functions"].([]any); len(fns) != 1 {
		t.Errorf("functions list --json = %s, want one function", r.stdout)
	}
}

func TestFunctionsInfoTools(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	up := httptest.NewServer(shop.Handler())
	defer up.Close()
	mustCLI(t, db, "deploy", "shop", "--url", up.URL)
	r := mustCLI(t, db, "functions", "info", "shop", "--json")
	m := decodeObject(t, "functions info --json", r.stdout, "name", "url", "upstream", "openapi_url", "public", "timeout_ms", "mcp", "tools", "spec")
	var got []string
	for _, v := range m["tools"].([]any) {
		got = append(got, v.(string))
	}
	slices.Sort(got)
	// streamEvents is marked x-jelou-mcp: false.
	want := []string{"createOrder", "getOrderStatus", "getProduct", "listProducts", "paymentWebhook"}
	if !slices.Equal(got, want) {
		t.Errorf("functions info shop: tools = %v, want %v", got, want)
	}
	r = mustCLI(t, db, "functions", "info", "shop")
	for _, line := range []string{"▸ Tools     5", "getOrderStatus", "▸ MCP       on (http://127.0.0.1:8080/shop/mcp)"} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("functions info shop printed\n%s\nwant a line with %q", r.stdout, line)
		}
	}
}

func TestFunctionsInfoSpecError(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	mustCLI(t, db, "deploy", "gone", "--url", "http://127.0.0.1:1", "--no-mcp", "--public", "--timeout", "2s")
	r := mustCLI(t, db, "functions", "info", "gone", "--json")
	m := decodeObject(t, "functions info --json", r.stdout, "name", "url", "upstream", "openapi_url", "public", "timeout_ms", "mcp", "tools", "spec")
	spec := m["spec"].(map[string]any)
	if spec["status"] != "error" || spec["error"] == nil || spec["fetched_at"] != nil {
		t.Errorf("functions info spec of an unreachable upstream = %v, want status error", spec)
	}
	if m["public"] != true || m["mcp"] != false || m["timeout_ms"] != 2000.0 {
		t.Errorf("functions info = %s, want public, no MCP, 2 s", r.stdout)
	}
	// A later deploy without those flags keeps them.
	mustCLI(t, db, "deploy", "gone", "--url", "http://127.0.0.1:2")
	r = mustCLI(t, db, "functions", "info", "gone", "--json")
	m = decodeObject(t, "functions info --json", r.stdout, "name", "url", "upstream", "openapi_url", "public", "timeout_ms", "mcp", "tools", "spec")
	if m["public"] != true || m["mcp"] != false || m["timeout_ms"] != 2000.0 || m["upstream"] != "http://127.0.0.1:2" {
		t.Errorf("functions info after a redeploy = %s, want the new URL and the old settings", r.stdout)
	}
	r = mustCLI(t, db, "functions", "info", "gone")
	if !strings.Contains(r.stdout, "▸ Public") || !strings.Contains(r.stdout, "⚠ Spec") {
		t.Errorf("functions info printed %q", r.stdout)
	}
}

func TestTextOutput(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	mustCLI(t, db, "deploy", "balance", "--url", "http://127.0.0.1:9001")

	r := mustCLI(t, db, "tokens", "create", "balance", "--name", "production")
	tok := tokenPattern.FindString(r.stdout)
	want := "✓ Created token \"production\"\n▸ Token    " + tok + "\n⚠ Save this token now — it will not be shown again.\n"
	if tok == "" || r.stdout != want {
		t.Errorf("tokens create printed %q, want %q", r.stdout, want)
	}
	if r := cli(t, db, "tokens", "create", "balance", "--name", "production"); r.code != 1 {
		t.Errorf("tokens create with a taken name: exit %d, want 1", r.code)
	}

	id := tokenID(t, db, "balance", "production")
	r = cliIn(t, db, "n\n", "tokens", "revoke", "balance", id)
	question := "? Revoke token " + auth.DisplayPrefix(tok) + " for balance? (y/N) "
	if r.code != 1 || r.stdout != question || !strings.Contains(r.stderr, "borted") {
		t.Errorf("tokens revoke answered n: exit %d, stdout %q, stderr %q; want 1, %q, an Aborted line", r.code, r.stdout, r.stderr, question)
	}
	r = cliIn(t, db, "y\n", "tokens", "revoke", "balance", id)
	if r.code != 0 || r.stdout != question+"✓ Token revoked\n" {
		t.Errorf("tokens revoke answered y: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := cli(t, db, "tokens", "revoke", "balance", id, "-y"); r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("revoking a revoked token: exit %d, stderr %q; want 1 and one line", r.code, r.stderr)
	}

	r = cli(t, db, "--json", "tokens", "revoke", "balance", "tok_nope")
	if r.code != 2 {
		t.Errorf("tokens revoke --json without -y: exit %d, want 2", r.code)
	}

	r = mustCLI(t, db, "functions", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^Name\s+URL\s+Upstream\s+Public\s+MCP$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^balance\s+http://127.0.0.1:8080/balance\s+http://127.0.0.1:9001\s+no\s+on$`).MatchString(lines[1]) {
		t.Errorf("functions list printed %q", r.stdout)
	}

	var stdout, stderr strings.Builder
	code := run(t.Context(), []string{"functions", "list"}, strings.NewReader(""), &stdout, &stderr, mapEnv("JFN_DB", db, "JFN_DOMAIN", "fn.example.com"))
	if code != 0 || !strings.Contains(stdout.String(), "https://balance.fn.example.com") {
		t.Errorf("functions list with JFN_DOMAIN: exit %d, %q", code, stdout.String())
	}
	stdout.Reset()
	code = run(t.Context(), []string{"deploy", "balance", "--url", "http://127.0.0.1:9001", "--public-url", "https://gw.example.com/"}, strings.NewReader(""), &stdout, &stderr, mapEnv("JFN_DB", db))
	if code != 0 || stdout.String() != "✓ Deployed\n▸ URL: https://gw.example.com/balance\n" {
		t.Errorf("deploy --public-url: exit %d, %q", code, stdout.String())
	}

	r = cliIn(t, db, "no\n", "functions", "delete", "balance")
	if want := "? Delete function balance and its 1 tokens? (y/N) "; r.code != 1 || r.stdout != want {
		t.Errorf("functions delete answered no: exit %d, stdout %q; want 1, %q", r.code, r.stdout, want)
	}
	r = mustCLI(t, db, "functions", "delete", "balance", "-y")
	if r.stdout != "✓ Function deleted\n" {
		t.Errorf("functions delete -y printed %q", r.stdout)
	}
	if r := cli(t, db, "tokens", "list", "balance"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("tokens list of a deleted function: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestExitCodes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	mustCLI(t, db, "deploy", "fn", "--url", "http://127.0.0.1:9001")
	tests := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"nope"}, 2},
		{[]string{"help"}, 0},
		{[]string{"--help"}, 0},
		{[]string{"-h"}, 0},
		{[]string{"deploy", "--help"}, 0},
		{[]string{"help", "tokens", "create"}, 0},
		{[]string{"deploy", "--url", "http://x"}, 2}, // missing NAME
		{[]string{"deploy", "fn", "--url", "http://x", "--nope"}, 2}, // unknown flag
		{[]string{"deploy", "Bad_Name", "--url", "http://x"}, 2},     // invalid name
		{[]string{"deploy", "new", "--url", "ftp://x"}, 2},           // bad URL
		{[]string{"deploy", "new", "--url", "/relative"}, 2},         // not absolute
		{[]string{"deploy", "new"}, 2},                               // first deploy needs --url
		{[]string{"deploy", "fn", "--url", "http://x", "--timeout", "0s"}, 2},
		{[]string{"deploy", "fn", "--url", "http://x", "--timeout", "121s"}, 2},
		{[]string{"deploy", "fn", "extra", "--url", "http://x"}, 2},
		{[]string{"tokens"}, 2},
		{[]string{"tokens", "nope"}, 2},
		{[]string{"tokens", "list"}, 2},
		{[]string{"tokens", "create", "fn"}, 2}, // --name missing
		{[]string{"tokens", "create", "fn", "--name", "x", "--expires", "soon"}, 2},
		{[]string{"tokens", "revoke", "fn"}, 2},                      // TOKEN_ID missing
		{[]string{"tokens", "revoke", "fn", "tok_unknown", "-y"}, 1}, // unknown id
		{[]string{"tokens", "list", "missing"}, 1},                   // unknown function
		{[]string{"functions", "info"}, 2},
		{[]string{"functions", "delete", "missing", "-y"}, 1},
		{[]string{"--json"}, 2},
		{[]string{"--db"}, 2},
		{[]string{"serve", "--listen", "nope"}, 2},
		{[]string{"serve", "--listen", "127.0.0.1:8080", "--admin-listen", "127.0.0.1:8080"}, 2},
		{[]string{"serve", "--public-url", "gw.example.com"}, 2},
		{[]string{"tokens", "list", "fn"}, 0},
	}
	for _, tt := range tests {
		r := cli(t, db, tt.args...)
		if r.code != tt.code {
			t.Errorf("jfn %s: exit %d, want %d (stderr %q)", strings.Join(tt.args, " "), r.code, tt.code, r.stderr)
		}
		if tt.code != 0 && (strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n")) {
			t.Errorf("jfn %s: stderr %q, want one line", strings.Join(tt.args, " "), r.stderr)
		}
		if tt.code != 0 && r.stdout != "" {
			t.Errorf("jfn %s: stdout %q, want nothing on failure", strings.Join(tt.args, " "), r.stdout)
		}
	}
}

func TestGlobalFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	other := filepath.Join(dir, "unused.db") // JFN_DB, which --db must beat
	for _, args := range [][]string{
		{"--db", db, "deploy", "fn", "--url", "http://127.0.0.1:9001"},
		{"deploy", "fn", "--db=" + db, "--url", "http://127.0.0.1:9001", "--json"},
		{"--json", "tokens", "list", "fn", "--db", db},
		{"tokens", "--db", db, "list", "--json", "fn"},
		{"tokens", "list", "fn", "-db", db},
	} {
		r := cli(t, other, args...)
		if r.code != 0 {
			t.Errorf("jfn %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
		}
		if json := strings.Contains(strings.Join(args, " "), "json"); json != strings.HasPrefix(r.stdout, "{") {
			t.Errorf("jfn %s printed %q; want JSON exactly when --json is given", strings.Join(args, " "), r.stdout)
		}
	}
	if r := cli(t, other, "tokens", "list", "fn"); r.code != 1 {
		t.Errorf("tokens list fn on JFN_DB (where fn was never deployed): exit %d, want 1", r.code)
	}
}

// TestCLIFetchesDocumentsAsTheGateway: the CLI reads a function's document with the
// gateway's rules, so a document served with another 2xx status (here 203) loads for
// 'functions info' as it does for the running server.
func TestCLIFetchesDocumentsAsTheGateway(t *testing.T) {
	h := balance.Handler()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/openapi.json" {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNonAuthoritativeInfo)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer up.Close()
	db := filepath.Join(t.TempDir(), "jfn.db")
	deployed(t, db, "balance", up.URL)
	m := decodeObject(t, "functions info --json", mustCLI(t, db, "functions", "info", "balance", "--json").stdout,
		"name", "url", "upstream", "openapi_url", "public", "timeout_ms", "mcp", "tools", "spec")
	if spec := m["spec"].(map[string]any); spec["status"] != "ok" {
		t.Errorf("functions info with a document served as 203: spec = %v, want status ok", spec)
	}
	if tools, _ := m["tools"].([]any); len(tools) != 1 || tools[0] != "getBalance" {
		t.Errorf("functions info tools = %v, want [getBalance]", m["tools"])
	}
}

// TestTextHidesUpstreamPassword: text output names an upstream URL that carries a password
// without it; --json, for programs, keeps the URL as deployed.
func TestTextHidesUpstreamPassword(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jfn.db")
	mustCLI(t, db, "deploy", "pw", "--url", "http://u:s3cretpw@127.0.0.1:1/base")
	for _, args := range [][]string{{"functions", "list"}, {"functions", "info", "pw"}} {
		r := mustCLI(t, db, args...)
		if strings.Contains(r.stdout, "s3cretpw") || !strings.Contains(r.stdout, "http://u:xxxxx@127.0.0.1:1/base") {
			t.Errorf("jfn %s printed %q; want the upstream without its password", strings.Join(args, " "), r.stdout)
		}
	}
	if r := mustCLI(t, db, "functions", "info", "pw", "--json"); !strings.Contains(r.stdout, `"upstream": "http://u:s3cretpw@127.0.0.1:1/base"`) {
		t.Errorf("functions info --json = %s; want the upstream as deployed", r.stdout)
	}
}
