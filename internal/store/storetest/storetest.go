// Package storetest is the behavioural test suite every store.Store implementation must
// pass. An implementation's own test calls Run with a function that opens a fresh, empty
// store:
//
//	func TestSQLite(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "jfn.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite pins down the contract callers rely on: which calls return store.ErrNotFound,
// that times come back in UTC truncated to the millisecond, that Watch reports every
// change to functions and tokens within one second but not last-used updates, and that
// MCP sessions (store.Sessions, which every implementation also satisfies) never wake it,
// that every function has a signing secret that store.Secrets rotates, and that
// store.CronRuns claims each fire time once and fails the runs a stopped server left running.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

// ChangeDeadline is how long a change may take to reach a Watch channel: the product's
// "within one second" contract for token changes.
const ChangeDeadline = time.Second

// Run runs the whole suite. open must return a new, empty store for each call and arrange
// for it to be closed when the test ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"PutFunctionCreates", testPutFunctionCreates},
		{"PutFunctionUpdates", testPutFunctionUpdates},
		{"PatchFunction", testPatchFunction},
		{"PatchFunctionConcurrently", testPatchFunctionConcurrently},
		{"GetFunctionUnknown", testGetFunctionUnknown},
		{"TouchFunction", testTouchFunction},
		{"ListFunctions", testListFunctions},
		{"DeleteFunction", testDeleteFunction},
		{"DeleteFunctionCascades", testDeleteFunctionCascades},
		{"CreateTokenRoundTrip", testCreateTokenRoundTrip},
		{"CreateTokenDefaultsCreatedAt", testCreateTokenDefaultsCreatedAt},
		{"CreateTokenUnknownFunction", testCreateTokenUnknownFunction},
		{"CreateTokenDuplicates", testCreateTokenDuplicates},
		{"ListTokens", testListTokens},
		{"ListTokensUnknownFunction", testListTokensUnknownFunction},
		{"RevokeToken", testRevokeToken},
		{"RevokeTokenNotFound", testRevokeTokenNotFound},
		{"TouchTokens", testTouchTokens},
		{"Snapshot", testSnapshot},
		{"ConcurrentWrites", testConcurrentWrites},
		{"WatchReportsChanges", testWatchReportsChanges},
		{"WatchIgnoresTouchTokens", testWatchIgnoresTouchTokens},
		{"WatchEachCaller", testWatchEachCaller},
		{"WatchClosesOnCancel", testWatchClosesOnCancel},
		{"SessionRoundTrip", testSessionRoundTrip},
		{"SessionDefaults", testSessionDefaults},
		{"CreateSessionErrors", testCreateSessionErrors},
		{"DeleteSession", testDeleteSession},
		{"DeleteFunctionDeletesSessions", testDeleteFunctionDeletesSessions},
		{"TouchSessions", testTouchSessions},
		{"DeleteIdleSessions", testDeleteIdleSessions},
		{"WatchIgnoresSessions", testWatchIgnoresSessions},
		{"SessionsCappedPerToken", testSessionsCappedPerToken},
		{"SessionEvictionLeastRecentlyUsed", testSessionEvictionLeastRecentlyUsed},
		{"SessionsCappedConcurrently", testSessionsCappedConcurrently},
		{"TouchMarksSessionUsed", testTouchMarksSessionUsed},
		{"DeleteUnusedSessions", testDeleteUnusedSessions},
		{"SigningSecretCreated", testSigningSecretCreated},
		{"RotateSecret", testRotateSecret},
		{"RotateSecretTwiceWithinGrace", testRotateSecretTwiceWithinGrace},
		{"RotateSecretConcurrently", testRotateSecretConcurrently},
		{"ClaimCronRun", testClaimCronRun},
		{"CronRunLog", testCronRunLog},
		{"CronRunsPruned", testCronRunsPruned},
		{"FailStaleCronRuns", testFailStaleCronRuns},
		{"WatchIgnoresCronRuns", testWatchIgnoresCronRuns},
		{"ConsoleLogins", testConsoleLogins},
		{"WatchIgnoresConsoleLogins", testWatchIgnoresConsoleLogins},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping() error = %v", err)
	}
}

// --- helpers ---

// newHash returns a random token hash, as auth would derive from a fresh secret.
func newHash() [sha256.Size]byte {
	var secret [32]byte
	rand.Read(secret[:])
	return sha256.Sum256(secret[:])
}

// newToken returns a token for function with a random id and hash, created at a fixed,
// millisecond-aligned time so it compares equal after a round trip.
func newToken(function, name string) store.Token {
	var id [8]byte
	rand.Read(id[:])
	return store.Token{
		ID:        "tok_" + hex.EncodeToString(id[:]),
		Function:  function,
		Name:      name,
		Hash:      newHash(),
		Prefix:    "jfn_rt_" + hex.EncodeToString(id[:2]) + "..",
		CreatedAt: time.Now().Truncate(time.Millisecond).UTC(),
	}
}

func putFunction(t *testing.T, s store.Store, name string) {
	t.Helper()
	f := store.Function{Name: name, Upstream: "http://127.0.0.1:9001", MCP: true}
	if _, err := s.PutFunction(t.Context(), f); err != nil {
		t.Fatalf("PutFunction(%q) error = %v", name, err)
	}
}

func createToken(t *testing.T, s store.Store, tok store.Token) store.Token {
	t.Helper()
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateToken(%q for %q) error = %v", tok.ID, tok.Function, err)
	}
	return tok
}

func tokensByID(t *testing.T, s store.Store, function string) map[string]store.Token {
	t.Helper()
	ts, err := s.ListTokens(t.Context(), function)
	if err != nil {
		t.Fatalf("ListTokens(%q) error = %v", function, err)
	}
	m := make(map[string]store.Token, len(ts))
	for _, tok := range ts {
		m[tok.ID] = tok
	}
	return m
}

// watch starts a Watch that ends with the test.
func watch(t *testing.T, s store.Store) <-chan struct{} {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return s.Watch(ctx)
}

// drain discards a pending signal, so the next wait sees only what follows.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// waitSignal waits up to d for a signal on ch.
func waitSignal(ch <-chan struct{}, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case _, ok := <-ch:
		if !ok {
			return errors.New("channel closed while its context is live")
		}
		return nil
	case <-timer.C:
		return fmt.Errorf("no signal within %v", d)
	}
}

// checkNow fails unless got is a non-zero UTC time between before (truncated to the
// millisecond) and a minute from now; the slack allows a database server's clock.
func checkNow(t *testing.T, what string, got, before time.Time) {
	t.Helper()
	lo := before.Add(-time.Minute).Truncate(time.Millisecond)
	hi := time.Now().Add(time.Minute)
	if got.IsZero() || got.Before(lo) || got.After(hi) {
		t.Errorf("%s = %v, want about now (%v)", what, got, before)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
}

// diffFunction compares the settings of two functions, not their timestamps.
func diffFunction(got, want store.Function) string {
	var d string
	add := func(field string, g, w any) {
		if g != w {
			d += fmt.Sprintf("%s = %v, want %v; ", field, g, w)
		}
	}
	add("Name", got.Name, want.Name)
	add("Upstream", got.Upstream, want.Upstream)
	add("OpenAPIURL", got.OpenAPIURL, want.OpenAPIURL)
	add("Public", got.Public, want.Public)
	add("Timeout", got.Timeout, want.Timeout)
	add("MCP", got.MCP, want.MCP)
	add("CORSOrigins", strings.Join(got.CORSOrigins, ","), strings.Join(want.CORSOrigins, ","))
	add("MCPMode", got.MCPMode, want.MCPMode)
	add("MCPToolsets", strings.Join(got.MCPToolsets, ","), strings.Join(want.MCPToolsets, ","))
	return d
}

// diffToken compares every field of two tokens; times with Equal.
func diffToken(got, want store.Token) string {
	var d string
	add := func(field string, g, w any) {
		if g != w {
			d += fmt.Sprintf("%s = %v, want %v; ", field, g, w)
		}
	}
	addTime := func(field string, g, w time.Time) {
		if !g.Equal(w) {
			d += fmt.Sprintf("%s = %v, want %v; ", field, g, w)
		}
	}
	add("ID", got.ID, want.ID)
	add("Function", got.Function, want.Function)
	add("Name", got.Name, want.Name)
	add("Hash", hex.EncodeToString(got.Hash[:]), hex.EncodeToString(want.Hash[:]))
	add("Prefix", got.Prefix, want.Prefix)
	addTime("CreatedAt", got.CreatedAt, want.CreatedAt)
	addTime("LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	addTime("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	addTime("RevokedAt", got.RevokedAt, want.RevokedAt)
	return d
}

func functionNames(fs []store.Function) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names
}

func tokenIDs(ts []store.Token) []string {
	ids := make([]string, len(ts))
	for i, tok := range ts {
		ids[i] = tok.ID
	}
	return ids
}
