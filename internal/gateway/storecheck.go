package gateway

import (
	"context"
	"time"
)

// DefaultStoreCheck is how often Run pings the store. The change feed says nothing while the
// database is away (it only signals once it listens again), so without this check an outage
// would go unnoticed until the next reload, up to a minute later. One ping every two seconds
// is a single-row read per replica.
const DefaultStoreCheck = 2 * time.Second

// NoteStore records the outcome of a store call that tells whether the store answers (a
// ping or a snapshot), and logs when that changes: once when the store becomes unreachable,
// once when it answers again. Everything that meets the outage in between (reloads, flushes,
// readiness checks) reports it through here, so that an outage is one line, not one a
// second. When the store comes back, Run is woken to reload at once rather than wait for
// the change feed to reconnect.
func (g *Gateway) NoteStore(err error) {
	if err == nil {
		if g.storeDown.CompareAndSwap(true, false) {
			g.log.Info().Msg("store reachable again")
			select {
			case g.storeBack <- struct{}{}:
			default:
			}
		}
		return
	}
	if g.storeDown.CompareAndSwap(false, true) {
		g.log.Error().Err(err).Msg("store unreachable: known tokens are served from memory, unknown ones are refused, changes wait until it answers")
	}
}

// checkStore pings the store every g.storeCheck until ctx ends.
func (g *Gateway) checkStore(ctx context.Context) {
	t := time.NewTicker(g.storeCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := g.store.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		g.NoteStore(err)
	}
}
