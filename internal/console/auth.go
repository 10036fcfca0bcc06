package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// cookieName is the console's session cookie.
const cookieName = "jfn_console"

// sessions are the logins of this process, by the SHA-256 of their cookie value, so that
// the map holds no usable secret.
type sessions struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[[32]byte]time.Time // expiry
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, m: map[[32]byte]time.Time{}}
}

func (s *sessions) create(now time.Time) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	v := hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.m { // logins are few: sweeping on each one is cheap
		if !now.Before(exp) {
			delete(s.m, k)
		}
	}
	s.m[sha256.Sum256([]byte(v))] = now.Add(s.ttl)
	return v
}

func (s *sessions) valid(v string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[sha256.Sum256([]byte(v))]
	return ok && now.Before(exp)
}

func (s *sessions) end(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(v)))
}

// loggedIn reports whether r may see the console: always without an admin token, else with
// a live session cookie.
func (c *Console) loggedIn(r *http.Request) bool {
	if c.opts.AdminToken == "" {
		return true
	}
	ck, err := r.Cookie(cookieName)
	return err == nil && c.sessions.valid(ck.Value, time.Now())
}

// requireLogin sends a request without a session to the login page (a GET) or answers 401.
func (c *Console) requireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.loggedIn(r) || r.URL.Path == "/login" || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		c.render(w, r, http.StatusUnauthorized, "login", loginPage{Problem: "Log in first."})
	})
}

type loginPage struct {
	Problem string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if c.loggedIn(r) {
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
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: c.sessions.create(time.Now()), Path: "/",
		MaxAge: int(c.opts.SessionTTL.Seconds()), HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(cookieName); err == nil {
		c.sessions.end(ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
