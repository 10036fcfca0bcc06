package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

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
