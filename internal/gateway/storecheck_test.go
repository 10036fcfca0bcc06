package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
)

func (s *fakeStore) setSnapErr(err error) {
	s.mu.Lock()
	s.snapErr = err
	s.mu.Unlock()
}

// TestStoreOutage: while the store is unreachable the gateway serves the tokens it knows,
// refuses the others, answers 503 on /readyz and says so in one log line however many
// pings, reloads and probes meet the outage; when the store answers again it says so once
// and picks up what changed meanwhile.
func TestStoreOutage(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	h.storeCheck = 20 * time.Millisecond
	tok := h.deploy("balance", up, nil)
	h.start(nil)
	jfntest.Eventually(t, 2*time.Second, "document loaded", func() bool { return h.gw.specsNeverLoaded() == nil })
	admin := h.gw.AdminHandler()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	count := func(msg string) int { return strings.Count(h.logs.String(), `"message":"`+msg) }
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("GET /readyz before the outage = %d, want 200", code)
	}

	down := fmt.Errorf("%w: %w", store.ErrUnreachable, errDown)
	h.store.setPingErr(down)
	h.store.setSnapErr(down)
	jfntest.Eventually(t, 2*time.Second, "the outage logged", func() bool { return count("store unreachable") > 0 })
	fresh, _ := h.store.addToken(t, "balance", time.Time{}) // signals a reload, which fails
	for range 3 {
		if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "store is unreachable") {
			t.Errorf("GET /readyz during the outage = %d %s, want 503", code, body)
		}
	}
	if resp, body := h.do(http.MethodPost, "/balance/", tokenHeader(tok), nil); resp.StatusCode != 200 {
		t.Errorf("POST /balance/ with a known token during the outage = %d %s, want 200", resp.StatusCode, body)
	}
	unknown, _ := auth.New()
	if resp, _ := h.do(http.MethodPost, "/balance/", tokenHeader(unknown), nil); resp.StatusCode != 401 {
		t.Errorf("POST /balance/ with an unknown token during the outage = %d, want 401", resp.StatusCode)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "\njfn_store_up 0\n") {
		t.Errorf("/metrics during the outage has no jfn_store_up 0")
	}
	time.Sleep(1200 * time.Millisecond) // dozens of pings and at least one reload retry
	if n := count("store unreachable"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, h.logs)
	}
	if n := count("reload snapshot failed") + count("recording token last use failed"); n != 0 {
		t.Errorf("the outage was also logged by reloads or flushes (%d lines), want only the one line:\n%s", n, h.logs)
	}

	h.store.setPingErr(nil)
	h.store.setSnapErr(nil)
	jfntest.Eventually(t, 2*time.Second, "the recovery logged", func() bool { return count("store reachable again") > 0 })
	jfntest.Eventually(t, 2*time.Second, "a token created during the outage accepted after it", func() bool {
		resp, _ := h.do(http.MethodPost, "/balance/", tokenHeader(fresh), nil)
		return resp.StatusCode == 200
	})
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("GET /readyz after the outage = %d %s, want 200", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "\njfn_store_up 1\n") {
		t.Errorf("/metrics after the outage has no jfn_store_up 1")
	}
	time.Sleep(100 * time.Millisecond)
	if n, m := count("store unreachable"), count("store reachable again"); n != 1 || m != 1 {
		t.Errorf("logged the outage %d and the recovery %d times, want once each:\n%s", n, m, h.logs)
	}
}
