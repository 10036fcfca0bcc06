package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestRedactDSNHidesEveryPassword(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"./jfn.db", "./jfn.db"},
		{"postgres://db/jfn", "postgres://db/jfn"},
		{"postgres://jfn@db/jfn?sslmode=disable", "postgres://jfn@db/jfn?sslmode=disable"},
		{"postgres://jfn:s3cret@db:5432/jfn", "postgres://jfn:xxxxx@db:5432/jfn"},
		{"postgres://jfn@db/jfn?password=s3cret", "postgres://jfn@db/jfn?password=xxxxx"},
		{"postgresql://jfn@db/jfn?sslmode=verify-full&sslkey=/k.pem&sslpassword=s3cret&PASSWORD=s3cret",
			"postgresql://jfn@db/jfn?sslmode=verify-full&sslkey=/k.pem&sslpassword=xxxxx&PASSWORD=xxxxx"},
		{"postgres://jfn@db/jfn?pass%77ord=s3cret", "postgres://jfn@db/jfn?pass%77ord=xxxxx"},
		{"postgres://jfn:s3c@ret@db/jfn", "postgres://jfn:xxxxx@db/jfn"},
		{"postgres://jfn:s3c/ret@db/jfn?x=1", "postgres://xxxxx@db/jfn?xxxxx"},
		{"postgres://jfn:123/s3cret@db/jfn", "postgres://xxxxx@db/jfn"},
		{"postgres://jfn:s3c?ret@db/jfn", "postgres://xxxxx@db/jfn"},
		{"host=db user=jfn password=s3cret sslpassword='s3 cret'", "host=db user=jfn password=xxxxx sslpassword=xxxxx"},
	} {
		got := redactDSN(tt.in)
		if got != tt.want {
			t.Errorf("redactDSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "s3") || strings.Contains(got, "ret") {
			t.Errorf("redactDSN(%q) = %q shows part of the password", tt.in, got)
		}
	}
}

// TestStoreErrorsHideDSNPasswords: a postgres:// store that cannot be opened is named in the
// error without its password, whether the password is in the user info or in the query
// (password=, sslpassword=), by the CLI and by jfn serve.
func TestStoreErrorsHideDSNPasswords(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	secrets := []string{"userinfo_pw_A1b2", "query_pw_C3d4", "ssl_pw_E5f6"}
	dsn := "postgres://jfn:" + secrets[0] + "@" + addr + "/jfn?connect_timeout=1&sslmode=disable&password=" +
		secrets[1] + "&sslpassword=" + secrets[2]

	for _, args := range [][]string{
		{"--db", dsn, "tokens", "list", "f"},
		{"functions", "list", "--db", dsn, "--json"},
		{"serve", "--db", dsn, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var stderr strings.Builder
		code := run(ctx, args, strings.NewReader(""), io.Discard, &stderr, mapEnv())
		cancel()
		if code != 1 || !strings.Contains(stderr.String(), "cannot open the store") {
			t.Errorf("jfn %s: exit %d, stderr %q; want 1 and \"cannot open the store\"", args[0], code, stderr.String())
		}
		for _, s := range secrets {
			if strings.Contains(stderr.String(), s) {
				t.Errorf("jfn %s: stderr shows the password %q: %s", args[0], s, stderr.String())
			}
		}
	}
}
