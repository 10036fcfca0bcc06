package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jfnhq/jfn/internal/console"
	"github.com/jfnhq/jfn/internal/store"
)

// consoleClient is a browser-like client of the console on s: it keeps cookies, does not
// follow redirects, and sends the Origin a same-origin form post carries.
type consoleClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newConsoleClient(t *testing.T, s *testServer) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, base: s.AdminURL(), c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (cc *consoleClient) do(method, path string, form url.Values, origin string) (*http.Response, string) {
	cc.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, cc.base+path, body)
	if err != nil {
		cc.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := cc.c.Do(req)
	if err != nil {
		cc.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (cc *consoleClient) get(path string) (*http.Response, string) {
	return cc.do("GET", path, nil, "")
}
func (cc *consoleClient) post(path string, form url.Values) (*http.Response, string) {
	return cc.do("POST", path, form, cc.base)
}

func TestConsoleHeaders(t *testing.T) {
	s := startServer(t)
	cc := newConsoleClient(t, s)
	for _, path := range []string{"/", "/static/app.js", "/nowhere"} {
		resp, _ := cc.get(path)
		if got := resp.Header.Get("Content-Security-Policy"); got != console.CSP {
			t.Errorf("GET %s: Content-Security-Policy = %q, want %q", path, got, console.CSP)
		}
		for h, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("GET %s: %s = %q, want %q", path, h, got, want)
			}
		}
	}
	if !strings.Contains(console.CSP, "script-src 'self'") || strings.Contains(console.CSP, "unsafe-inline") {
		t.Errorf("CSP %q allows more than our own scripts", console.CSP)
	}
	// The admin endpoints still answer as before.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp, body := cc.get(path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", path, resp.StatusCode, body)
		}
	}
}

func TestConsoleCrossOriginPostRefused(t *testing.T) {
	s := startServer(t)
	cc := newConsoleClient(t, s)
	form := url.Values{"name": {"evil"}, "upstream": {"http://127.0.0.1:1"}}
	resp, body := cc.do("POST", "/deploy", form, "http://attacker.example")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST /deploy = %d %q, want 403", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("POST", cc.base+"/deploy", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusForbidden {
		t.Fatalf("POST /deploy with Sec-Fetch-Site: cross-site = %d, want 403", r2.StatusCode)
	}
	if r := cli(t, s.db, "functions", "info", "evil"); r.code == 0 {
		t.Fatalf("a refused cross-origin deploy deployed the function: %q", r.stdout)
	}
}

func TestConsoleLoginRequired(t *testing.T) {
	const admin = "s3cret-admin-token-for-tests"
	s := startServer(t, "--admin-token", admin)
	cc := newConsoleClient(t, s)
	resp, _ := cc.get("/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("GET / without a session = %d Location %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := cc.get("/functions.json"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /functions.json without a session = %d, want 303 to /login", resp.StatusCode)
	}
	resp, body := cc.post("/deploy", url.Values{"name": {"x"}, "upstream": {"http://127.0.0.1:1"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST /deploy without a session = %d, want 401", resp.StatusCode)
	}
	if resp, body = cc.post("/login", url.Values{"token": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST /login with a wrong token = %d, want 401", resp.StatusCode)
	}
	if resp, _ = cc.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET / after a refused login = %d, want 303", resp.StatusCode)
	}
	resp, _ = cc.post("/login", url.Values{"token": {admin}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /login with the admin token = %d, want 303", resp.StatusCode)
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "jfn_console" {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Value == admin {
		t.Fatalf("login cookie = %+v, want an HttpOnly SameSite=Strict session that is not the token", ck)
	}
	if resp, body = cc.get("/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>Functions</h1>") {
		t.Fatalf("GET / after login = %d, want 200 and the functions page", resp.StatusCode)
	}
	if resp, body = cc.get("/functions.json"); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" || strings.TrimSpace(body) != `{"functions":[]}` {
		t.Fatalf("GET /functions.json after login = %d %q %s, want 200 and no functions", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if strings.Contains(s.log.String(), admin) {
		t.Fatal("the admin token appears in the log")
	}
	if resp, _ = cc.post("/logout", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /logout = %d, want 303", resp.StatusCode)
	}
	if resp, _ = cc.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET / after logout = %d, want 303 to /login", resp.StatusCode)
	}
}

func TestConsoleOffWithoutTokenOffLoopback(t *testing.T) {
	// Served on every interface without a token: health still answers, the console does not.
	s := startServer(t, "--admin-listen", "0.0.0.0:0")
	base := "http://" + s.AdminAddr()
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 200, "/": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
		if path == "/" && !strings.Contains(string(b), "--admin-token") {
			t.Errorf("GET / = %s: want it to say why the console is off", b)
		}
	}
	if !strings.Contains(s.log.String(), "the console is off") {
		t.Errorf("the log does not say the console is off: %s", s.log.String())
	}
}

func TestConsoleTokenSecretShownOnce(t *testing.T) {
	up := shopUpstream(t)
	s := startServer(t)
	cc := newConsoleClient(t, s)
	var bodies []string
	resp, body := cc.post("/deploy", url.Values{"name": {"shop"}, "upstream": {up.URL}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /deploy = %d, want 200", resp.StatusCode)
	}
	bodies = append(bodies, body)
	def := tokenPattern.FindString(body)
	if def == "" {
		t.Fatalf("POST /deploy: no default token in the page")
	}
	s.waitHealthy(t, "shop")
	resp, body = cc.post("/functions/shop/tokens", url.Values{"name": {"ci"}, "expires": {"30"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /functions/shop/tokens = %d, want 200", resp.StatusCode)
	}
	bodies = append(bodies, body)
	secret := tokenPattern.FindString(body)
	if secret == "" || secret == def {
		t.Fatalf("POST /functions/shop/tokens: no new token in the page")
	}
	if resp.Request.URL.RawQuery != "" || strings.Contains(resp.Header.Get("Location"), "jfn_rt_") {
		t.Fatalf("the token went into a URL")
	}
	for _, path := range []string{"/", "/functions.json", "/functions/shop", "/functions/shop?q=order", "/functions/shop?tool=getProduct"} {
		_, b := cc.get(path)
		bodies = append(bodies, b)
	}
	_, b := cc.post("/functions/shop/call", url.Values{"tool": {"listProducts"}})
	bodies = append(bodies, b)
	for _, sec := range []string{def, secret} {
		n := 0
		for _, b := range bodies {
			n += strings.Count(b, sec)
		}
		if n != 1 {
			t.Errorf("token %s… appears %d times across the console's responses, want exactly 1", sec[:10], n)
		}
		if strings.Contains(s.log.String(), sec) {
			t.Errorf("token %s… appears in the log", sec[:10])
		}
	}
	// A duplicate name is refused with the CLI's rule.
	if resp, body = cc.post("/functions/shop/tokens", url.Values{"name": {"ci"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already has a token named") {
		t.Errorf("a second token named ci = %d, want 400 naming the existing one", resp.StatusCode)
	}
}

func TestConsoleSettingsChecked(t *testing.T) {
	up := shopUpstream(t)
	s := startServer(t)
	deployed(t, s.db, "shop", up.URL)
	cc := newConsoleClient(t, s)
	good := url.Values{"upstream": {up.URL}, "timeout": {"30"}, "mode": {"auto"}, "mcp": {"on"}}
	for _, tt := range []struct {
		name, key, value, problem string
	}{
		{"timeout 0", "timeout", "0", "timeout must be a whole number"},
		{"timeout past 120", "timeout", "121", "timeout must be a whole number"},
		{"unknown mode", "mode", "most", "mode must be auto, all or search"},
		{"bad upstream", "upstream", "ftp://x", "upstream URL must be"},
		{"bad toolset", "toolsets", "a b", "is not a toolset name"},
		{"bad CORS origin", "cors", "not an origin", "CORS origins are not valid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range good {
				form[k] = v
			}
			form.Set(tt.key, tt.value)
			resp, body := cc.post("/functions/shop/settings", form)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.problem) {
				t.Errorf("POST settings with %s=%q = %d, want 400 saying %q", tt.key, tt.value, resp.StatusCode, tt.problem)
			}
		})
	}
	if f, err := s.Store().GetFunction(t.Context(), "shop"); err != nil || f.Timeout != store.DefaultTimeout || f.MCPMode != "" {
		t.Errorf("refused settings changed the function: timeout %v mode %q (%v)", f.Timeout, f.MCPMode, err)
	}
}

// TestConsoleLoginSharedByReplicas: a console login is kept in the store, so it holds on
// every server sharing the store and its admin token, and across a restart; a logout on one
// ends it on all, and a server with another admin token does not take it.
func TestConsoleLoginSharedByReplicas(t *testing.T) {
	const admin = "s3cret-admin-token-for-replicas"
	db := filepath.Join(t.TempDir(), "jfn.db")
	a := startServerOn(t, db, nil, "--admin-token", admin)
	b := startServerOn(t, db, nil, "--admin-token", admin)
	resp, _ := newConsoleClient(t, a).post("/login", url.Values{"token": {admin}})
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "jfn_console" {
			cookie = c.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == "" {
		t.Fatalf("POST /login on a = %d, cookie %q; want 303 and a cookie", resp.StatusCode, cookie)
	}
	// page sends GET path to s's console with the login cookie, or POST when form is set.
	page := func(s *testServer, method, path string) int {
		t.Helper()
		req, _ := http.NewRequest(method, s.AdminURL()+path, strings.NewReader(""))
		req.Header.Set("Cookie", "jfn_console="+cookie)
		if method == "POST" {
			req.Header.Set("Origin", s.AdminURL())
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := page(b, "GET", "/functions.json"); code != http.StatusOK {
		t.Fatalf("GET /functions.json on b with a's login = %d, want 200", code)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	c := startServerOn(t, db, nil, "--admin-token", admin)
	if code := page(c, "GET", "/functions.json"); code != http.StatusOK {
		t.Fatalf("GET /functions.json on a restarted server with the login = %d, want 200", code)
	}
	// A server with another admin token (a rotated one, or a misconfigured replica) does not
	// take the login.
	other := startServerOn(t, db, nil, "--admin-token", admin+"-rotated")
	if code := page(other, "GET", "/functions.json"); code != http.StatusSeeOther {
		t.Errorf("GET /functions.json on a server with another admin token = %d, want 303 to /login", code)
	}
	if code := page(b, "POST", "/logout"); code != http.StatusSeeOther {
		t.Fatalf("POST /logout on b = %d, want 303", code)
	}
	if code := page(c, "GET", "/functions.json"); code != http.StatusSeeOther {
		t.Errorf("GET /functions.json on c after a logout on b = %d, want 303 to /login", code)
	}
	for _, f := range []string{db, db + "-wal"} {
		if n, err := os.ReadFile(f); err == nil && strings.Contains(string(n), cookie) {
			t.Errorf("%s holds the login cookie itself, want only its hash", filepath.Base(f))
		}
	}
}
