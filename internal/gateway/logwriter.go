package gateway

import (
	"bufio"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// logFlushEvery is how long an access-log line may wait in LogWriter's buffer.
const logFlushEvery = 100 * time.Millisecond

// LogWriter buffers the log lines a server writes, so that the access log costs no write
// system call per request: a request proxied by the gateway otherwise pays three (the answer,
// the upstream request and its log line) where a bare proxy pays two. Lines go out when the
// buffer fills, at most logFlushEvery after they were written, and at once for a warning or
// anything more severe. Each zerolog event is one Write, so lines never interleave.
//
// Close flushes what is left; a process that dies without Close loses at most
// logFlushEvery of info lines, as nginx's buffered access log does.
type LogWriter struct {
	mu     sync.Mutex
	w      io.Writer
	buf    *bufio.Writer
	closed bool // after Close, lines go straight to w
	stop   chan struct{}
	done   chan struct{}
}

var _ zerolog.LevelWriter = (*LogWriter)(nil)

// NewLogWriter returns a LogWriter over w and starts its flusher.
func NewLogWriter(w io.Writer) *LogWriter {
	l := &LogWriter{w: w, buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *LogWriter) run() {
	defer close(l.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			_ = l.Flush()
		}
	}
}

// Write buffers one log line.
func (l *LogWriter) Write(p []byte) (int, error) {
	return l.WriteLevel(zerolog.NoLevel, p)
}

// WriteLevel buffers an info or debug line, and writes a warning or worse at once, with
// whatever was buffered before it. After Close every line is written at once.
func (l *LogWriter) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.w.Write(p)
	}
	n, err := l.buf.Write(p)
	if err == nil && level >= zerolog.WarnLevel && level != zerolog.NoLevel {
		err = l.buf.Flush()
	}
	l.recover(err)
	return n, err
}

// Flush writes out the buffered lines.
func (l *LogWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.buf.Flush()
	l.recover(err)
	return err
}

// recover starts a fresh buffer after a failed write (l.mu held): bufio keeps its first
// error for good, which would silence the log until a restart after one full disk. The
// lines the failed write held are lost.
func (l *LogWriter) recover(err error) {
	if err != nil {
		l.buf.Reset(l.w)
	}
}

// Close stops the flusher and writes out what is left; lines written after it go out at
// once. It is safe to call more than once.
func (l *LogWriter) Close() error {
	l.mu.Lock()
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.mu.Unlock()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.buf.Flush()
	l.recover(err)
	l.closed = true
	return err
}
