package main

import (
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/store"
)

// TestSessionLive drives the expiry rules storeSessions.Get applies to every request: the
// TTL since the last use, and the unused window for a session with no request after its
// initialize, with this server's unflushed use counting as one.
func TestSessionLive(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const ttl, unused = 24 * time.Hour, 10 * time.Minute
	session := func(created, lastSeen time.Duration) store.Session {
		return store.Session{CreatedAt: now.Add(-created), LastSeenAt: now.Add(-lastSeen)}
	}
	tests := []struct {
		name    string
		sess    store.Session
		pending time.Time
		want    bool
	}{
		{"unused, within the window", session(9*time.Minute, 9*time.Minute), time.Time{}, true},
		{"unused, at the window's end", session(unused, unused), time.Time{}, true},
		{"unused, past the window", session(11*time.Minute, 11*time.Minute), time.Time{}, false},
		{"used in the store, past the window", session(time.Hour, 59*time.Minute), time.Time{}, true},
		{"used here, not yet flushed", session(11*time.Minute, 11*time.Minute), now.Add(-10 * time.Minute), true},
		{"used, idle past the TTL", session(48*time.Hour, 25*time.Hour), time.Time{}, false},
		{"idle past the TTL in the store, used here since", session(48*time.Hour, 25*time.Hour), now.Add(-time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := live(tt.sess, tt.pending, now, ttl, unused); got != tt.want {
				t.Errorf("live(created %v, last seen %v, pending %v) = %v, want %v",
					tt.sess.CreatedAt, tt.sess.LastSeenAt, tt.pending, got, tt.want)
			}
		})
	}
}
