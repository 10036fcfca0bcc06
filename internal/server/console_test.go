package server

import "testing"

// TestConsoleRefusal: without an admin token the console is served on a loopback admin
// listener only.
func TestConsoleRefusal(t *testing.T) {
	for _, tt := range []struct {
		addr, token string
		off         bool
	}{
		{"127.0.0.1:9090", "", false},
		{"[::1]:9090", "", false},
		{"localhost:9090", "", false},
		{"0.0.0.0:9090", "", true},
		{":9090", "", true},
		{"10.1.2.3:9090", "", true},
		{"0.0.0.0:9090", "t", false},
	} {
		if got := consoleRefusal(tt.addr, tt.token) != ""; got != tt.off {
			t.Errorf("consoleRefusal(%q, %q) off = %v, want %v", tt.addr, tt.token, got, tt.off)
		}
	}
}
