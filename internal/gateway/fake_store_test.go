package gateway

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/store"
)

// fakeStore is an in-memory store.Store for unit tests. It counts TouchTokens calls and can
// be made to fail Ping and Snapshot.
type fakeStore struct {
	mu       sync.Mutex
	fns      map[string]store.Function
	tokens   map[string]store.Token // by id
	touches  []map[string]time.Time
	pingErr  error
	snapErr  error
	watchers map[chan struct{}]bool
	nextID   int
}

var _ store.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{
		fns:      map[string]store.Function{},
		tokens:   map[string]store.Token{},
		watchers: map[chan struct{}]bool{},
	}
}

func (s *fakeStore) notify() {
	for ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *fakeStore) PutFunction(_ context.Context, f store.Function) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, existed := s.fns[f.Name]
	now := time.Now().UTC()
	if !existed {
		f.CreatedAt = now
	} else {
		f.CreatedAt = s.fns[f.Name].CreatedAt
	}
	f.UpdatedAt = now
	s.fns[f.Name] = f
	s.notify()
	return !existed, nil
}

func (s *fakeStore) PatchFunction(_ context.Context, name string, p store.FunctionPatch, create bool) (store.Function, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, existed := s.fns[name]
	if !existed && !create {
		return store.Function{}, false, store.ErrNotFound
	}
	now := time.Now().UTC()
	if !existed {
		f = store.Function{Name: name, Timeout: store.DefaultTimeout, MCP: true, CreatedAt: now}
	}
	p.Apply(&f)
	f.UpdatedAt = now
	s.fns[name] = f
	s.notify()
	return f, !existed, nil
}

func (s *fakeStore) TouchFunction(_ context.Context, name string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.fns[name]
	if !ok {
		return store.ErrNotFound
	}
	f.UpdatedAt = f.UpdatedAt.Add(time.Millisecond)
	if at.After(f.UpdatedAt) {
		f.UpdatedAt = at.UTC()
	}
	s.fns[name] = f
	s.notify()
	return nil
}

func (s *fakeStore) GetFunction(_ context.Context, name string) (store.Function, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.fns[name]
	if !ok {
		return store.Function{}, store.ErrNotFound
	}
	return f, nil
}

func (s *fakeStore) ListFunctions(context.Context) ([]store.Function, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Function
	for _, f := range s.fns {
		out = append(out, f)
	}
	return out, nil
}

func (s *fakeStore) DeleteFunction(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.fns[name]; !ok {
		return store.ErrNotFound
	}
	delete(s.fns, name)
	for id, t := range s.tokens {
		if t.Function == name {
			delete(s.tokens, id)
		}
	}
	s.notify()
	return nil
}

func (s *fakeStore) CreateToken(_ context.Context, t store.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.fns[t.Function]; !ok {
		return store.ErrNotFound
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now().UTC()
	}
	s.tokens[t.ID] = t
	s.notify()
	return nil
}

func (s *fakeStore) ListTokens(_ context.Context, function string) ([]store.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Token
	for _, t := range s.tokens {
		if t.Function == function && t.RevokedAt.IsZero() {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *fakeStore) RevokeToken(_ context.Context, function, id string) (store.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok || t.Function != function || !t.RevokedAt.IsZero() {
		return store.Token{}, store.ErrNotFound
	}
	t.RevokedAt = time.Now().UTC()
	s.tokens[id] = t
	s.notify()
	return t, nil
}

func (s *fakeStore) TouchTokens(_ context.Context, used map[string]time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := make(map[string]time.Time, len(used))
	for id, at := range used {
		cp[id] = at
		if t, ok := s.tokens[id]; ok {
			t.LastUsedAt = at
			s.tokens[id] = t
		}
	}
	s.touches = append(s.touches, cp)
	return nil
}

func (s *fakeStore) touchCalls() []map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]time.Time(nil), s.touches...)
}

func (s *fakeStore) Snapshot(context.Context) (store.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snapErr != nil {
		return store.Snapshot{}, s.snapErr
	}
	var snap store.Snapshot
	for _, f := range s.fns {
		snap.Functions = append(snap.Functions, f)
	}
	for _, t := range s.tokens {
		if t.RevokedAt.IsZero() {
			snap.Tokens = append(snap.Tokens, t)
		}
	}
	return snap, nil
}

func (s *fakeStore) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.watchers[ch] = true
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		delete(s.watchers, ch)
		close(ch)
		s.mu.Unlock()
	}()
	return ch
}

func (s *fakeStore) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pingErr
}

func (s *fakeStore) setPingErr(err error) {
	s.mu.Lock()
	s.pingErr = err
	s.mu.Unlock()
}

func (s *fakeStore) Close() error { return nil }

// addToken mints a token for function and stores it, returning the secret and its id.
func (s *fakeStore) addToken(t *testing.T, function string, expires time.Time) (secret, id string) {
	t.Helper()
	secret, err := auth.New()
	if err != nil {
		t.Fatalf("auth.New() = %v", err)
	}
	s.mu.Lock()
	s.nextID++
	id = "tok" + string(rune('A'+s.nextID%26)) + time.Now().Format("150405.000000000")
	s.mu.Unlock()
	err = s.CreateToken(context.Background(), store.Token{
		ID: id, Function: function, Name: "default",
		Hash: auth.Hash(secret), Prefix: auth.DisplayPrefix(secret), ExpiresAt: expires,
	})
	if err != nil {
		t.Fatalf("CreateToken(%q) = %v", function, err)
	}
	return secret, id
}

var errDown = errors.New("database is down")
