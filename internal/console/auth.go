package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

// cookieName is the console's session cookie.
const cookieName = "jfn_console"

// Logins keeps the console's logins by a keyed hash of their cookie value (loginKey), so
// that it holds no usable secret. jfn serve passes its store's (store.ConsoleLogins), which every server
// on the store shares: a login holds on any replica and across restarts, and a logout on one
// ends it on all.
type Logins interface {
	CreateLogin(ctx context.Context, hash [32]byte, expires time.Time) error
	// LoginExpiry returns when the login ends, or an error wrapping store.ErrNotFound.
	LoginExpiry(ctx context.Context, hash [32]byte) (time.Time, error)
	DeleteLogin(ctx context.Context, hash [32]byte) error
}

var _ Logins = store.ConsoleLogins(nil)

// loginKey is what the logins store for the cookie value v: its HMAC-SHA256 under the admin
// token. A login therefore holds only on servers with the same admin token, and changing the
// token ends every login.
func (c *Console) loginKey(v string) [32]byte {
	m := hmac.New(sha256.New, []byte(c.opts.AdminToken))
	m.Write([]byte(v))
	var k [32]byte
	copy(k[:], m.Sum(nil))
	return k
}

// loggedIn reports whether r may see the console: always without an admin token, else with
// a live login cookie. It returns an error when the logins cannot be read (the store is
// down), logged once per outage.
func (c *Console) loggedIn(r *http.Request) (bool, error) {
	if c.opts.AdminToken == "" {
		return true, nil
	}
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return false, nil
	}
	exp, err := c.logins.LoginExpiry(r.Context(), c.loginKey(ck.Value))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		if !c.loginsDown.Swap(true) {
			c.log.Error().Err(err).Msg("console: cannot read logins; pages answer 503 until the store is back")
		}
		return false, err
	}
	if c.loginsDown.Swap(false) {
		c.log.Info().Msg("console: logins readable again")
	}
	return err == nil && time.Now().Before(exp), nil
}

// requireLogin sends a request without a login to the login page (a GET) or answers 401, and
// answers 503 while the logins cannot be read. The login and logout routes and the static
// files need no login.
func (c *Console) requireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" || r.URL.Path == "/logout" || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		in, err := c.loggedIn(r)
		switch {
		case err != nil:
			c.render(w, r, http.StatusServiceUnavailable, "message", messagePage{Title: "Store unreachable",
				Text: "The console cannot check your login: the store is unreachable. Try again shortly."})
		case in:
			next.ServeHTTP(w, r)
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			http.Redirect(w, r, "/login", http.StatusSeeOther)
		default:
			c.render(w, r, http.StatusUnauthorized, "login", loginPage{Problem: "Log in first."})
		}
	})
}

type loginPage struct {
	Problem string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if in, _ := c.loggedIn(r); in {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "login", loginPage{})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	given := r.PostFormValue("token")
	want := c.opts.AdminToken
	if want == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	// Compare hashes, so the time taken says nothing about the token's length either.
	g, x := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(g[:], x[:]) != 1 {
		c.log.Warn().Str("remote", r.RemoteAddr).Msg("console login refused")
		c.render(w, r, http.StatusUnauthorized, "login", loginPage{Problem: "That is not the admin token."})
		return
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	value := hex.EncodeToString(b[:])
	if err := c.logins.CreateLogin(r.Context(), c.loginKey(value), time.Now().Add(c.opts.SessionTTL)); err != nil {
		c.log.Error().Err(err).Msg("console: cannot store the login")
		c.render(w, r, http.StatusServiceUnavailable, "login", loginPage{Problem: "The login could not be saved: the store is unreachable. Try again shortly."})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: value, Path: "/",
		MaxAge: int(c.opts.SessionTTL.Seconds()), HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(cookieName); err == nil {
		if err := c.logins.DeleteLogin(r.Context(), c.loginKey(ck.Value)); err != nil {
			c.log.Error().Err(err).Msg("console: cannot end the login")
			c.render(w, r, http.StatusServiceUnavailable, "message", messagePage{Title: "Not logged out",
				Text: "The login could not be ended: the store is unreachable. Try again shortly."})
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
