package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
)

func TestIndexReloadOnWatch(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	h.deploy("balance", up, nil)
	h.start(nil)

	status := func(tok string) int {
		resp, _ := h.do(http.MethodGet, "/balance/x", tokenHeader(tok), nil)
		return resp.StatusCode
	}
	// A token created while the server runs works within a second.
	tok, id := h.store.addToken(t, "balance", time.Time{})
	created := time.Now()
	jfntest.Eventually(t, time.Second, "new token accepted", func() bool { return status(tok) == 200 })
	t.Logf("token accepted %s after creation", time.Since(created))

	// A revoked one is refused within a second; another token of the function still works.
	other, _ := h.store.addToken(t, "balance", time.Time{})
	jfntest.Eventually(t, time.Second, "second token accepted", func() bool { return status(other) == 200 })
	if _, err := h.store.RevokeToken(context.Background(), "balance", id); err != nil {
		t.Fatal(err)
	}
	jfntest.Eventually(t, time.Second, "revoked token refused", func() bool { return status(tok) == 401 })
	if got := status(other); got != 200 {
		t.Errorf("the other token after a revocation = %d, want 200", got)
	}

	// A function deployed while the server runs is routed within a second; a deleted one is gone.
	up2 := newUpstream(t, defineDoc, nil)
	tok2 := h.deploy("late", up2, nil)
	jfntest.Eventually(t, time.Second, "late function routed", func() bool {
		resp, _ := h.do(http.MethodGet, "/late/x", tokenHeader(tok2), nil)
		return resp.StatusCode == 200
	})
	if err := h.store.DeleteFunction(context.Background(), "late"); err != nil {
		t.Fatal(err)
	}
	jfntest.Eventually(t, time.Second, "deleted function gone", func() bool {
		resp, _ := h.do(http.MethodGet, "/late/x", tokenHeader(tok2), nil)
		return resp.StatusCode == 404
	})
}

func TestRedeployKeepsOrRebuilds(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	h.deploy("fn", up, nil)
	h.start(nil)
	first := h.gw.idx.Load().functions["fn"]

	// A token change keeps the function's proxy and document.
	h.store.addToken(t, "fn", time.Time{})
	jfntest.Eventually(t, time.Second, "token reload", func() bool { return len(h.gw.idx.Load().tokens) == 2 })
	if h.gw.idx.Load().functions["fn"] != first {
		t.Errorf("a token change rebuilt the function")
	}

	// A settings change rebuilds it and re-fetches the document.
	hits := len(up.docRequests())
	if _, err := h.store.PutFunction(context.Background(), store.Function{Name: "fn", Upstream: up.URL, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	jfntest.Eventually(t, time.Second, "redeploy applied", func() bool { return h.gw.idx.Load().functions["fn"].timeout == time.Second })
	jfntest.Eventually(t, 2*time.Second, "document re-fetched", func() bool { return len(up.docRequests()) > hits })
}

func TestLastUsedFlushedInBatches(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	h.flushEvery = time.Hour // only the final flush writes
	tok := h.deploy("balance", up, nil)
	tok2, id2 := h.store.addToken(t, "balance", time.Time{})
	h.start(nil)
	id := h.gw.idx.Load().tokens[hashOf(tok)].info.ID

	for i := 0; i < 50; i++ {
		if resp, _ := h.do(http.MethodGet, "/balance/x", tokenHeader(tok), nil); resp.StatusCode != 200 {
			t.Fatalf("request %d = %d, want 200", i, resp.StatusCode)
		}
	}
	h.do(http.MethodGet, "/balance/x", tokenHeader(tok2), nil)
	if calls := h.store.touchCalls(); len(calls) != 0 {
		t.Fatalf("TouchTokens called %d times while serving, want 0 before a flush", len(calls))
	}
	h.stop()
	calls := h.store.touchCalls()
	if len(calls) != 1 {
		t.Fatalf("TouchTokens called %d times by the final flush, want 1: %v", len(calls), calls)
	}
	for _, tid := range []string{id, id2} {
		at, ok := calls[0][tid]
		if !ok || time.Since(at) > 10*time.Second || at.After(time.Now()) {
			t.Errorf("final flush wrote %s = %v (%v), want about now", tid, at, ok)
		}
	}
}

func TestLastUsedFlushedPeriodically(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	tok := h.deploy("balance", up, nil)
	h.start(nil)
	id := h.gw.idx.Load().tokens[hashOf(tok)].info.ID

	h.do(http.MethodGet, "/balance/x", tokenHeader(tok), nil)
	jfntest.Eventually(t, 2*time.Second, "last use flushed", func() bool {
		calls := h.store.touchCalls()
		return len(calls) == 1 && !calls[0][id].IsZero()
	})
	// Nothing new, nothing written.
	time.Sleep(200 * time.Millisecond)
	if n := len(h.store.touchCalls()); n != 1 {
		t.Errorf("TouchTokens called %d times, want 1 (no new uses)", n)
	}
	// The store's new last-used time comes back in the next snapshot without a second write.
	h.store.addToken(t, "balance", time.Time{})
	time.Sleep(200 * time.Millisecond)
	if n := len(h.store.touchCalls()); n != 1 {
		t.Errorf("TouchTokens called %d times after a reload, want 1", n)
	}
}

func TestLogNeverContainsToken(t *testing.T) {
	up := newUpstream(t, defineDoc, nil)
	h := newHarness(t)
	tok := h.deploy("balance", up, nil)
	h.start(nil)

	h.do(http.MethodGet, "/balance/x?token="+tok+"&q=secret-value", tokenHeader(tok), nil)
	h.do(http.MethodGet, "/balance/x?X-Jelou-Token="+tok, nil, nil)
	h.do(http.MethodGet, "/balance/"+tok+"/x", nil, nil)
	h.do(http.MethodGet, "/balance/x", http.Header{"Authorization": {"Bearer " + tok}}, nil)
	h.do(http.MethodGet, "/nope/x?token="+tok, tokenHeader(tok), nil)
	h.do(http.MethodGet, "/balance/__health?token="+tok, nil, nil)
	jfntest.Eventually(t, 2*time.Second, "six access lines", func() bool {
		return strings.Count(h.logs.String(), `"message":"request"`) >= 6
	})
	logs := h.logs.String()
	for _, secret := range []string{tok, tok[7:], "secret-value", "q="} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	for _, key := range []string{`"function":"balance"`, `"route":"proxy"`, `"method":"GET"`, `"path":"/balance/x"`,
		`"status":200`, `"duration_ms":`, `"request_id":`, `"token_id":`, `"bytes":2`, `"route":"not_found"`, `"route":"health"`} {
		if !strings.Contains(logs, key) {
			t.Errorf("log lacks %s:\n%s", key, logs)
		}
	}
}

func TestRedactPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/a/b", "/a/b"},
		{"/a/jfn_rt_abcDEF123/b", "/a/[redacted]/b"},
		{"/jfn_rt_x-jfn_rt_y", "/[redacted]-[redacted]"},
	}
	for _, tt := range tests {
		if got := redactPath(tt.in); got != tt.want {
			t.Errorf("redactPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
