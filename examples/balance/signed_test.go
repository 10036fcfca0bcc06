package balance

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/auth"
)

func TestSignedHandler(t *testing.T) {
	const secret = "jfn_ss_example"
	body := `{"phone":"+593987654321"}`
	do := func(h http.Handler, method, path, body, sig string) int {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Request-Id", "req-1")
		if sig != "" {
			r.Header.Set(auth.SignatureHeader, sig)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	msg := func(path string) auth.Message {
		return auth.Message{Method: "POST", Target: path, RequestID: "req-1", Body: []byte(body)}
	}
	v1Only := func(path string) string { // what an older gateway sent: body only
		v := auth.SignWithV1(time.Now(), msg(path), secret)
		return v[:strings.Index(v, ",")] + v[strings.Index(v, ",v1="):]
	}
	h := SignedHandler(secret)
	tests := []struct {
		name, method, path, body, sig string
		want                          int
	}{
		{"signed", "POST", "/", body, auth.Sign(time.Now(), msg("/"), secret), http.StatusOK},
		{"signed for another path", "POST", "/", body, auth.Sign(time.Now(), msg("/x"), secret), http.StatusUnauthorized},
		{"v1 only", "POST", "/", body, v1Only("/"), http.StatusUnauthorized},
		{"unsigned", "POST", "/", body, "", http.StatusUnauthorized},
		{"other secret", "POST", "/", body, auth.Sign(time.Now(), msg("/"), "jfn_ss_other"), http.StatusUnauthorized},
		{"document unsigned", "GET", "/openapi.json", "", "", http.StatusOK},
	}
	for _, tt := range tests {
		if got := do(h, tt.method, tt.path, tt.body, tt.sig); got != tt.want {
			t.Errorf("SignedHandler: %s %s %s = %d, want %d", tt.name, tt.method, tt.path, got, tt.want)
		}
	}
	if got := do(SignedHandler(""), "POST", "/", body, ""); got != http.StatusOK {
		t.Errorf("SignedHandler(\"\"): unsigned POST %s = %d, want %d (no secret: unsigned calls accepted)", "/", got, http.StatusOK)
	}
}
