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

// The console shows a function's URL as the CLI prints it (urlFlags.functionURL): with a
// domain and no public URL, https://NAME.DOMAIN, not the gateway's own http scheme.
func TestConsoleFunctionURL(t *testing.T) {
	for _, tt := range []struct {
		public, domain, want string
	}{
		{"", "fn.example.com", "https://shop.fn.example.com"},
		{"http://gw.example.com", "fn.example.com", "http://shop.fn.example.com"},
		{"https://gw.example.com/", "", "https://gw.example.com/shop"},
		{"", "", "http://127.0.0.1:8080/shop"},
	} {
		b := &consoleBackend{publicURL: tt.public, gatewayURL: "http://127.0.0.1:8080", domain: tt.domain}
		if got := b.FunctionURL("shop"); got != tt.want {
			t.Errorf("public URL %q, domain %q: FunctionURL = %q, want %q", tt.public, tt.domain, got, tt.want)
		}
	}
}
