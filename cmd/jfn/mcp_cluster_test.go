package main

// Portable MCP sessions: servers sharing one store (a SQLite file, or PostgreSQL for many
// replicas) serve each other's sessions, behind a round-robin balancer with no stickiness.

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/server"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/internal/store/storetest"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

// replicas starts n servers on db with function balance deployed on upstream url, and
// returns them with balance's default token once every one serves its tools.
func replicas(t *testing.T, db string, n int, url string) ([]*testServer, string) {
	t.Helper()
	tok := deployed(t, db, "balance", url)
	servers := make([]*testServer, n)
	for i := range servers {
		servers[i] = startServerOn(t, db, nil)
	}
	for _, s := range servers {
		s.waitFunctions(t, "balance")
		s.waitHealthy(t, "balance")
		s.waitToken(t, s.URL()+"/balance/mcp", tok)
	}
	return servers, tok
}

// sessionStatus is the status of a tools/list on session through url.
func sessionStatus(t *testing.T, url, token, session string) int {
	t.Helper()
	code, _, _ := mcpRequest{method: "POST", token: token, session: session, version: sessionVersion, body: toolsList()}.do(t, url)
	return code
}

// checkBalancedSession drives a whole session through a round-robin balancer over servers:
// initialize → tools/list → tools/call → DELETE (by the client's Close), then checks that
// every server answers 404 for the ended session.
func checkBalancedSession(t *testing.T, servers []*testServer, token string) {
	t.Helper()
	backends := make([]string, len(servers))
	for i, s := range servers {
		backends[i] = s.URL()
	}
	lb := newRoundRobin(t, backends...)
	c := mcptest.Connect(t, lb.URL+"/balance/mcp", &mcptest.Options{Token: token, Version: sessionVersion})
	sid := c.GetSessionId()
	if sid == "" {
		t.Fatal("initialize through the balancer gave no session id")
	}
	for range len(servers) { // each step lands on every replica at least once
		if got := mcptest.ToolNames(t, c); !slices.Equal(got, []string{"getBalance"}) {
			t.Fatalf("tools/list through the balancer = %v, want [getBalance]", got)
		}
		res := mcptest.CallTool(t, c, "getBalance", map[string]any{"phone": "+593987654321"})
		if res.IsError || !strings.Contains(structured(t, res), `"balance":125.5`) {
			t.Fatalf("getBalance through the balancer = isError %v, text %q", res.IsError, mcptest.Text(res))
		}
	}
	for i := range lb.hits {
		if lb.hits[i].Load() == 0 {
			t.Errorf("replica %d received no request; the balancer did not rotate", i)
		}
	}
	if err := c.Close(); err != nil { // sends DELETE through the balancer
		t.Fatalf("Close: %v", err)
	}
	// The replica that served the DELETE refuses the session at once; the others within a
	// second (each trusts a session it read from the store for sessionRecheck).
	for i, s := range servers {
		url := s.URL() + "/balance/mcp"
		if !jfntest.Poll(time.Second, func() bool { return sessionStatus(t, url, token, sid) == http.StatusNotFound }) {
			t.Errorf("replica %d: tools/list on the session a second after its DELETE = %d, want 404", i, sessionStatus(t, url, token, sid))
		}
	}
}

// TestMCPSessionsAcrossServersSQLite is the CLI-and-servers flavour of portable sessions: two
// server processes on one SQLite file.
func TestMCPSessionsAcrossServersSQLite(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	up := jfntest.NewUpstream(t, balance.Handler())
	servers, tok := replicas(t, db, 2, up.URL)
	a, b := servers[0].URL()+"/balance/mcp", servers[1].URL()+"/balance/mcp"

	id := openRawSession(t, a, tok)
	if code := sessionStatus(t, b, tok, id); code != http.StatusOK {
		t.Fatalf("a session opened on server A, used on server B = %d, want 200", code)
	}
	other := tokenPattern.FindString(mustCLI(t, db, "tokens", "create", "balance", "--name", "other").stdout)
	servers[1].waitToken(t, b, other)
	if code := sessionStatus(t, b, other, id); code != http.StatusNotFound {
		t.Errorf("A's session with another valid token on B = %d, want 404", code)
	}
	if code, _, body := (mcpRequest{method: "DELETE", token: tok, session: id, version: sessionVersion}).do(t, b); code != http.StatusOK {
		t.Fatalf("DELETE on B = %d %s, want 200", code, body)
	}
	if code := sessionStatus(t, b, tok, id); code != http.StatusNotFound {
		t.Errorf("B right after its own DELETE = %d, want 404", code)
	}
	// A read the session from the store when it opened it; it sees the DELETE within 1 s.
	if !jfntest.Poll(time.Second, func() bool { return sessionStatus(t, a, tok, id) == http.StatusNotFound }) {
		t.Errorf("A one second after a DELETE on B = %d, want 404", sessionStatus(t, a, tok, id))
	}

	checkBalancedSession(t, servers, tok)
}

// TestMCPClusterPostgres runs three servers on one PostgreSQL database behind a round-robin
// balancer.
func TestMCPClusterPostgres(t *testing.T) {
	db := storetest.PostgresDatabase(t)
	up := jfntest.NewUpstream(t, balance.Handler())
	servers, tok := replicas(t, db, 3, up.URL)

	t.Run("balanced session", func(t *testing.T) { checkBalancedSession(t, servers, tok) })

	t.Run("token binding and revocation on every replica", func(t *testing.T) {
		other := tokenPattern.FindString(mustCLI(t, db, "tokens", "create", "balance", "--name", "other").stdout)
		for _, s := range servers {
			s.waitToken(t, s.URL()+"/balance/mcp", other)
		}
		id := openRawSession(t, servers[0].URL()+"/balance/mcp", other)
		for i, s := range servers {
			url := s.URL() + "/balance/mcp"
			if code := sessionStatus(t, url, other, id); code != http.StatusOK {
				t.Errorf("replica %d: the session with its own token = %d, want 200", i, code)
			}
			if code := sessionStatus(t, url, tok, id); code != http.StatusNotFound {
				t.Errorf("replica %d: the session with another valid token = %d, want 404", i, code)
			}
		}
		mustCLI(t, db, "tokens", "revoke", "balance", tokenID(t, db, "balance", "other"), "-y")
		for i, s := range servers {
			url := s.URL() + "/balance/mcp"
			if !jfntest.Poll(time.Second, func() bool { return sessionStatus(t, url, other, id) == http.StatusUnauthorized }) {
				t.Errorf("replica %d: the revoked token's session still not 401 one second after 'tokens revoke'", i)
			}
		}
	})
}

// TestMCPSessionTTL: a session in use stays; one left idle past --session-ttl is refused and
// then removed from the store.
func TestMCPSessionTTL(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	up := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, db, "balance", up.URL)
	s := startServerOn(t, db, func(c *server.Config) {
		c.SessionFlush, c.SessionSweep = 50*time.Millisecond, 100*time.Millisecond
	}, "--session-ttl", "1s")
	s.waitFunctions(t, "balance")
	s.waitHealthy(t, "balance")
	url := s.URL() + "/balance/mcp"
	s.waitToken(t, url, tok)

	busy, idle := openRawSession(t, url, tok), openRawSession(t, url, tok)
	for range 8 { // 2 s of use, every 250 ms: twice the TTL
		if code := sessionStatus(t, url, tok, busy); code != http.StatusOK {
			t.Fatalf("a session in use = %d, want 200 (it must not expire while used)", code)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if code := sessionStatus(t, url, tok, idle); code != http.StatusNotFound {
		t.Errorf("a session idle for 2 s with --session-ttl 1s = %d, want 404", code)
	}

	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ss := st.(store.Sessions)
	if !jfntest.Poll(2*time.Second, func() bool {
		_, err := ss.GetSession(t.Context(), idle)
		return errors.Is(err, store.ErrNotFound)
	}) {
		t.Errorf("the idle session is still in the store 2 s after its TTL")
	}
	if _, err := ss.GetSession(t.Context(), busy); err != nil {
		t.Errorf("GetSession(busy session) = %v, want it kept", err)
	}
}
