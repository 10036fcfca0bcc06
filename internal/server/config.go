package server

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/service"
)

// Config is the configuration of a Server, as `jfn serve` reads it from its flags; Check
// says what is wrong with one. Zero durations and limits below take their defaults.
type Config struct {
	DB              string
	Listen          string
	AdminListen     string
	AdminToken      string // "" serves the console on a loopback admin listener only
	Domain          string
	PublicURL       string // "" means http://<listen address>
	AllowedOrigins  []string
	SpecRefresh     time.Duration
	SessionTTL      time.Duration
	MaxBodyBytes    int64
	BodyTimeout     time.Duration
	MaxInflight     int64
	ShutdownTimeout time.Duration
	// SignatureCompat is "v1" to add the legacy body-only v1 values to X-Jelou-Signature,
	// or "" for v2 only.
	SignatureCompat string

	// How often MCP session use is written to the store (default 5 s) and idle sessions
	// are removed (default 1 min); the most live sessions per token and function (default
	// store.DefaultSessionLimit); how long a session with no request after initialize lives
	// (default 10 min). Tests lower them.
	SessionFlush, SessionSweep time.Duration
	SessionLimit               int
	SessionUnused              time.Duration
}

// Check reports the first setting of c that a server cannot run with, before anything
// listens: the in-flight cap against the body limit, the two addresses, the domain, the
// public URL, the shutdown timeout and the signature compatibility. Its errors name each
// setting by its jfn serve flag (--listen), as operators set them.
func (c Config) Check() error {
	body, inflight := c.MaxBodyBytes, c.MaxInflight
	if body <= 0 {
		body = gateway.DefaultMaxBodyBytes
	}
	if inflight <= 0 {
		inflight = gateway.DefaultMaxInflightBytes
	}
	if inflight <= body {
		return fmt.Errorf("--max-inflight-bytes %d must be more than --max-body-bytes %d, or one request at the limit could never be served", inflight, body)
	}
	if err := CheckListen("--listen", c.Listen); err != nil {
		return err
	}
	if err := CheckListen("--admin-listen", c.AdminListen); err != nil {
		return err
	}
	if sameAddr(c.Listen, c.AdminListen) {
		return fmt.Errorf("--admin-listen %s is the public address; give the admin endpoints their own port", c.AdminListen)
	}
	if c.Domain != "" && !service.ValidDomain(c.Domain) {
		return fmt.Errorf("invalid --domain %q: want a DNS name such as fn.example.com", c.Domain)
	}
	if c.PublicURL != "" {
		if err := service.CheckBaseURL(c.PublicURL); err != nil {
			return fmt.Errorf("invalid --public-url: %w", err)
		}
	}
	if c.ShutdownTimeout <= 0 {
		return errors.New("--shutdown-timeout must be positive")
	}
	if c.SignatureCompat != "" && c.SignatureCompat != "v1" {
		return fmt.Errorf("invalid --signature-compat %q: the only value is v1 (or leave it unset for v2 signatures only)", c.SignatureCompat)
	}
	return nil
}

// CheckListen checks a listen address: host:port, the port at most 65535. Its errors name
// the address by flag.
func CheckListen(flag, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid %s %q: want host:port such as 127.0.0.1:8080", flag, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("invalid port in %s %q", flag, addr)
	}
	return nil
}

// sameAddr reports whether two listen addresses would collide. Port 0 never collides.
func sameAddr(a, b string) bool {
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	if pa != pb || pa == "0" {
		return false
	}
	return ha == hb || unspecified(ha) || unspecified(hb)
}
