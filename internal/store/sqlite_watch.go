package store

import (
	"context"
	"fmt"
	"time"
)

// watchInterval is how often Watch polls the change generation. It keeps change propagation
// well inside the one-second product contract; each poll is one indexed single-row read that
// WAL mode serves without blocking writers.
const watchInterval = 200 * time.Millisecond

// Watch returns a channel that receives a value after any change to functions or tokens
// committed by any connection or process sharing the file, within about watchInterval.
// Signals are coalesced (buffer 1, never blocking the poller). TouchTokens does not signal.
// The channel closes when ctx ends or the store is closed.
//
// Change detection reads change_generation, a counter that triggers bump in the same
// transaction as the change. Unlike PRAGMA data_version it sees commits made through any
// connection, this process's own included, and it ignores last-used flushes.
func (s *SQLite) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	// Read the starting point before returning, so that a change committed right after Watch
	// returns is never mistaken for the baseline. If the read fails, the first successful
	// poll signals: a spurious reload is cheap, a missed one is not.
	last, err := s.generation(ctx)
	if err != nil {
		last = -1
	}
	go func() {
		defer close(ch)
		tick := time.NewTicker(watchInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.done:
				return
			case <-tick.C:
			}
			g, err := s.generation(ctx)
			if err != nil || g == last {
				continue // a failed poll is retried on the next tick
			}
			last = g
			select {
			case ch <- struct{}{}:
			default: // a signal is already pending; the consumer reloads everything anyway
			}
		}
	}()
	return ch
}

// generation returns the current change counter.
func (s *SQLite) generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM change_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("read change generation: %w", classify(err))
	}
	return g, nil
}
