package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
)

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"balance", "shop"}, {"balance", "--bogus"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("run(%q) = %d (stderr %q), want 2 and an error", args, code, stderr.String())
		}
	}
}

func TestRunServes(t *testing.T) {
	t.Setenv("JFN_SIGNING_SECRET", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &jfntest.SyncBuffer{}, &jfntest.SyncBuffer{}
	done := make(chan int, 1)
	// The flag comes after the name, as in the README.
	go func() { done <- run(ctx, []string{"shop", "--listen", "127.0.0.1:0"}, stdout, stderr) }()
	addr := regexp.MustCompile(`on (http://\S+) `)
	if !jfntest.Poll(5*time.Second, func() bool { return addr.FindStringSubmatch(stdout.String()) != nil }) {
		t.Fatalf("example shop printed %q, want its address", stdout.String())
	}
	url := addr.FindStringSubmatch(stdout.String())[1]
	resp, err := http.Get(url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /openapi.json = %d %s, want 200 JSON", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("run = %d after cancel, want 0 (stderr %q)", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

// TestRunVerifiesSignatures: with JFN_SIGNING_SECRET set, an unsigned call is refused and a
// signed one passes; the document stays open.
func TestRunVerifiesSignatures(t *testing.T) {
	const secret = "jfn_ss_example"
	t.Setenv("JFN_SIGNING_SECRET", secret)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &jfntest.SyncBuffer{}, &jfntest.SyncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"balance", "--listen", "127.0.0.1:0"}, stdout, stderr) }()
	addr := regexp.MustCompile(`on (http://\S+) `)
	if !jfntest.Poll(5*time.Second, func() bool { return addr.FindStringSubmatch(stdout.String()) != nil }) {
		t.Fatalf("example balance printed %q, want its address", stdout.String())
	}
	if !strings.Contains(stdout.String(), "X-Jelou-Signature") {
		t.Errorf("example balance printed %q, want a line saying it verifies signatures", stdout.String())
	}
	url := addr.FindStringSubmatch(stdout.String())[1]
	body := `{"phone":"+593987654321"}`
	post := func(sig string) int {
		req, _ := http.NewRequest("POST", url+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", "req-1")
		if sig != "" {
			req.Header.Set(auth.SignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Errorf("unsigned POST / = %d, want 401", code)
	}
	m := auth.Message{Method: "POST", Target: "/", RequestID: "req-1", Body: []byte(body)}
	if code := post(auth.Sign(time.Now(), m, secret)); code != http.StatusOK {
		t.Errorf("signed POST / = %d, want 200", code)
	}
	if resp, err := http.Get(url + "/openapi.json"); err != nil || resp.StatusCode != 200 {
		t.Errorf("unsigned GET /openapi.json = %v %v, want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	cancel()
	<-done
}
