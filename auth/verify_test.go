package auth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRequireSignature(t *testing.T) {
	var got string
	h := RequireSignature("s3cret", 64, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		io.WriteString(w, "ok")
	}))
	body := `{"phone":"+593987654321"}`
	now := time.Now()
	tests := []struct {
		name, header, body string
		want               int
		message            string
	}{
		{"valid", Sign(now, []byte(body), "s3cret"), body, 200, ""},
		{"valid during rotation", Sign(now, []byte(body), "new", "s3cret"), body, 200, ""},
		{"missing", "", body, 401, "missing X-Jelou-Signature header"},
		{"wrong secret", Sign(now, []byte(body), "other"), body, 401, "does not match"},
		{"tampered", Sign(now, []byte(body), "s3cret"), strings.Replace(body, "321", "322", 1), 401, "does not match"},
		{"stale", Sign(now.Add(-time.Hour), []byte(body), "s3cret"), body, 401, "outside the tolerance"},
		{"too large", Sign(now, []byte(strings.Repeat("x", 65)), "s3cret"), strings.Repeat("x", 65), 413, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = ""
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.header != "" {
				r.Header.Set(SignatureHeader, tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want || !strings.Contains(w.Body.String(), tt.message) {
				t.Fatalf("RequireSignature(%s) = %d %s, want %d with %q", tt.name, w.Code, w.Body, tt.want, tt.message)
			}
			if tt.want == 200 && got != tt.body {
				t.Errorf("next got body %q, want %q intact", got, tt.body)
			}
			if tt.want != 200 && got != "" {
				t.Errorf("next was called for a refused request")
			}
		})
	}
}
