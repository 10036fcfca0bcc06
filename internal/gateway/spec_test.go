package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFetchDocumentConditional checks that a refresh sends If-None-Match and that a 304
// keeps the document without re-parsing it.
func TestFetchDocumentConditional(t *testing.T) {
	var conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Cache-Control", "max-age=600")
		_, _ = w.Write([]byte(defineDoc))
	}))
	defer srv.Close()
	g := &Gateway{client: srv.Client()}

	res := g.fetchDocument(context.Background(), srv.URL, nil)
	if res.err != nil || res.etag != `"v1"` || res.maxAge != 10*time.Minute {
		t.Fatalf("first fetch = err %v etag %q max-age %s, want nil \"v1\" 10m", res.err, res.etag, res.maxAge)
	}
	first, changed := buildState(nil, res, time.Now())
	if first.doc == nil || !changed {
		t.Fatalf("buildState(first) = doc %v changed %v, want a new document", first.doc, changed)
	}
	res = g.fetchDocument(context.Background(), srv.URL, first)
	if !res.notModified || conditional.Load() != 1 {
		t.Fatalf("second fetch: notModified %v, conditional requests %d; want true, 1", res.notModified, conditional.Load())
	}
	second, changed := buildState(first, res, time.Now())
	if second.doc != first.doc || changed || second.err != nil {
		t.Errorf("buildState(304) replaced the document (changed %v, err %v), want it kept", changed, second.err)
	}
}

func TestFetchDocumentTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"openapi":"3.1.0","x":"`))
		_, _ = w.Write([]byte(strings.Repeat("a", int(maxDocumentSize))))
		_, _ = w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	g := &Gateway{client: srv.Client()}
	res := g.fetchDocument(context.Background(), srv.URL, nil)
	if res.err == nil || !strings.Contains(res.reason, "is larger than") {
		t.Errorf("fetch of an oversized document = %v %q, want a size error", res.err, res.reason)
	}
}
