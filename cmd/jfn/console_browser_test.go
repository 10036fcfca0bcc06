package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/jfnhq/jfn/examples/shop"
	"github.com/jfnhq/jfn/internal/jfntest"
)

// screenshotDir is where the browser tests save their screenshots (git-ignored).
const screenshotDir = "../../console-screenshots"

// browserPath finds headless Chromium. Missing, the test fails when JFN_REQUIRE_BROWSER=1
// (as CI sets it) and is skipped otherwise.
func browserPath(t *testing.T) string {
	t.Helper()
	return lookProgram(t, "JFN_REQUIRE_BROWSER", "install it with apt-get install -y chromium",
		"chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
}

// browser is a headless Chromium tab that records console errors, exceptions and CSP
// violations.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError {
				msg = "console.error"
				for _, a := range e.Args {
					msg += " " + string(a.Value)
				}
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.LevelError {
				msg = "log: " + e.Entry.Text
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	if err := chromedp.Run(ctx, cdplog.Enable(), runtime.Enable()); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// run runs actions in the tab. A step that starts by loading a page is run again, up to
// twice, when Chromium reports a node it had just found as gone: the DevTools protocol's
// race between a new document and a query (chromedp reports it as "Could not find node
// with given id"). Every other error fails the test at once.
func (b *browser) run(t *testing.T, what string, actions ...chromedp.Action) {
	t.Helper()
	_, reload := actions[0].(chromedp.NavigateAction)
	for attempt := 1; ; attempt++ {
		err := chromedp.Run(b.ctx, actions...)
		if err == nil {
			return
		}
		if !reload || attempt == 3 || !strings.Contains(err.Error(), "Could not find node with given id") {
			t.Fatalf("browser: %s: %v", what, err)
		}
		t.Logf("browser: %s: %v; loading the page again", what, err)
	}
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// shot saves a screenshot of the element sel as name.png.
func (b *browser) shot(t *testing.T, sel, name string) {
	t.Helper()
	var png []byte
	b.run(t, "screenshot "+name, chromedp.ScrollIntoView(sel, chromedp.ByQuery), chromedp.Screenshot(sel, &png, chromedp.ByQuery))
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// button is the XPath of the button whose text is text.
func button(text string) string { return `//button[normalize-space()="` + text + `"]` }

// TestConsoleBrowser drives the console in headless Chromium against a real server: deploy
// from the form, see and search the tools, call one from Try, create a token and use it,
// revoke it and see the next call refused, with no console error under the CSP.
func TestConsoleBrowser(t *testing.T) {
	b := newBrowser(t)
	var (
		mu       sync.Mutex
		triggers []string
	)
	h := shop.Handler()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.json" {
			mu.Lock()
			triggers = append(triggers, r.Header.Get("X-Jelou-Trigger"))
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	s := startServer(t)
	base := s.AdminURL()

	// Deploy from the form; the default token is shown once.
	var defaultToken string
	b.run(t, "deploy",
		chromedp.Navigate(base+"/"),
		chromedp.SendKeys("#deploy-name", "shop", chromedp.ByQuery),
		chromedp.SendKeys("#deploy-upstream", up.URL, chromedp.ByQuery),
		chromedp.Click(button("Deploy function"), chromedp.BySearch),
		chromedp.WaitVisible("#new-secret", chromedp.ByQuery),
		chromedp.Text("#new-secret", &defaultToken, chromedp.ByQuery),
	)
	if !tokenPattern.MatchString(defaultToken) {
		t.Fatalf("deploy page shows %q, want a runtime token", defaultToken)
	}
	s.waitHealthy(t, "shop")

	// The functions table names the function, with its document loaded and its tools.
	var row string
	b.run(t, "functions table",
		chromedp.Navigate(base+"/"),
		chromedp.Text(`//tr[th[normalize-space()="shop"]]`, &row, chromedp.BySearch),
	)
	if !strings.Contains(row, "ok") || !strings.Contains(row, "5") || !strings.Contains(row, s.URL()+"/shop") {
		t.Fatalf("functions row = %q, want status ok, 5 tools and the URL", row)
	}

	// Tools, and the search search_tools uses.
	var tools, results string
	b.run(t, "tools",
		chromedp.Click(`//a[normalize-space()="shop"]`, chromedp.BySearch),
		chromedp.WaitVisible("#tools-heading", chromedp.ByQuery),
		chromedp.Text("#tools", &tools, chromedp.ByQuery),
		chromedp.SendKeys("#tool-search", "status of my order", chromedp.ByQuery),
		chromedp.Submit("#tool-search", chromedp.ByQuery),
		chromedp.WaitVisible(".results", chromedp.ByQuery),
		chromedp.Text(".results", &results, chromedp.ByQuery),
	)
	for _, name := range []string{"listProducts", "getProduct", "createOrder", "getOrderStatus"} {
		if !strings.Contains(tools, name) {
			t.Errorf("Tools section lacks %s", name)
		}
	}
	if first, _, _ := strings.Cut(strings.TrimSpace(results), "\n"); !strings.Contains(first, "getOrderStatus") {
		t.Errorf("search results = %q, want getOrderStatus first", results)
	}

	// Try: the form from getProduct's schema; Call reaches the upstream as the console.
	var result string
	b.run(t, "try",
		chromedp.Navigate(base+"/functions/shop?tool=getProduct#try"),
		chromedp.SendKeys(`//label[normalize-space()="product-id"]/following-sibling::div[1]/input`, "p-100", chromedp.BySearch),
		chromedp.Click(button("Call"), chromedp.BySearch),
		chromedp.WaitVisible("#call-result", chromedp.ByQuery),
		chromedp.Text("#call-result", &result, chromedp.ByQuery),
	)
	if !strings.Contains(result, "Espresso beans 1 kg") || strings.Contains(result, `"isError": true`) {
		t.Fatalf("Try result = %s, want the upstream's product", result)
	}
	mu.Lock()
	got := append([]string(nil), triggers...)
	mu.Unlock()
	if len(got) != 1 || got[0] != "console" {
		t.Errorf("upstream saw X-Jelou-Trigger %q, want one call from the console", got)
	}

	// Tokens: create one, use it, revoke it from the page.
	var secret string
	b.run(t, "create token",
		chromedp.Navigate(base+"/functions/shop#tokens"),
		chromedp.SendKeys("#token-name", "browser", chromedp.ByQuery),
		chromedp.Click(button("Create token"), chromedp.BySearch),
		chromedp.WaitVisible("#token-secret", chromedp.ByQuery),
		chromedp.Text("#token-secret", &secret, chromedp.ByQuery),
	)
	if !tokenPattern.MatchString(secret) {
		t.Fatalf("Create token shows %q, want a runtime token", secret)
	}
	product := func() int {
		code, _, _ := call(t, "GET", s.URL()+"/shop/products/p-100", http.Header{"X-Jelou-Token": {secret}}, "")
		return code
	}
	if !jfntest.Poll(2*time.Second, func() bool { return product() == http.StatusOK }) {
		t.Fatalf("GET /shop/products/p-100 with the new token = %d, want 200", product())
	}
	b.run(t, "revoke",
		chromedp.Navigate(base+"/functions/shop#tokens"),
		chromedp.Click(`//tr[th[normalize-space()="browser"]]//button[normalize-space()="Revoke"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//h1[contains(., "Revoke token browser?")]`, chromedp.BySearch),
		chromedp.Click(button("Revoke"), chromedp.BySearch),
		chromedp.WaitVisible("#tokens-heading", chromedp.ByQuery),
	)
	revoked := time.Now()
	if !jfntest.Poll(time.Second, func() bool { return product() == http.StatusUnauthorized }) {
		t.Fatalf("GET with the revoked token = %d one second after the revocation, want 401", product())
	}
	t.Logf("revoked token refused %v after the page confirmed", time.Since(revoked).Round(time.Millisecond))
	var rows string
	b.run(t, "tokens after revoke", chromedp.Text("#tokens", &rows, chromedp.ByQuery))
	if strings.Contains(rows, "browser") || !strings.Contains(rows, "default") {
		t.Errorf("Tokens after revoking = %q, want default only", rows)
	}

	// Settings: the catalogue mode and the timeout, saved as jfn deploy saves them.
	var saved string
	b.run(t, "settings",
		chromedp.Navigate(base+"/functions/shop#settings"),
		chromedp.SetValue("#set-mode", "search", chromedp.ByQuery),
		chromedp.SetValue("#set-timeout", "45", chromedp.ByQuery),
		chromedp.Click(button("Save settings"), chromedp.BySearch),
		chromedp.WaitVisible(`//section[@id="settings"]//p[contains(., "Saved.")]`, chromedp.BySearch),
		chromedp.Text("#settings", &saved, chromedp.ByQuery),
	)
	f, err := s.Store().GetFunction(context.Background(), "shop")
	if err != nil || f.MCPMode != "search" || f.Timeout != 45*time.Second || f.Public || !f.MCP {
		t.Fatalf("after Save settings the store has mode %q timeout %v public %v mcp %v (%v), want search, 45s, false, true", f.MCPMode, f.Timeout, f.Public, f.MCP, err)
	}
	var catalogue string
	if !jfntest.Poll(3*time.Second, func() bool {
		b.run(t, "tools after settings", chromedp.Navigate(base+"/functions/shop"), chromedp.Text("#tools > p", &catalogue, chromedp.ByQuery))
		return strings.HasPrefix(catalogue, "Catalogue: search")
	}) {
		t.Errorf("Tools after saving mode search = %q, want Catalogue: search", catalogue)
	}

	// Screenshots, light and dark.
	for _, scheme := range []string{"light", "dark"} {
		b.run(t, "emulate "+scheme, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}))
		b.run(t, "functions page", chromedp.Navigate(base+"/"), chromedp.WaitVisible("table[data-refreshed]", chromedp.ByQuery))
		b.shot(t, "main", "functions-"+scheme)
		b.run(t, "function page", chromedp.Navigate(base+"/functions/shop?q=order"), chromedp.WaitVisible("#tools", chromedp.ByQuery))
		b.shot(t, "#tools", "tools-"+scheme)
		b.run(t, "try",
			chromedp.Navigate(base+"/functions/shop?tool=getProduct#try"),
			chromedp.SendKeys(`//label[normalize-space()="product-id"]/following-sibling::div[1]/input`, "p-101", chromedp.BySearch),
			chromedp.Click(button("Call"), chromedp.BySearch),
			chromedp.WaitVisible("#call-result", chromedp.ByQuery))
		b.shot(t, "#try", "try-"+scheme)
		b.shot(t, "#tokens", "tokens-"+scheme)
		b.shot(t, "#settings", "settings-"+scheme)
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("browser console errors: %q", errs)
	}
	// The check above can fail: an inline script added to a console page is refused by the
	// CSP, and the refusal reaches the recorded errors.
	b.run(t, "inline script", chromedp.Evaluate(`(function(){var s=document.createElement("script");s.textContent="window.inlineRan=1";document.body.appendChild(s);return 0})()`, nil))
	var ran bool
	if !jfntest.Poll(2*time.Second, func() bool {
		for _, e := range b.consoleErrors() {
			if strings.Contains(e, "Content Security Policy") {
				return true
			}
		}
		return false
	}) {
		t.Errorf("an inline script raised no CSP error; recorded: %q", b.consoleErrors())
	}
	b.run(t, "inline script ran?", chromedp.Evaluate(`window.inlineRan === 1`, &ran))
	if ran {
		t.Error("an inline script ran on a console page: the CSP does not apply")
	}
	if strings.Contains(s.log.String(), secret) || strings.Contains(s.log.String(), defaultToken) {
		t.Error("a token secret appears in the server log")
	}
}

// TestConsoleBrowserCron shows a function's schedules and its latest runs, a failed one too.
func TestConsoleBrowserCron(t *testing.T) {
	b := newBrowser(t)
	up := newCronUpstream(t, cronDoc(`[{"expression":"@every 1s","name":"tick"}]`, `[{"expression":"@every 1s","name":"boom"}]`))
	s := startServer(t)
	deployed(t, s.db, "jobs", up.URL)
	// The bounds are generous: on a loaded machine a browser round trip alone can take seconds.
	up.waitNamed(t, "tick", 1, 15*time.Second)
	up.waitNamed(t, "boom", 1, 15*time.Second)
	base := s.AdminURL()
	var schedules, runs string
	if !jfntest.Poll(15*time.Second, func() bool {
		b.run(t, "cron section",
			chromedp.Navigate(base+"/functions/jobs#cron"),
			chromedp.WaitVisible("#cron-heading", chromedp.ByQuery),
			chromedp.Text("#cron", &runs, chromedp.ByQuery))
		return strings.Contains(runs, "Latest runs") && strings.Contains(runs, "ERROR") && strings.Contains(runs, "OK")
	}) {
		t.Fatalf("Cron section = %q, want OK and ERROR runs", runs)
	}
	b.run(t, "schedule row", chromedp.Text(`//section[@id="cron"]//tr[th[normalize-space()="tick"]]`, &schedules, chromedp.BySearch))
	for _, want := range []string{"@every 1s", "UTC", "POST /job"} {
		if !strings.Contains(schedules, want) {
			t.Errorf("schedule row tick = %q, want %q", schedules, want)
		}
	}
	if !strings.Contains(runs, "500") {
		t.Errorf("Cron runs = %q, want the failing run's status 500", runs)
	}
	for _, scheme := range []string{"light", "dark"} {
		b.run(t, "emulate "+scheme, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
			chromedp.Reload(), chromedp.WaitVisible("#cron", chromedp.ByQuery))
		b.shot(t, "#cron", "cron-"+scheme)
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("browser console errors: %q", errs)
	}
}

// TestConsoleBrowserBrokenDocument shows, on the functions table, why a function's document
// does not load (an upstream answering 500, and one answering invalid JSON) and when it last
// loaded and was last tried.
func TestConsoleBrowserBrokenDocument(t *testing.T) {
	b := newBrowser(t)
	status500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	t.Cleanup(status500.Close)
	invalid := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"openapi": "3.1.0", "paths": {`))
	}))
	t.Cleanup(invalid.Close)
	s := startServer(t)
	deployed(t, s.db, "down", status500.URL)
	deployed(t, s.db, "garbled", invalid.URL)
	base := s.AdminURL()
	rows := map[string]string{}
	if !jfntest.Poll(10*time.Second, func() bool {
		b.run(t, "functions table", chromedp.Navigate(base+"/"), chromedp.WaitVisible("main", chromedp.ByQuery))
		for _, name := range []string{"down", "garbled"} {
			var row string
			b.run(t, "row "+name, chromedp.Text(`//tr[th[normalize-space()="`+name+`"]]`, &row, chromedp.BySearch))
			rows[name] = row
		}
		return strings.Contains(rows["down"], "last tried") && strings.Contains(rows["garbled"], "last tried")
	}) {
		t.Fatalf("functions rows = %q, want both documents tried", rows)
	}
	for name, want := range map[string]string{
		"down":    "could not be fetched: the upstream answered HTTP 500",
		"garbled": "OpenAPI document is invalid",
	} {
		row := rows[name]
		if !strings.Contains(row, "error") || !strings.Contains(row, want) || !strings.Contains(row, "Last loaded: never") {
			t.Errorf("row %s = %q, want status error, %q and Last loaded: never", name, row, want)
		}
	}
	b.shot(t, "main", "functions-broken-light")
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("browser console errors: %q", errs)
	}
}

// TestConsoleBrowserLive watches the functions table refresh without a reload: requests made
// through the public listener raise the function's request count, and a refused one its
// error rate.
func TestConsoleBrowserLive(t *testing.T) {
	b := newBrowser(t)
	up := httptest.NewServer(shop.Handler())
	t.Cleanup(up.Close)
	s := startServer(t)
	tok := deployed(t, s.db, "shop", up.URL)
	s.waitHealthy(t, "shop")
	base := s.AdminURL()
	row := `//tr[@data-function="shop"]`
	cell := func(field string) string {
		var v string
		b.run(t, "cell "+field, chromedp.Text(row+`//*[@data-field="`+field+`"]`, &v, chromedp.BySearch))
		return strings.TrimSpace(v)
	}
	b.run(t, "functions page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(row, chromedp.BySearch),
		chromedp.Evaluate(`window.sameLoad = true`, nil))
	var before uint64
	if _, err := fmt.Sscan(cell("requests"), &before); err != nil {
		t.Fatalf("requests cell = %q: %v", cell("requests"), err)
	}
	for range 3 {
		if code, _, _ := call(t, "GET", s.URL()+"/shop/products/p-100", tokenHeader(tok), ""); code != http.StatusOK {
			t.Fatalf("GET /shop/products/p-100 = %d, want 200", code)
		}
	}
	if code, _, _ := call(t, "GET", s.URL()+"/shop/products/p-100", nil, ""); code != http.StatusUnauthorized {
		t.Fatalf("GET without a token = %d, want 401", code)
	}
	want := fmt.Sprint(before + 4)
	var got, rate string
	if !jfntest.Poll(10*time.Second, func() bool {
		got, rate = cell("requests"), cell("errorRate")
		return got == want
	}) {
		t.Fatalf("requests cell = %q 10 s after 4 requests, want %s (from %d)", got, want, before)
	}
	if !strings.Contains(rate, "(1 of "+want+")") {
		t.Errorf("errors cell = %q, want the one 401 of %s requests", rate, want)
	}
	var same bool
	var note string
	b.run(t, "same page", chromedp.Evaluate(`window.sameLoad === true`, &same), chromedp.Text("#live-note", &note, chromedp.ByQuery))
	if !same {
		t.Error("the page was reloaded; want the table refreshed in place")
	}
	if !strings.HasPrefix(note, "Refreshes every") {
		t.Errorf("live note = %q, want Refreshes every …", note)
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("browser console errors: %q", errs)
	}
}
