// Package jfntest holds the fixtures that the tests of several packages share, so that each
// lives in one place. Only tests import it.
//
// A test that runs a server on a goroutine gives it a SyncBuffer to log to, waits for what
// it expects with Eventually, and points it at an Upstream that records what it receives:
//
//	func TestProxy(t *testing.T) {
//		up := jfntest.NewUpstream(t, nil) // 200 to everything; closed when the test ends
//		logs := &jfntest.SyncBuffer{}
//		srv := start(t, up.URL, logs)
//		call(t, srv, "POST", "/fn/x", `{"a":1}`)
//		got := up.LastCall(t)
//		if got.Method != "POST" || string(got.Body) != `{"a":1}` {
//			t.Errorf("upstream saw %s %s, want POST {\"a\":1}", got.Method, got.Body)
//		}
//		jfntest.Eventually(t, time.Second, "the access log line", func() bool {
//			return strings.Contains(logs.String(), `"status":200`)
//		})
//	}
package jfntest
