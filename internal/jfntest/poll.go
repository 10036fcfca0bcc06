package jfntest

import (
	"testing"
	"time"
)

// PollInterval is how long Poll and Eventually wait between two calls of the condition.
const PollInterval = 10 * time.Millisecond

// Poll calls cond every PollInterval until it returns true or timeout passes, and reports
// whether it did. cond runs at least once, and once more after the deadline if it was
// sleeping then. Use it where the test goes on after a miss or says more than Eventually
// can (values that cond saw); otherwise use Eventually.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(PollInterval)
	}
	return true
}

// Eventually polls cond like Poll and fails the test at once, naming what it waited for,
// unless cond holds within timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("%s: not so after %v", what, timeout)
	}
}
