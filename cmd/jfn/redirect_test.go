package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/jfntest"
)

// TestDocumentFetchRedirectsStayOnHost: an OpenAPI document fetch follows at most 3
// redirects, and only to the document URL's own scheme, host and port; otherwise the fetch
// fails with a reason that /__health and 'jfn functions info' show.
func TestDocumentFetchRedirectsStayOnHost(t *testing.T) {
	const doc = `{"openapi":"3.1.0","info":{"title":"r","version":"1"},
	"paths":{"/x":{"get":{"operationId":"x","responses":{"200":{"description":"ok"}}}}}}`
	var otherHits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		_, _ = io.WriteString(w, doc)
	}))
	t.Cleanup(other.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("/openapi.json", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, doc) })
	for from, to := range map[string]string{"/r1": "/openapi.json", "/r2": "/r1", "/r3": "/r2", "/r4": "/r3", "/away": other.URL + "/openapi.json"} {
		mux.HandleFunc(from, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) })
	}
	up := httptest.NewServer(mux)
	t.Cleanup(up.Close)

	s := startServer(t)
	for name, path := range map[string]string{"three": "/r3", "four": "/r4", "away": "/away"} {
		deployed(t, s.db, name, up.URL, "--openapi", up.URL+path)
	}
	s.waitFunctions(t, "three", "four", "away")
	s.waitHealthy(t, "three")

	for name, want := range map[string]string{
		"four": "redirected more than 3 times",
		"away": "redirected to another host",
	} {
		var code int
		var body string
		jfntest.Poll(5*time.Second, func() bool {
			code, _, body = call(t, "GET", s.URL()+"/"+name+"/__health", nil, "")
			return code != http.StatusServiceUnavailable || strings.Contains(body, "redirected")
		})
		if code != http.StatusServiceUnavailable || !strings.Contains(body, want) {
			t.Errorf("GET /%s/__health = %d %s, want 503 saying %q", name, code, body, want)
		}

		r := cli(t, s.db, "functions", "info", name, "--json")
		var info struct {
			Spec struct {
				Status string  `json:"status"`
				Error  *string `json:"error"`
			} `json:"spec"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
			t.Fatalf("jfn functions info %s --json = %q: %v", name, r.stdout, err)
		}
		if info.Spec.Status != "error" || info.Spec.Error == nil || !strings.Contains(*info.Spec.Error, want) {
			t.Errorf("jfn functions info %s: spec = %+v (error %v), want status error saying %q", name, info.Spec, deref(info.Spec.Error), want)
		}
	}
	if r := mustCLI(t, s.db, "functions", "info", "three", "--json"); !strings.Contains(r.stdout, `"status": "ok"`) {
		t.Errorf("jfn functions info three (3 redirects) = %s, want spec status ok", r.stdout)
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other host served the document %d times, want 0", n)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
