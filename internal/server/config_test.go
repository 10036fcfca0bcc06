package server

import (
	"testing"
	"time"
)

func TestConfigCheck(t *testing.T) {
	ok := Config{Listen: "127.0.0.1:8080", AdminListen: "127.0.0.1:9090", ShutdownTimeout: time.Second}
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" for no error
	}{
		{"valid", func(*Config) {}, ""},
		{"both on port 0", func(c *Config) { c.Listen, c.AdminListen = "127.0.0.1:0", "127.0.0.1:0" }, ""},
		{"domain and public URL", func(c *Config) { c.Domain, c.PublicURL = "fn.example.com", "https://gw.example.com" }, ""},
		{"in-flight cap at the body limit", func(c *Config) { c.MaxBodyBytes, c.MaxInflight = 10, 10 },
			"--max-inflight-bytes 10 must be more than --max-body-bytes 10, or one request at the limit could never be served"},
		{"body limit over the default in-flight cap", func(c *Config) { c.MaxBodyBytes = 300 << 20 },
			"--max-inflight-bytes 268435456 must be more than --max-body-bytes 314572800, or one request at the limit could never be served"},
		{"listen not host:port", func(c *Config) { c.Listen = "nope" }, `invalid --listen "nope": want host:port such as 127.0.0.1:8080`},
		{"admin port too large", func(c *Config) { c.AdminListen = "127.0.0.1:65536" }, `invalid port in --admin-listen "127.0.0.1:65536"`},
		{"admin on the public port", func(c *Config) { c.Listen, c.AdminListen = ":9090", "127.0.0.1:9090" },
			"--admin-listen 127.0.0.1:9090 is the public address; give the admin endpoints their own port"},
		{"domain", func(c *Config) { c.Domain = "https://x" }, `invalid --domain "https://x": want a DNS name such as fn.example.com`},
		{"public URL", func(c *Config) { c.PublicURL = "gw.example.com" }, `invalid --public-url: "gw.example.com" is not an absolute http:// or https:// URL`},
		{"shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, "--shutdown-timeout must be positive"},
		{"signature compat", func(c *Config) { c.SignatureCompat = "V1" },
			`invalid --signature-compat "V1": the only value is v1 (or leave it unset for v2 signatures only)`},
		{"first problem first", func(c *Config) { c.Listen, c.Domain = "nope", "https://x" }, `invalid --listen "nope": want host:port such as 127.0.0.1:8080`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			got := ""
			if err := c.Check(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Check() = %q, want %q", got, tt.want)
			}
		})
	}
}
