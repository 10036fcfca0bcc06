package store

import (
	"strings"
	"testing"
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
		got := RedactDSN(tt.in)
		if got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "s3") || strings.Contains(got, "ret") {
			t.Errorf("RedactDSN(%q) = %q shows part of the password", tt.in, got)
		}
	}
}
