package gateway

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// cronRecorder is a Cron that records what the gateway tells it.
type cronRecorder struct {
	mu    sync.Mutex
	calls []string
}

func (c *cronRecorder) Sync(fn store.Function, spec *openapi.Spec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := "sync " + fn.Name + " nil"
	if spec != nil {
		s = "sync " + fn.Name + " " + spec.Title()
	}
	c.calls = append(c.calls, s)
}

func (c *cronRecorder) Remove(function string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "remove "+function)
}

func (c *cronRecorder) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.calls) == 0 {
		return ""
	}
	return c.calls[len(c.calls)-1]
}

// TestCronHook checks that the scheduler hears of a function's document when it loads and
// when it changes, and of its deletion.
func TestCronHook(t *testing.T) {
	h := newHarness(t)
	up := newUpstream(t, defineDoc, nil)
	h.deploy("balance", up, nil)
	rec := &cronRecorder{}
	h.start(func(o *Options) { o.Cron = rec })
	jfntest.Eventually(t, 2*time.Second, "Sync with the loaded document", func() bool { return rec.last() == "sync balance balance" })

	up.setDoc(strings.Replace(defineDoc, `"title":"balance"`, `"title":"balance v2"`, 1))
	f, _ := h.store.GetFunction(context.Background(), "balance")
	if _, err := h.store.PutFunction(context.Background(), f); err != nil { // a refresh: the document is fetched again
		t.Fatal(err)
	}
	jfntest.Eventually(t, 2*time.Second, "Sync with the changed document", func() bool { return rec.last() == "sync balance balance v2" })

	if err := h.store.DeleteFunction(context.Background(), "balance"); err != nil {
		t.Fatal(err)
	}
	jfntest.Eventually(t, 2*time.Second, "Remove after delete", func() bool { return rec.last() == "remove balance" })
}
