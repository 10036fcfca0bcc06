package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/examples/shop"
	"github.com/jfnhq/jfn/internal/jfntest"
)

// verifyingShop is the shop example that records, for each call but the document's, whether
// its signature verifies with the secret it is told to check.
type verifyingShop struct {
	*httptest.Server
	mu       sync.Mutex
	secret   string
	verified []bool
}

func newVerifyingShop(t *testing.T) *verifyingShop {
	u := &verifyingShop{}
	h := shop.Handler()
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.json" {
			body, _ := io.ReadAll(r.Body)
			u.mu.Lock()
			if u.secret != "" {
				u.verified = append(u.verified, auth.VerifySignature(u.secret, r, body, 0) == nil)
			}
			u.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// lastVerified checks secret from now on, lets call reach the upstream, and reports whether
// that call's signature verified.
func (u *verifyingShop) lastVerified(secret string, call func()) bool {
	u.mu.Lock()
	u.secret, u.verified = secret, nil
	u.mu.Unlock()
	call()
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.verified) > 0 && u.verified[len(u.verified)-1]
}

// TestConsoleBrowserSettingsActions: the Settings section refreshes the document, rotates the
// signing secret (shown once; the upstream then receives calls signed with it) and, after a
// confirmation step, deletes the function (gone from the table, 404 on its URL).
func TestConsoleBrowserSettingsActions(t *testing.T) {
	b := newBrowser(t)
	up := newVerifyingShop(t)
	s := startServer(t)
	tok := deployed(t, s.db, "shop", up.URL)
	s.waitHealthy(t, "shop")
	base := s.AdminURL()
	page := base + "/functions/shop"

	// Refresh document.
	var refreshed string
	b.run(t, "refresh",
		chromedp.Navigate(page+"#settings"),
		chromedp.Click(button("Refresh document"), chromedp.BySearch),
		chromedp.WaitVisible("#refresh-result", chromedp.ByQuery),
		chromedp.Text("#refresh-result", &refreshed, chromedp.ByQuery),
	)
	if !strings.Contains(refreshed, "Refreshed: 5 tools") {
		t.Errorf("after Refresh document the page says %q, want Refreshed: 5 tools", refreshed)
	}

	// Rotate secret, with the default grace period: a confirmation step, then the secret.
	old := signingSecret(t, s.db, "shop")
	var grace, question, secret string
	b.run(t, "rotate",
		chromedp.Navigate(page+"#settings"),
		chromedp.Value("#rotate-grace", &grace, chromedp.ByQuery),
		chromedp.Click(button("Rotate secret"), chromedp.BySearch),
		chromedp.WaitVisible(button("Rotate"), chromedp.BySearch),
		chromedp.Text("section", &question, chromedp.ByQuery),
	)
	if grace != "24h" {
		t.Errorf("grace period field = %q, want 24h by default", grace)
	}
	if !strings.Contains(question, "Rotate the signing secret of shop?") || !strings.Contains(question, "still signs for 24h") {
		t.Errorf("the rotate confirmation says %q", question)
	}
	if signingSecret(t, s.db, "shop") != old {
		t.Fatal("the secret changed before the rotation was confirmed")
	}
	b.run(t, "rotate confirmed",
		chromedp.Click(button("Rotate"), chromedp.BySearch),
		chromedp.WaitVisible("#signing-secret", chromedp.ByQuery),
		chromedp.Text("#signing-secret", &secret, chromedp.ByQuery),
	)
	if !secretPattern.MatchString(secret) || secret == old {
		t.Fatalf("after Rotate secret the page shows %q, want a new signing secret", secret)
	}
	if stored := signingSecret(t, s.db, "shop"); stored != secret {
		t.Fatalf("the page shows %s…, the store holds %s…", secret[:12], stored[:12])
	}
	var again string
	b.run(t, "page again", chromedp.Navigate(page), chromedp.WaitVisible("#settings-heading", chromedp.ByQuery),
		chromedp.OuterHTML("html", &again, chromedp.ByQuery))
	if strings.Contains(again, secret) {
		t.Error("a second GET of the function page shows the rotated secret")
	}
	if !jfntest.Poll(5*time.Second, func() bool {
		return up.lastVerified(secret, func() {
			call(t, "GET", s.URL()+"/shop/products/p-100", tokenHeader(tok), "")
		})
	}) {
		t.Error("the upstream never received a call signed with the new secret")
	}

	// Delete function: a confirmation step, then gone.
	var confirmText string
	b.run(t, "delete",
		chromedp.Navigate(page+"#settings"),
		chromedp.Click(button("Delete function"), chromedp.BySearch),
		chromedp.WaitVisible(button("Delete"), chromedp.BySearch),
		chromedp.Text("h1", &confirmText, chromedp.ByQuery),
		chromedp.Click(button("Delete"), chromedp.BySearch),
		chromedp.WaitVisible("#deploy-name", chromedp.ByQuery),
	)
	if !strings.Contains(confirmText, "Delete function shop?") {
		t.Errorf("confirmation heading = %q", confirmText)
	}
	var rows int
	b.run(t, "table", chromedp.Evaluate(`document.querySelectorAll('tr[data-function="shop"]').length`, &rows))
	if rows != 0 {
		t.Error("the functions table still lists shop after Delete")
	}
	if _, err := s.Store().GetFunction(t.Context(), "shop"); err == nil {
		t.Error("shop is still in the store")
	}
	var code int
	if !jfntest.Poll(5*time.Second, func() bool {
		code, _, _ = call(t, "GET", s.URL()+"/shop/products/p-100", tokenHeader(tok), "")
		return code == http.StatusNotFound
	}) {
		t.Errorf("GET the deleted function's URL = %d, want 404", code)
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("browser console errors: %q", errs)
	}
}

// TestConsoleRotatedSecretShownOnce: the rotated signing secret is in exactly one console
// response, never in a URL or the log; a bad grace period is refused with the CLI's rule.
func TestConsoleRotatedSecretShownOnce(t *testing.T) {
	up := shopUpstream(t)
	s := startServer(t)
	deployed(t, s.db, "shop", up.URL)
	s.waitHealthy(t, "shop")
	cc := newConsoleClient(t, s)
	if resp, body := cc.post("/functions/shop/rotate", url.Values{"grace": {"31d"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "grace period must be") {
		t.Errorf("rotate with grace 31d = %d, want 400", resp.StatusCode)
	}
	// Without confirm=yes the console only asks, with the CLI's question.
	before := signingSecret(t, s.db, "shop")
	resp, body := cc.post("/functions/shop/rotate", url.Values{"grace": {"0"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Rotate the signing secret of shop?") ||
		!strings.Contains(body, "The old one stops working at once.") || signingSecret(t, s.db, "shop") != before {
		t.Errorf("rotate without confirm = %d, secret changed %v; want 200, the question, and no change",
			resp.StatusCode, signingSecret(t, s.db, "shop") != before)
	}
	var bodies []string
	resp, body = cc.post("/functions/shop/rotate", url.Values{"grace": {"24h"}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /functions/shop/rotate = %d, want 200", resp.StatusCode)
	}
	bodies = append(bodies, body)
	secret := secretPattern.FindString(body)
	if secret == "" || secret != signingSecret(t, s.db, "shop") {
		t.Fatalf("the rotate response does not show the stored new secret")
	}
	if resp.Request.URL.RawQuery != "" || resp.Header.Get("Location") != "" {
		t.Fatalf("the rotate response redirects or has a query")
	}
	for _, path := range []string{"/", "/functions.json", "/functions/shop", "/functions/shop?q=order"} {
		_, b := cc.get(path)
		bodies = append(bodies, b)
	}
	for _, path := range []string{"/functions/shop/refresh", "/functions/shop/delete"} {
		_, b := cc.post(path, url.Values{})
		bodies = append(bodies, b)
	}
	n := 0
	for _, b := range bodies {
		n += strings.Count(b, secret)
	}
	if n != 1 {
		t.Errorf("the rotated secret appears %d times across the console's responses, want exactly 1", n)
	}
	if strings.Contains(s.log.String(), secret) {
		t.Error("the rotated secret appears in the log")
	}
	if !strings.Contains(s.log.String(), "signing secret rotated") {
		t.Error("the rotation is not logged")
	}
	// Delete without confirm=yes only asks; a cross-origin delete is refused.
	if _, err := s.Store().GetFunction(t.Context(), "shop"); err != nil {
		t.Fatalf("a delete without confirmation deleted: %v", err)
	}
	if resp, _ := cc.do("POST", "/functions/shop/delete", url.Values{"confirm": {"yes"}}, "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin delete = %d, want 403", resp.StatusCode)
	}
	if resp, _ := cc.post("/functions/shop/delete", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("confirmed delete = %d, want 303", resp.StatusCode)
	}
	if _, err := s.Store().GetFunction(t.Context(), "shop"); err == nil {
		t.Error("a confirmed delete left the function")
	}
}
