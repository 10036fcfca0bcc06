package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// pgPollInterval is how often the feed, between notifications, reads change_generation
	// on its connection. NOTIFY normally delivers a change in milliseconds; this read is the
	// safety net that keeps the one-second contract if a notification were ever lost, and
	// doubles as a liveness probe of the listening connection (a half-open TCP connection
	// never reports an error to a reader that only waits). It costs one indexed single-row
	// read per second per replica.
	pgPollInterval = time.Second
	// pgFeedQueryTimeout bounds LISTEN and each generation read; past it the connection is
	// taken for dead and replaced.
	pgFeedQueryTimeout = 2 * time.Second
	// pgReadyWait is how long the first Watch waits for the feed to start listening, so that
	// a change committed right after Watch returns is not missed. Past it (the database is
	// down) Watch returns anyway, and the feed signals once it does listen.
	pgReadyWait = 2 * time.Second
	// Reconnection backoff of the feed, doubling from min to max. An attempt a second while
	// the database is down costs nothing much, and the feed is back soon after it is.
	pgMinBackoff = 100 * time.Millisecond
	pgMaxBackoff = time.Second
)

// Watch returns a channel that receives a value after any change to functions or tokens
// committed through any store on the same database and schema (this one included), within
// about a second and usually within milliseconds. Signals are coalesced (buffer 1, never
// blocking the feed). TouchTokens does not signal. The channel closes when ctx ends or the
// store is closed.
//
// All of a store's Watch channels share one feed: a dedicated connection that LISTENs on
// the jfn_changes channel, which triggers notify at commit. The feed starts with the first
// Watch and runs until Close. Between notifications it reads the change_generation counter
// every pgPollInterval and signals when it moved, so a lost notification is caught within
// that interval. When the connection fails, the feed reconnects with backoff (100 ms
// doubling to 1 s) and signals once it listens again, since a change may have been
// committed while nobody was listening: a consumer that reloads on every signal is then
// up to date.
func (s *Postgres) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		close(ch)
		return ch
	}
	s.watchers[ch] = struct{}{}
	if !s.feeding {
		s.feeding = true
		fctx, cancel := context.WithCancel(context.Background())
		s.stopFeed, s.feedDone = cancel, make(chan struct{})
		go s.feed(fctx, s.feedDone)
	}
	s.mu.Unlock()

	go func() {
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		s.mu.Lock()
		delete(s.watchers, ch)
		close(ch) // under mu: broadcast never sends on a closed channel
		s.mu.Unlock()
	}()

	timer := time.NewTimer(pgReadyWait)
	defer timer.Stop()
	select {
	case <-s.ready:
	case <-ctx.Done():
	case <-s.done:
	case <-timer.C:
		// No baseline: make the feed signal when it first listens. If it did so in the
		// meantime, it may have checked late before we set it, so signal here instead.
		s.late.Store(true)
		select {
		case <-s.ready:
			s.signal(ch)
		default:
		}
	}
	return ch
}

// feed keeps a listening connection and turns what it hears into signals until ctx ends.
func (s *Postgres) feed(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	listened := false
	delay := pgMinBackoff
	for {
		conn, gen, err := s.dialFeed(ctx)
		if err != nil {
			timer := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			delay = min(2*delay, pgMaxBackoff)
			continue
		}
		delay = pgMinBackoff
		if !listened {
			listened = true
			close(s.ready)
			if s.late.Load() {
				s.broadcast()
			}
		} else {
			s.broadcast() // changes committed while we were not listening went unheard
		}
		s.follow(ctx, conn, gen)
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
	}
}

// dialFeed opens the feed's connection, LISTENs, and reads the generation it starts from.
// Reading after LISTEN leaves no gap: a change committed after the read is notified.
func (s *Postgres) dialFeed(ctx context.Context) (*pgx.Conn, int64, error) {
	conn, err := pgx.ConnectConfig(ctx, s.listen)
	if err != nil {
		return nil, 0, err
	}
	qctx, cancel := context.WithTimeout(ctx, pgFeedQueryTimeout)
	defer cancel()
	if _, err := conn.Exec(qctx, `LISTEN `+pgChangeChannel); err != nil {
		conn.Close(context.WithoutCancel(qctx))
		return nil, 0, err
	}
	gen, err := s.generation(qctx, conn)
	if err != nil {
		conn.Close(context.WithoutCancel(qctx))
		return nil, 0, err
	}
	return conn, gen, nil
}

// follow waits for notifications on conn and reads the generation after each one and every
// pgPollInterval, signalling on a notification for our schema or a moved generation. It
// returns when ctx ends or conn fails.
func (s *Postgres) follow(ctx context.Context, conn *pgx.Conn, last int64) {
	for {
		wctx, cancel := context.WithTimeout(ctx, pgPollInterval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		notified := false
		switch {
		case err == nil:
			notified = n.Channel == pgChangeChannel && n.Payload == s.schema
		case pgconn.Timeout(err):
			// The poll tick: the connection is still usable after a wait timeout.
		default:
			return // the connection is gone
		}
		qctx, cancel := context.WithTimeout(ctx, pgFeedQueryTimeout)
		g, err := s.generation(qctx, conn)
		cancel()
		if err != nil {
			return
		}
		if notified || g != last {
			last = g
			s.broadcast()
		}
	}
}

// generation returns the current change counter.
func (s *Postgres) generation(ctx context.Context, q pgQuerier) (int64, error) {
	var g int64
	if err := q.QueryRow(ctx, `SELECT value FROM change_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, err
	}
	return g, nil
}

// broadcast signals every Watch channel without blocking: one pending signal is enough,
// since the consumer reloads everything anyway.
func (s *Postgres) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// signal signals one Watch channel if it is still open.
func (s *Postgres) signal(ch chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.watchers[ch]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
