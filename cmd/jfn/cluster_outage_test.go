package main

// Resilience of a cluster: three servers on one PostgreSQL that is stopped and started
// again under them.

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/internal/jfntest"
)

// outageLength is the least time TestClusterPostgresOutage keeps the database stopped.
const outageLength = 6 * time.Second

// TestClusterPostgresOutage stops the database under three replicas and starts it again.
// During the outage the replicas keep serving the tokens they know from memory, refuse any
// other (fail closed), answer 503 on MCP sessions (looked up in the store) and on /readyz,
// and log that the store is unreachable; once the database is back they recover without a
// restart, nothing committed before the outage is lost (tokens, the session), and token
// changes propagate within a second again.
func TestClusterPostgresOutage(t *testing.T) {
	pg := startPrivatePostgres(t)
	db := pg.DSN
	up := jfntest.NewUpstream(t, balance.Handler())
	servers, _ := replicas(t, db, 3, up.URL)

	// A is known to every replica before the outage; C is committed just before the stop,
	// without waiting for the replicas to hear of it.
	tokA := cliToken(t, db, "before-outage")
	waitAll(t, servers, tokA, http.StatusOK, 2*time.Second, "token A before the outage")
	session := openRawSession(t, servers[0].URL()+"/balance/mcp", tokA)
	tokC := cliToken(t, db, "just-before-outage")
	pg.Stop()
	stopped := time.Now()

	t.Run("during the outage", func(t *testing.T) {
		// The log says so by itself, before anybody asks /readyz.
		for i, s := range servers {
			if !jfntest.Poll(5*time.Second, func() bool { return loggedStoreUnreachable(s.log.String()) }) {
				t.Errorf("replica %d: no log line saying the store is unreachable within 5 s of the stop; log:\n%s", i, s.log)
			}
		}
		unknown, err := auth.New()
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range servers {
			if code := balanceStatus(t, s, tokA); code != http.StatusOK {
				t.Errorf("replica %d: token A during the outage = %d, want 200 (from the in-memory index)", i, code)
			}
			if code := balanceStatus(t, s, unknown); code != http.StatusUnauthorized {
				t.Errorf("replica %d: an unknown token during the outage = %d, want 401 (fail closed)", i, code)
			}
			// A session is looked up in the store: it cannot be checked, and is not ended.
			if code := sessionStatus(t, s.URL()+"/balance/mcp", tokA, session); code != http.StatusServiceUnavailable {
				t.Errorf("replica %d: a request on an MCP session during the outage = %d, want 503 (try again)", i, code)
			}
			if code, body := readyz(t, s); code != http.StatusServiceUnavailable || !strings.Contains(body, "store is unreachable") {
				t.Errorf("replica %d: /readyz during the outage = %d %s, want 503 saying the store is unreachable", i, code, body)
			}
		}
		if r := cli(t, db, "tokens", "create", "balance", "--name", "during-outage"); r.code == 0 || tokenPattern.MatchString(r.stdout) {
			t.Errorf("jfn tokens create during the outage: exit %d, stdout %q; want a failure and no token", r.code, r.stdout)
		}
	})

	// Keep the database away for a few seconds at least: long enough for the change feed's
	// reconnection backoff to reach its ceiling and for a last-use flush to fail.
	time.Sleep(time.Until(stopped.Add(outageLength)))
	restarted := time.Now()
	pg.Start()

	t.Run("after the outage", func(t *testing.T) {
		for i, s := range servers {
			if !jfntest.Poll(5*time.Second, func() bool {
				code, _ := readyz(t, s)
				return code == http.StatusOK && reloadedSince(t, s, restarted)
			}) {
				code, body := readyz(t, s)
				t.Fatalf("replica %d: not recovered within 5 s of the database's return: /readyz = %d %s, or no index reload since", i, code, body)
			}
			if !jfntest.Poll(time.Second, func() bool { return loggedStoreBack(s.log.String()) }) {
				t.Errorf("replica %d: no log line saying the store is reachable again; log:\n%s", i, s.log)
			}
		}
		for i, s := range servers {
			if code := balanceStatus(t, s, tokA); code != http.StatusOK {
				t.Errorf("replica %d: token A after the outage = %d, want 200", i, code)
			}
			if code := sessionStatus(t, s.URL()+"/balance/mcp", tokA, session); code != http.StatusOK {
				t.Errorf("replica %d: the MCP session opened before the outage, after it = %d, want 200", i, code)
			}
		}
		waitAll(t, servers, tokC, http.StatusOK, time.Second, "token C (committed just before the stop) after recovery")

		// The change feed reconnects with a backoff of up to a second, maybe after /readyz has
		// turned: the first change after the restart may take that long more. From then on,
		// the one-second promise holds again.
		probe := cliToken(t, db, "first-after-outage")
		waitAll(t, servers, probe, http.StatusOK, 3*time.Second, "the first token created after the restart")

		tokB := cliToken(t, db, "after-outage")
		waitAll(t, servers, tokB, http.StatusOK, time.Second, "token B created after recovery")
		mustCLI(t, db, "tokens", "revoke", "balance", tokenID(t, db, "balance", "after-outage"), "-y")
		waitAll(t, servers, tokB, http.StatusUnauthorized, time.Second, "token B revoked after recovery")
	})
}

// cliToken creates a token for balance through the CLI and returns its secret.
func cliToken(t *testing.T, db, name string) string {
	t.Helper()
	tok := tokenPattern.FindString(mustCLI(t, db, "tokens", "create", "balance", "--name", name).stdout)
	if tok == "" {
		t.Fatalf("jfn tokens create balance --name %s printed no token", name)
	}
	return tok
}

// balanceStatus is the status of a getBalance call with tok on s.
func balanceStatus(t *testing.T, s *testServer, tok string) int {
	t.Helper()
	code, _, _ := call(t, "POST", s.URL()+"/balance/", tokenHeader(tok), `{"phone":"+593987654321"}`)
	return code
}

// waitAll waits until every server answers want for tok, and fails the test unless all do
// within d (measured from the call).
func waitAll(t *testing.T, servers []*testServer, tok string, want int, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for i, s := range servers {
		var code int
		if !jfntest.Poll(time.Until(deadline), func() bool { code = balanceStatus(t, s, tok); return code == want }) {
			t.Fatalf("%s: replica %d answers %d, want %d within %v", what, i, code, want, d)
		}
	}
}

// readyz returns the status and body of s's admin /readyz.
func readyz(t *testing.T, s *testServer) (int, string) {
	t.Helper()
	code, _, body := call(t, "GET", s.AdminURL()+"/readyz", nil, "")
	return code, body
}

// reloadedSince reports whether s rebuilt its index from the store after since, from the
// jfn_store_feed_lag_seconds gauge (seconds since the last rebuild).
func reloadedSince(t *testing.T, s *testServer, since time.Time) bool {
	t.Helper()
	_, _, body := call(t, "GET", s.AdminURL()+"/metrics", nil, "")
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "jfn_store_feed_lag_seconds "); ok {
			lag, err := strconv.ParseFloat(v, 64)
			return err == nil && time.Duration(lag*float64(time.Second)) < time.Since(since)
		}
	}
	t.Fatalf("/metrics of %s has no jfn_store_feed_lag_seconds", s.AdminAddr())
	return false
}

// logLines decodes the server's JSON log lines.
func logLines(log string) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(log, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// loggedStoreUnreachable reports whether log has a warning or error saying the store is
// unreachable.
func loggedStoreUnreachable(log string) bool {
	for _, m := range logLines(log) {
		msg, _ := m["message"].(string)
		if (m["level"] == "error" || m["level"] == "warn") && strings.Contains(msg, "store unreachable") {
			return true
		}
	}
	return false
}

// loggedStoreBack reports whether log says the store is reachable again.
func loggedStoreBack(log string) bool {
	for _, m := range logLines(log) {
		if msg, _ := m["message"].(string); strings.Contains(msg, "store reachable again") {
			return true
		}
	}
	return false
}
