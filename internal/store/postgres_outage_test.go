package store_test

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

// TestPostgresOutage cuts the network between a store and the server (a proxy that the test
// stops and restarts): Ping reports ErrUnreachable, a change committed meanwhile through
// another handle is signalled once the link is back, and the store works again without
// being reopened.
func TestPostgresOutage(t *testing.T) {
	dsn := pgDatabase(t)
	direct := openPostgres(t, dsn)
	putFunctionPG(t, direct, "probe")

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newTCPProxy(t, u.Host)
	u.Host = p.addr
	s := openPostgres(t, u.String())
	ctx := t.Context()
	ch := s.Watch(ctx)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() through the proxy error = %v", err)
	}

	p.stop()
	start := time.Now()
	err = s.Ping(ctx)
	if !errors.Is(err, store.ErrUnreachable) {
		t.Fatalf("Ping() with the link cut error = %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Ping() with the link cut took %v, want a few seconds at most", d)
	}
	if _, err := s.Snapshot(ctx); !errors.Is(err, store.ErrUnreachable) {
		t.Errorf("Snapshot() with the link cut error = %v, want ErrUnreachable", err)
	}
	tok := createTokenPG(t, direct, newTokenPG("probe", "during-outage"))
	drain(ch)

	p.start()
	waitWithin(t, ch, 5*time.Second, "Watch after the link came back")
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot() after the link came back error = %v", err)
	}
	if ids := tokenIDsPG(snap.Tokens); len(ids) != 1 || ids[0] != tok.ID {
		t.Errorf("Snapshot() token ids after the outage = %v, want [%s]", ids, tok.ID)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping() after the link came back error = %v", err)
	}
}

// TestPostgresWatchStartsDuringOutage calls Watch for the first time while the database
// cannot be reached: Watch returns anyway, and once the link is back the feed signals, since
// it has no baseline to compare with (a change committed meanwhile must not go unseen).
func TestPostgresWatchStartsDuringOutage(t *testing.T) {
	dsn := pgDatabase(t)
	direct := openPostgres(t, dsn)
	putFunctionPG(t, direct, "probe")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newTCPProxy(t, u.Host)
	u.Host = p.addr
	s := openPostgres(t, u.String())

	p.stop()
	start := time.Now()
	ch := s.Watch(t.Context())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Watch with the database unreachable took %v to return, want a few seconds at most", d)
	}
	createTokenPG(t, direct, newTokenPG("probe", "during-outage"))
	drain(ch)
	p.start()
	waitWithin(t, ch, 5*time.Second, "Watch (started during the outage) after the link came back")
}

// tcpProxy forwards a loopback port to target until stopped; stop closes the listener and
// every forwarded connection, as a network cut would, and start listens on the same port
// again.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start() {
	var ln net.Listener
	var err error
	for range 50 { // the port was just released; retry briefly if it lingers
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			if !p.track(c, up) {
				return
			}
			p.wg.Add(2)
			go p.pipe(c, up)
			go p.pipe(up, c)
		}
	}()
}

// track records a forwarded pair, or closes it when the proxy was stopped meanwhile.
func (p *tcpProxy) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		up.Close()
		return false
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	return true
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}
