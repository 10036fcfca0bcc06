package gateway

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/rs/zerolog"
)

// TestLogWriter: info lines are held back and go out within the flush interval, a warning
// goes out at once with the lines before it, lines stay whole, and Close writes what is left.
func TestLogWriter(t *testing.T) {
	var out jfntest.SyncBuffer
	lw := NewLogWriter(&out)
	log := zerolog.New(lw)

	log.Info().Str("n", "1").Msg("first")
	if got := out.String(); got != "" {
		t.Errorf("an info line was written at once (%q); want it buffered", got)
	}
	jfntest.Eventually(t, time.Second, "the info line flushed", func() bool { return strings.Contains(out.String(), `"n":"1"`) })

	log.Info().Msg("second")
	log.Warn().Msg("third")
	if got := out.String(); !strings.Contains(got, `"second"`) || !strings.Contains(got, `"third"`) {
		t.Errorf("after a warning the output is %q; want the warning and the line before it", got)
	}

	log.Info().Msg("last")
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatalf("a second Close = %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.Contains(lines[3], `"last"`) {
		t.Fatalf("after Close the output has lines %q; want 4, the last one written last", lines)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
			t.Errorf("line %q is not a whole JSON object", l)
		}
	}
}

// failOnce fails its first write, then works.
type failOnce struct {
	jfntest.SyncBuffer
	failed bool
}

func (f *failOnce) Write(p []byte) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, errors.New("disk full")
	}
	return f.SyncBuffer.Write(p)
}

// TestLogWriterRecovers: after one failed write (a full disk, later freed) lines are logged
// again; after Close, lines go out at once.
func TestLogWriterRecovers(t *testing.T) {
	out := &failOnce{}
	lw := NewLogWriter(out)
	log := zerolog.New(lw)
	log.Warn().Msg("lost") // the failed write
	log.Warn().Msg("kept")
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("after close")
	got := out.String()
	if !strings.Contains(got, `"kept"`) || !strings.Contains(got, `"after close"`) {
		t.Errorf("log after a failed write = %q, want the later lines", got)
	}
}
