package main

// Bounded MCP sessions: at most a fixed number of live sessions per token (per function for
// a public function's tokenless sessions), the least recently used evicted first; a session
// that saw nothing after initialize expires early.
// Every test drives real servers over HTTP; where two servers share the store, an evicted or
// expired session must be refused by both.

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/server"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/internal/store/storetest"
)

// wantSessionStatus checks the status of a tools/list on session through every url.
func wantSessionStatus(t *testing.T, urls []string, token, session, what string, want int) {
	t.Helper()
	for i, url := range urls {
		// A session ended on another server must be refused here within a second:
		// each server trusts a session it read from the store for sessionRecheck.
		if !jfntest.Poll(time.Second, func() bool { return sessionStatus(t, url, token, session) == want }) {
			t.Errorf("server %d: tools/list on %s = %d, want %d", i, what, sessionStatus(t, url, token, session), want)
		}
	}
}

// boundedServers starts one server on the store db per element of tunes (each adjusts
// its server before Open; nil leaves the defaults), waits until each serves function with
// every token in tokens, and returns their /mcp URLs.
func boundedServers(t *testing.T, db string, tunes []func(*server.Config), function string, tokens ...string) []string {
	t.Helper()
	urls := make([]string, len(tunes))
	for i := range urls {
		s := startServerOn(t, db, tunes[i])
		s.waitFunctions(t, function)
		s.waitHealthy(t, function)
		urls[i] = s.URL() + "/" + function + "/mcp"
		for _, tok := range tokens {
			s.waitToken(t, urls[i], tok)
		}
	}
	return urls
}

// TestMCPSessionsCappedPerToken: with a cap of 3, a token's fourth session evicts its least
// recently used one, on whichever server it was opened, and every server then answers 404
// for it; the newest sessions and another token's sessions are unaffected. Two servers share
// a SQLite file, then a PostgreSQL database.
func TestMCPSessionsCappedPerToken(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { checkSessionsCappedPerToken(t, t.TempDir()+"/jfn.db") })
	t.Run("PostgreSQL", func(t *testing.T) { checkSessionsCappedPerToken(t, storetest.PostgresDatabase(t)) })
}

func checkSessionsCappedPerToken(t *testing.T, db string) {
	up := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, db, "balance", up.URL)
	other := tokenPattern.FindString(mustCLI(t, db, "tokens", "create", "balance", "--name", "other").stdout)
	const limit = 3
	tune := func(c *server.Config) { c.SessionLimit = limit }
	urls := boundedServers(t, db, []func(*server.Config){tune, tune}, "balance", tok, other)
	a := urls[0]

	// The other token's sessions are the oldest in the store: a cap counted per function
	// instead of per token would evict them first.
	others := []string{openRawSession(t, urls[0], other), openRawSession(t, urls[1], other)}
	// Times are kept to the millisecond and ties may go either way: each session opens in a
	// millisecond of its own, so that the least recently used is one session.
	var mine []string
	for i := range limit {
		time.Sleep(3 * time.Millisecond)
		mine = append(mine, openRawSession(t, urls[i%2], tok))
	}
	time.Sleep(3 * time.Millisecond)
	extra := openRawSession(t, urls[1], tok)

	wantSessionStatus(t, urls, tok, mine[0], "the least recently used session after one more opened", http.StatusNotFound)
	for _, id := range append(mine[1:], extra) {
		wantSessionStatus(t, urls, tok, id, "a session within the cap", http.StatusOK)
	}
	for _, id := range others {
		wantSessionStatus(t, urls, other, id, "another token's session", http.StatusOK)
	}

	// Least recently used, not oldest: use mine[1] last, so mine[2] is the one to go.
	for _, id := range []string{mine[2], extra, mine[1]} {
		time.Sleep(5 * time.Millisecond) // distinct milliseconds
		if code := sessionStatus(t, a, tok, id); code != http.StatusOK {
			t.Fatalf("tools/list on a live session = %d, want 200", code)
		}
	}
	newest := openRawSession(t, a, tok)
	wantSessionStatus(t, urls, tok, mine[2], "the least recently used session (opened after the one used last)", http.StatusNotFound)
	for _, id := range []string{mine[1], extra, newest} {
		wantSessionStatus(t, urls, tok, id, "a recently used session", http.StatusOK)
	}
	for _, id := range others {
		wantSessionStatus(t, urls, other, id, "another token's session", http.StatusOK)
	}
}

// TestMCPSessionsCappedAtDefault opens one more session than the real default cap (1,000)
// with one token: the first is evicted, the second and the last live on, and another token's
// session is unaffected.
func TestMCPSessionsCappedAtDefault(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	up := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, db, "balance", up.URL)
	other := tokenPattern.FindString(mustCLI(t, db, "tokens", "create", "balance", "--name", "other").stdout)
	url := boundedServers(t, db, []func(*server.Config){nil}, "balance", tok, other)[0]

	kept := openRawSession(t, url, other)
	const limit = 1000 // at most 1,000 live sessions per token
	ids := make([]string, limit+1)
	start := time.Now()
	for i := range ids {
		ids[i] = initializeOnly(t, url, tok)
		if i == 0 {
			// Times are kept to the millisecond: sessions opened in the same one tie, and a tie
			// may go either way. The first must be strictly the least recently used.
			time.Sleep(3 * time.Millisecond)
		}
	}
	t.Logf("opened %d sessions in %v", len(ids), time.Since(start).Round(time.Millisecond))
	if code := sessionStatus(t, url, tok, ids[0]); code != http.StatusNotFound {
		t.Errorf("tools/list on the first of %d sessions of one token = %d, want 404", len(ids), code)
	}
	for _, i := range []int{1, limit / 2, limit} {
		if code := sessionStatus(t, url, tok, ids[i]); code != http.StatusOK {
			t.Errorf("tools/list on session %d of %d = %d, want 200", i+1, len(ids), code)
		}
	}
	if code := sessionStatus(t, url, other, kept); code != http.StatusOK {
		t.Errorf("tools/list on another token's session = %d, want 200", code)
	}
}

// TestMCPTokenlessSessionsCappedPerFunction: a public function's tokenless sessions share one
// cap per function; opening one more evicts the least recently used, and another public
// function's tokenless sessions are unaffected.
func TestMCPTokenlessSessionsCappedPerFunction(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	up := jfntest.NewUpstream(t, balance.Handler())
	deployed(t, db, "open", up.URL, "--public")
	deployed(t, db, "plaza", up.URL, "--public")
	const limit = 2
	tune := func(c *server.Config) { c.SessionLimit = limit }
	urls := boundedServers(t, db, []func(*server.Config){tune, tune}, "open")
	plaza := boundedServers(t, db, []func(*server.Config){tune}, "plaza")[0]

	neighbour := openRawSession(t, plaza, "")
	var ids []string
	for i := range limit + 1 {
		time.Sleep(3 * time.Millisecond) // a millisecond of its own: ties may go either way
		ids = append(ids, openRawSession(t, urls[i%2], ""))
	}
	wantSessionStatus(t, urls, "", ids[0], "the first tokenless session after one more opened", http.StatusNotFound)
	wantSessionStatus(t, urls, "", ids[limit], "the newest tokenless session", http.StatusOK)
	wantSessionStatus(t, []string{plaza}, "", neighbour, "another public function's session", http.StatusOK)
}

// TestMCPUnusedSessionExpires: a session with no request after initialize expires after the
// unused window (shortened here), on every server; a session that saw a request lives on
// until the session TTL, also on a server that did not see that request.
//
// Server 0, where the sessions are used, keeps its periodic flush and sweep (seconds and a
// minute); server 1 sweeps every 100 ms. So the used session survives server 1's sweeps only
// if server 0 recorded its first request in the store at once.
func TestMCPUnusedSessionExpires(t *testing.T) {
	db := t.TempDir() + "/jfn.db"
	up := jfntest.NewUpstream(t, balance.Handler())
	tok := deployed(t, db, "balance", up.URL)
	const unused = 400 * time.Millisecond
	urls := boundedServers(t, db, []func(*server.Config){
		func(c *server.Config) { c.SessionUnused = unused },
		func(c *server.Config) { c.SessionUnused, c.SessionSweep = unused, 100*time.Millisecond },
	}, "balance", tok)

	idle := initializeOnly(t, urls[0], tok)
	used := openRawSession(t, urls[0], tok) // notifications/initialized is a request
	time.Sleep(unused + 300*time.Millisecond)

	wantSessionStatus(t, urls, tok, idle, "a session unused since initialize, past the unused window", http.StatusNotFound)
	wantSessionStatus(t, urls, tok, used, "a session used once, past the unused window but within the TTL", http.StatusOK)

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
		t.Errorf("the unused session is still in the store 2 s after it expired")
	}
	if _, err := ss.GetSession(t.Context(), used); err != nil {
		t.Errorf("GetSession(used session) = %v, want it kept", err)
	}
}
