package origin

import (
	"slices"
	"strings"
	"testing"
)

// FuzzNormalize checks that any Origin header value is handled without panic, and that
// an accepted origin is stable (normalising it again changes nothing).
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080", "https://A.example:443", "null", "http://[::1]:80", "https://x/y", "http://%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := Normalize(s)
		if !ok {
			return
		}
		n2, ok2 := Normalize(n)
		if !ok2 || n2 != n {
			t.Errorf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", s, n, n, n2, ok2)
		}
	})
}

func TestParseList(t *testing.T) {
	for _, tt := range []struct {
		in, err string
		want    []string
	}{
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "*", want: []string{"*"}},
		{in: "HTTPS://App.Example.com:443/, https://app.example.com, http://127.0.0.1:3000", want: []string{"https://app.example.com", "http://127.0.0.1:3000"}},
		{in: "https://app.example.com/path", err: `"https://app.example.com/path" is not an origin: want scheme://host[:port] such as https://app.example.com, or *`},
		{in: "ftp://x", err: `"ftp://x" is not an origin`},
		{in: "null", err: `"null" is not an origin`},
	} {
		got, err := ParseList(tt.in)
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("ParseList(%q) error = %v, want one starting %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseList(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
