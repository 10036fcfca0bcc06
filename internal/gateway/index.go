package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
)

// index is an immutable view of the store that the hot path reads without a lock. apply
// builds a new one and swaps it in atomically.
type index struct {
	functions map[string]*function
	tokens    map[[sha256.Size]byte]tokenEntry
}

// function is a deployed function as the gateway serves it. A new value is built whenever
// the function's settings change; otherwise it is carried over from one index to the next.
type function struct {
	fn      store.Function
	timeout time.Duration
	proxy   *httputil.ReverseProxy // nil when the upstream URL is unusable
	badURL  error                  // why proxy is nil
	// basePath: the upstream URL has a path other than "/", so dot segments are refused.
	basePath bool
	cors     corsPolicy // fn.CORSOrigins, normalised
	spec     *specEntry
	mcp      atomic.Pointer[mcpHandler] // nil when MCP is off or not plugged in
	metrics  *fnMetrics                 // the function's series, shared by its redeploys
}

// tokenEntry is an active token and the slot where its last use is recorded.
type tokenEntry struct {
	info auth.Info
	used *usage
}

// usage holds a token's last use (Unix nanoseconds). It survives index rebuilds so that no
// recorded use is lost between two flushes.
type usage struct {
	last    atomic.Int64
	flushed atomic.Int64 // the value last written to the store
}

// lookupToken is the auth.Lookup over the current index.
func (g *Gateway) lookupToken(hash [sha256.Size]byte) (auth.Info, bool) {
	e, ok := g.idx.Load().tokens[hash]
	return e.info, ok
}

// recordUse notes that the token with hash was used at now. Uses within a second of the last
// recorded one are skipped, so that busy tokens do not make every request write shared memory.
func recordUse(idx *index, hash [sha256.Size]byte, now time.Time) {
	e, ok := idx.tokens[hash]
	if !ok {
		return
	}
	n := now.UnixNano()
	if n-e.used.last.Load() >= int64(time.Second) {
		e.used.last.Store(n)
	}
}

// apply builds the index for snap and swaps it in. Functions whose settings did not change
// keep their proxy, document and MCP handler.
func (g *Gateway) apply(snap store.Snapshot) {
	g.mu.Lock()
	old := g.idx.Load()
	next := &index{
		functions: make(map[string]*function, len(snap.Functions)),
		tokens:    make(map[[sha256.Size]byte]tokenEntry, len(snap.Tokens)),
	}
	var retired []MCPHandler
	changed := false
	for _, f := range snap.Functions {
		prev := old.functions[f.Name]
		if prev != nil && sameFunction(prev.fn, f) {
			next.functions[f.Name] = prev
			continue
		}
		fn := g.newFunction(f)
		if h := g.setupMCP(fn, prev); h != nil {
			retired = append(retired, h)
		}
		g.syncCron(fn)
		next.functions[f.Name] = fn
		changed = true
	}
	for name, prev := range old.functions {
		if _, ok := next.functions[name]; ok {
			continue
		}
		if g.cron != nil {
			g.cron.Remove(name)
		}
		if p := prev.mcp.Load(); p != nil {
			retired = append(retired, p.h)
		}
	}
	for name, fm := range g.fnm {
		if _, ok := next.functions[name]; !ok {
			g.metrics.forget(fm)
			delete(g.fnm, name)
		}
	}
	for name, e := range g.specs {
		if _, ok := next.functions[name]; !ok {
			e.retire()
			delete(g.specs, name)
		}
	}

	seen := make(map[string]bool, len(snap.Tokens))
	for _, t := range snap.Tokens {
		if !t.RevokedAt.IsZero() {
			continue
		}
		u := g.usage[t.ID]
		if u == nil {
			u = &usage{}
			if !t.LastUsedAt.IsZero() {
				u.last.Store(t.LastUsedAt.UnixNano())
				u.flushed.Store(t.LastUsedAt.UnixNano())
			}
			g.usage[t.ID] = u
		}
		seen[t.ID] = true
		next.tokens[t.Hash] = tokenEntry{
			info: auth.Info{ID: t.ID, Function: t.Function, Hash: t.Hash, ExpiresAt: t.ExpiresAt},
			used: u,
		}
	}
	// Forget tokens that are gone once their last use has been written.
	for id, u := range g.usage {
		if !seen[id] && u.last.Load() == u.flushed.Load() {
			delete(g.usage, id)
		}
	}
	var ended []auth.Info
	for hash, e := range old.tokens {
		if _, ok := next.tokens[hash]; !ok {
			ended = append(ended, e.info)
		}
	}
	g.idx.Store(next)
	g.reloadedAt.Store(time.Now().UnixNano())
	g.mu.Unlock()

	endSessions(next, ended)
	closeHandlers(retired)
	if changed {
		g.wakeSpecs()
	}
}

// newFunction builds the serving state of f. It is called with g.mu held.
func (g *Gateway) newFunction(f store.Function) *function {
	fn := &function{fn: f, timeout: f.EffectiveTimeout(), cors: newCORSPolicy(f.CORSOrigins)}
	if fn.metrics = g.fnm[f.Name]; fn.metrics == nil {
		fn.metrics = g.metrics.forFunction(f.Name)
		g.fnm[f.Name] = fn.metrics
	}
	target, err := parseUpstream(f.Upstream)
	if err != nil {
		fn.badURL = err
		g.log.Error().Str("function", f.Name).Err(err).Msg("unusable upstream URL")
	} else {
		fn.proxy = g.newProxy(f.Name, target)
		fn.basePath = strings.Trim(target.Path, "/") != ""
	}

	docURL := f.DocumentURL()
	e := g.specs[f.Name]
	if e == nil || e.url != docURL {
		if e != nil {
			e.retire()
		}
		e = newSpecEntry(f.Name, docURL)
		g.specs[f.Name] = e
	} else {
		// A redeploy re-fetches the document even when its URL did not change.
		e.next = time.Time{}
		e.again = e.inFlight
	}
	fn.spec = e
	return fn
}

func parseUpstream(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &url.Error{Op: "parse", URL: raw, Err: errBadUpstream}
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// sameFunction reports whether a and b have the same settings. Times are compared with
// Equal because two snapshots may carry different locations for the same instant.
func sameFunction(a, b store.Function) bool {
	return a.Name == b.Name && a.Upstream == b.Upstream && a.OpenAPIURL == b.OpenAPIURL &&
		a.Public == b.Public && a.Timeout == b.Timeout && a.MCP == b.MCP &&
		slices.Equal(a.CORSOrigins, b.CORSOrigins) &&
		a.MCPMode == b.MCPMode && slices.Equal(a.MCPToolsets, b.MCPToolsets) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.SigningSecret == b.SigningSecret &&
		slices.EqualFunc(a.PreviousSecrets, b.PreviousSecrets, func(x, y store.PreviousSecret) bool {
			return x.Secret == y.Secret && x.ExpiresAt.Equal(y.ExpiresAt)
		})
}

// flush writes the last-use times recorded since the previous flush in one TouchTokens call.
// On failure the times stay pending and go out with the next flush.
func (g *Gateway) flush(ctx context.Context) {
	g.mu.Lock()
	batch := make(map[string]time.Time)
	sent := make(map[string]int64)
	for id, u := range g.usage {
		if last := u.last.Load(); last != u.flushed.Load() && last != 0 {
			batch[id] = time.Unix(0, last).UTC()
			sent[id] = last
		}
	}
	g.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := g.store.TouchTokens(ctx, batch); err != nil {
		if errors.Is(err, store.ErrUnreachable) {
			g.NoteStore(err) // the outage is logged once; the times go out when it ends
		} else {
			g.log.Warn().Err(err).Int("tokens", len(batch)).Msg("recording token last use failed; will retry")
		}
		return
	}
	g.mu.Lock()
	for id, last := range sent {
		if u := g.usage[id]; u != nil {
			u.flushed.Store(last)
		}
	}
	g.mu.Unlock()
}
