package console

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// downLogins is a Logins whose store is unreachable.
type downLogins struct{}

var errDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func (downLogins) CreateLogin(context.Context, [32]byte, time.Time) error { return errDown }
func (downLogins) LoginExpiry(context.Context, [32]byte) (time.Time, error) {
	return time.Time{}, errDown
}
func (downLogins) DeleteLogin(context.Context, [32]byte) error { return errDown }

// TestLoginsDown: while the logins cannot be read, pages answer 503 (not the login page), a
// logout says it did not happen and keeps the cookie, a login says it was not saved, and the
// outage is logged once.
func TestLoginsDown(t *testing.T) {
	var logs bytes.Buffer
	c, err := New(nil, &Options{AdminToken: "admin-token-for-tests", Logins: downLogins{}, Logger: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://console.test"+path, strings.NewReader(body))
		r.AddCookie(&http.Cookie{Name: cookieName, Value: "a-live-login"})
		if method == http.MethodPost {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Origin", "http://console.test")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		return w
	}
	for range 3 {
		if w := do("GET", "/", ""); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "store is unreachable") {
			t.Fatalf("GET / with the logins down = %d %q, want 503 saying the store is unreachable", w.Code, w.Body.String())
		}
	}
	if n := strings.Count(logs.String(), "cannot read logins"); n != 1 {
		t.Errorf("the outage was logged %d times over three requests, want once:\n%s", n, logs.String())
	}
	w := do("POST", "/logout", "")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "could not be ended") || strings.Contains(w.Header().Get("Set-Cookie"), cookieName) {
		t.Errorf("POST /logout with the logins down = %d %q, Set-Cookie %q; want 503, a message and the cookie kept",
			w.Code, w.Body.String(), w.Header().Get("Set-Cookie"))
	}
	if w := do("POST", "/login", "token=admin-token-for-tests"); w.Code != http.StatusServiceUnavailable || w.Header().Get("Set-Cookie") != "" {
		t.Errorf("POST /login with the logins down = %d, Set-Cookie %q; want 503 and no cookie", w.Code, w.Header().Get("Set-Cookie"))
	}
	if strings.Contains(logs.String(), "a-live-login") || strings.Contains(logs.String(), "admin-token-for-tests") {
		t.Error("the log holds the cookie or the admin token")
	}
}
