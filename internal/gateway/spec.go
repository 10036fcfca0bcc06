package gateway

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jfnhq/jfn/openapi"
)

// Package openapi's document model and fetch rules, as the gateway names them. apiSpec is a
// loaded document; loadAPISpec and publishAPISpec are variables so that a test can count or
// replace them.
type apiSpec = openapi.Spec

var (
	loadAPISpec    = openapi.Load
	publishAPISpec = openapi.Publish
)

const maxDocumentSize = openapi.MaxDocumentSize

var (
	documentRedirects    = openapi.CheckRedirect
	errTooManyRedirects  = openapi.ErrTooManyRedirects
	errCrossHostRedirect = openapi.ErrCrossHostRedirect
)

// Bounds of the refresh interval a document's Cache-Control may ask for, and of the retry
// backoff after a failed fetch.
const (
	minSpecInterval  = 5 * time.Second
	maxSpecInterval  = time.Hour
	firstSpecBackoff = 5 * time.Second
	maxSpecFetches   = 4 // documents fetched at once
	maxPublished     = 16
)

// specEntry is the document cache of one function. The hot path only reads state; Run's
// scheduler fetches and replaces it.
type specEntry struct {
	name  string
	url   string
	state atomic.Pointer[specState]
	ready chan struct{} // closed after the first fetch attempt
	once  sync.Once

	// Scheduling, guarded by Gateway.mu.
	next     time.Time
	inFlight bool
	again    bool // fetch again as soon as the fetch in flight ends
	failures int
	retired  bool
}

// specState is an immutable result of fetching a document: the last good document, if any,
// and how the latest attempt went.
type specState struct {
	doc       *apiSpec // nil until a document loads
	raw       storedDocument
	health    []byte    // body of a 200 /__health for doc
	fetchedAt time.Time // when doc was last confirmed current
	triedAt   time.Time // when the latest fetch ended
	etag      string
	err       error  // the latest attempt's failure; nil when it succeeded
	reason    string // a client-safe sentence about err
	pub       *publishCache
}

// publishCache memoises openapi.Publish per server URL: /openapi.json never renders the same
// document twice. It holds at most maxPublished absolute server URLs, plus the relative ones
// (two at most per public flag), so that however many Host values callers send, a document
// is rendered a bounded number of times.
type publishCache struct {
	mu       sync.Mutex
	m        map[publishKey][]byte
	absolute int // entries in m whose server is an absolute URL
}

type publishKey struct {
	server string
	public bool
}

func newSpecEntry(name, url string) *specEntry {
	return &specEntry{name: name, url: url, ready: make(chan struct{})}
}

func (e *specEntry) current() *specState { return e.state.Load() }
func (e *specEntry) markReady()          { e.once.Do(func() { close(e.ready) }) }

// retire detaches e from its function; a fetch in flight for it is then discarded. Called
// with Gateway.mu held.
func (e *specEntry) retire() { e.retired = true }

// waitSpec returns e's state, first waiting (within g.specWait and ctx) for the first fetch
// attempt when it has not completed yet. This only happens just after a function appears.
func (g *Gateway) waitSpec(ctx context.Context, e *specEntry) *specState {
	select {
	case <-e.ready:
		return e.current()
	default:
	}
	t := time.NewTimer(g.specWait)
	defer t.Stop()
	select {
	case <-e.ready:
	case <-t.C:
	case <-ctx.Done():
	}
	return e.current()
}

// wakeSpecs asks Run to look for documents due for a fetch.
func (g *Gateway) wakeSpecs() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// scheduleSpecs starts a fetch for every document that is due.
func (g *Gateway) scheduleSpecs(ctx context.Context, wg *sync.WaitGroup) {
	if ctx.Err() != nil {
		return
	}
	now := time.Now()
	var due []*specEntry
	g.mu.Lock()
	for _, e := range g.specs {
		if !e.inFlight && !now.Before(e.next) {
			e.inFlight = true
			due = append(due, e)
		}
	}
	g.mu.Unlock()
	for _, e := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case g.fetchSem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-g.fetchSem }()
			g.refreshSpec(ctx, e)
		}()
	}
}

// fetchResult is the outcome of one GET of a document.
type fetchResult struct {
	body        []byte
	etag        string
	maxAge      time.Duration
	notModified bool
	err         error
	reason      string
}

// refreshSpec fetches e's document once, stores the outcome and schedules the next fetch.
func (g *Gateway) refreshSpec(ctx context.Context, e *specEntry) {
	prev := e.current()
	res := g.fetchDocument(ctx, e.url, prev)
	if ctx.Err() != nil {
		g.mu.Lock()
		e.inFlight = false
		g.mu.Unlock()
		return
	}
	now := time.Now()
	next, changed := buildState(prev, res, now)

	g.mu.Lock()
	e.inFlight = false
	if e.retired {
		g.mu.Unlock()
		return
	}
	fm := g.fnm[e.name]
	if fm != nil {
		switch {
		case res.err != nil || next.err != nil:
			fm.refresh[refreshError].Inc()
		case res.notModified:
			fm.refresh[refreshNotModified].Inc()
		default:
			fm.refresh[refreshOK].Inc()
		}
		if changed {
			fm.setTools(next.doc)
		}
	}
	e.state.Store(next)
	if next.err != nil {
		e.failures++
		backoff := firstSpecBackoff << min(e.failures-1, 10)
		e.next = now.Add(min(backoff, g.specRefresh))
	} else {
		e.failures = 0
		interval := g.specRefresh
		if res.maxAge > 0 {
			interval = min(max(res.maxAge, minSpecInterval), maxSpecInterval)
		}
		e.next = now.Add(interval)
	}
	if e.again {
		e.again, e.next = false, time.Time{}
	}
	var retired MCPHandler
	if changed {
		if fn := g.idx.Load().functions[e.name]; fn != nil && fn.spec == e {
			retired = g.updateMCPSpec(fn, next)
			g.syncCron(fn)
		}
	}
	g.mu.Unlock()
	e.markReady()
	if retired != nil {
		closeHandlers([]MCPHandler{retired})
	}

	switch {
	case next.err != nil:
		g.log.Warn().Str("function", e.name).Str("url", openapi.RedactURL(e.url)).Err(next.err).
			Bool("kept_last_good", next.doc != nil).Msg("openapi document unavailable")
	case changed:
		tools := 0
		if next.doc != nil {
			tools = len(next.doc.Tools())
		}
		g.log.Info().Str("function", e.name).Int("tools", tools).Msg("openapi document loaded")
	case prev != nil && prev.err != nil:
		g.log.Info().Str("function", e.name).Msg("openapi document available again")
	}
}

// buildState combines the previous state with a fetch result. changed reports a new document.
func buildState(prev *specState, res fetchResult, now time.Time) (next *specState, changed bool) {
	next, changed = buildNext(prev, res, now)
	next.triedAt = now
	return next, changed
}

func buildNext(prev *specState, res fetchResult, now time.Time) (next *specState, changed bool) {
	keep := func(err error, reason string) *specState {
		s := &specState{err: err, reason: reason}
		if prev != nil {
			s.doc, s.raw, s.health, s.fetchedAt, s.etag, s.pub = prev.doc, prev.raw, prev.health, prev.fetchedAt, prev.etag, prev.pub
		}
		return s
	}
	switch {
	case res.err != nil:
		return keep(res.err, res.reason), false
	case res.notModified:
		s := keep(nil, "")
		s.fetchedAt = now
		return s, false
	}
	if prev != nil && prev.doc != nil && prev.raw.same(res.body) {
		s := keep(nil, "")
		s.fetchedAt, s.etag = now, res.etag
		return s, false
	}
	doc, err := loadAPISpec(res.body)
	if err != nil {
		return keep(fmt.Errorf("load document: %w", err), "The function's OpenAPI document is invalid: "+sentence(err.Error())), false
	}
	health, err := healthBody(doc)
	if err != nil {
		return keep(fmt.Errorf("render health: %w", err), "The function's OpenAPI document could not be read."), false
	}
	return &specState{
		doc:       doc,
		raw:       storeDocument(res.body),
		health:    health,
		fetchedAt: now,
		etag:      res.etag,
		pub:       &publishCache{m: make(map[publishKey][]byte)},
	}, true
}

// fetchDocument GETs a document with openapi.Fetch, asking If-None-Match when the
// previous fetch returned an ETag, and says in the function's words what went wrong.
func (g *Gateway) fetchDocument(ctx context.Context, url string, prev *specState) fetchResult {
	const unreachable = "The function's OpenAPI document could not be fetched: the upstream could not be reached."
	var etag string
	if prev != nil && prev.doc != nil {
		etag = prev.etag
	}
	f, err := openapi.Fetch(ctx, g.client, url, etag)
	res := fetchResult{etag: f.ETag, maxAge: maxAge(f.CacheControl), notModified: f.NotModified, body: f.Body}
	if err == nil {
		return res
	}
	res.err, res.reason = fmt.Errorf("fetch document: %w", openapi.RedactError(err)), unreachable
	var status *openapi.StatusError
	var uerr *neturl.Error
	switch {
	case errors.As(err, &status):
		res.err = fmt.Errorf("fetch document: upstream answered %s", status.Status)
		res.reason = fmt.Sprintf("The function's OpenAPI document could not be fetched: the upstream answered HTTP %d.", status.Code)
	case errors.Is(err, openapi.ErrDocumentTooLarge):
		res.err = fmt.Errorf("fetch document: larger than %d bytes", int64(maxDocumentSize))
		res.reason = fmt.Sprintf("The function's OpenAPI document is larger than %s.", sizeText(int64(maxDocumentSize)))
	case errors.Is(err, errTooManyRedirects):
		res.reason = "The function's OpenAPI document could not be fetched: it redirected more than 3 times."
	case errors.Is(err, errCrossHostRedirect):
		res.reason = "The function's OpenAPI document could not be fetched: it redirected to another host, and documents are fetched from their own host only."
	case errors.As(err, &uerr) && uerr.Op == "parse":
		res.reason = "The function's OpenAPI document URL is invalid."
	}
	return res
}

// maxAge reads max-age from a Cache-Control value; 0 when absent or when caching is refused.
func maxAge(cc string) time.Duration {
	var age time.Duration
	for _, part := range strings.Split(cc, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		switch {
		case part == "no-cache" || part == "no-store":
			return 0
		case strings.HasPrefix(part, "max-age="):
			n, err := strconv.Atoi(strings.Trim(part[len("max-age="):], `"`))
			if err == nil && n > 0 {
				age = time.Duration(n) * time.Second
			}
		}
	}
	return age
}

// published returns the document as /openapi.json serves it for server and the function's
// public flag, rendering it once per key. Once the cache holds maxPublished absolute server
// URLs, a new one is served with relative (which is always cached) instead: still a correct
// document, and never a new render.
func (s *specState) published(server, relative string, public bool) ([]byte, error) {
	key := publishKey{server, public}
	s.pub.mu.Lock()
	body, ok := s.pub.m[key]
	if !ok && server != relative && s.pub.absolute >= maxPublished {
		key = publishKey{relative, public}
		body, ok = s.pub.m[key]
	}
	s.pub.mu.Unlock()
	if ok {
		return body, nil
	}
	raw, err := s.raw.bytes()
	if err != nil {
		return nil, err
	}
	body, err = publishAPISpec(raw, key.server, public)
	if err != nil {
		return nil, err
	}
	s.pub.mu.Lock()
	switch _, dup := s.pub.m[key]; {
	case dup:
	case key.server == relative:
		s.pub.m[key] = body
	case s.pub.absolute < maxPublished: // else a race past the check above: serve, keep nothing
		s.pub.absolute++
		s.pub.m[key] = body
	}
	s.pub.mu.Unlock()
	return body, nil
}

// sentence makes an error text end like a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

var errBadUpstream = errors.New("the upstream must be an absolute http or https URL")

// storedDocument is a fetched document as a function keeps it: gzip-compressed (a JSON
// document shrinks to a tenth or less), with its SHA-256 to tell an unchanged refresh. It
// is read back only to render /openapi.json, whose results are cached.
type storedDocument struct {
	gz  []byte
	sum [32]byte
}

func storeDocument(body []byte) storedDocument {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level never fails
	_, _ = zw.Write(body)                              // writes to a bytes.Buffer never fail
	_ = zw.Close()
	return storedDocument{gz: bytes.Clone(buf.Bytes()), sum: sha256.Sum256(body)}
}

// same reports whether body is the stored document.
func (d storedDocument) same(body []byte) bool { return d.sum == sha256.Sum256(body) }

// bytes returns the document.
func (d storedDocument) bytes() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(d.gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, int64(maxDocumentSize)+1))
}
