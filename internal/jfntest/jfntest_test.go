package jfntest

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSyncBufferConcurrentWrites(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprint(&b, "x")
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 800) {
		t.Errorf("String() after 800 one-byte writes = %d bytes, want 800 x", len(got))
	}
}

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(time.Second, func() bool { n++; return n == 3 }) || n != 3 {
		t.Errorf("Poll(cond true on the third call) = false or %d calls, want true after 3", n)
	}
	n = 0
	if Poll(30*time.Millisecond, func() bool { n++; return false }) || n == 0 {
		t.Errorf("Poll(cond never true) = true or %d calls, want false after calling it", n)
	}
}

// fatalTB records Fatalf and ends its goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fails runs f on a fatalTB and returns what it failed with ("" if nothing).
func fails(f func(t testing.TB)) string {
	tb := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(tb)
	}()
	<-done
	return tb.msg
}

// eventually runs Eventually on a fatalTB and returns what it failed with ("" if nothing).
func eventually(timeout time.Duration, what string, cond func() bool) string {
	return fails(func(t testing.TB) { Eventually(t, timeout, what, cond) })
}

func TestEventually(t *testing.T) {
	if msg := eventually(time.Second, "ready", func() bool { return true }); msg != "" {
		t.Errorf("Eventually(cond true) failed with %q, want no failure", msg)
	}
	msg := eventually(20*time.Millisecond, "the server to be ready", func() bool { return false })
	if !strings.Contains(msg, "the server to be ready") {
		t.Errorf("Eventually(cond never true) failed with %q, want a failure naming what it waited for", msg)
	}
}

func TestUpstreamRecordsEveryRequest(t *testing.T) {
	var handled []string
	var mu sync.Mutex
	up := NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		handled = append(handled, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusTeapot)
	}))
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"}
	for i, m := range methods {
		req, err := http.NewRequest(m, fmt.Sprintf("%s/p/%d?q=%d", up.URL, i, i), strings.NewReader("body "+m))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Test", m)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTeapot {
			t.Errorf("%s: status %d, want the handler's 418", m, resp.StatusCode)
		}
	}
	got := up.Requests()
	if len(got) != len(methods) {
		t.Fatalf("Requests() = %d requests, want %d", len(got), len(methods))
	}
	for i, m := range methods {
		r := got[i]
		path, query := fmt.Sprintf("/p/%d", i), fmt.Sprintf("q=%d", i)
		if r.Method != m || r.Path != path || r.RawQuery != query || r.RequestURI != path+"?"+query ||
			r.Header.Get("X-Test") != m || string(r.Body) != "body "+m || r.Host != strings.TrimPrefix(up.URL, "http://") {
			t.Errorf("request %d = %+v, want %s %s?%s with its header, host and body", i, r, m, path, query)
		}
		if handled[i] != "body "+m {
			t.Errorf("the handler read body %q for %s, want the body as sent", handled[i], m)
		}
	}
	if last := up.LastCall(t); last.Method != "PROPFIND" {
		t.Errorf("LastCall() = %s, want PROPFIND", last.Method)
	}
}

func TestUpstreamCallsLeaveOutTheDocument(t *testing.T) {
	up := NewUpstream(t, nil)
	if msg := fails(func(tb testing.TB) { up.LastCall(tb) }); msg == "" {
		t.Error("LastCall() with no request received did not fail the test")
	}
	for _, p := range []string{"/x", DocumentPath, "/y", DocumentPath} {
		resp, err := http.Get(up.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with a nil handler = %d, want 200", p, resp.StatusCode)
		}
	}
	if n := len(up.Requests()); n != 4 {
		t.Errorf("Requests() = %d requests, want 4", n)
	}
	calls := up.Calls()
	if len(calls) != 2 || calls[0].Path != "/x" || calls[1].Path != "/y" {
		t.Errorf("Calls() = %+v, want /x and /y", calls)
	}
	if last := up.LastCall(t); last.Path != "/y" {
		t.Errorf("LastCall().Path = %q, want /y", last.Path)
	}
	r := calls[0].HTTPRequest()
	if r.Method != "GET" || r.RequestURI != "/x" || r.Header.Get("User-Agent") == "" {
		t.Errorf("HTTPRequest() = %s %s %v, want GET /x with the headers received", r.Method, r.RequestURI, r.Header)
	}
}
