package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRequireSignature(t *testing.T) {
	var got string
	h := RequireSignature("s3cret", &SignatureOptions{MaxBody: 64}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		io.WriteString(w, "ok")
	}))
	body := `{"phone":"+593987654321"}`
	now := time.Now()
	m := Message{Method: "POST", Target: "/pay?to=alice", RequestID: "req-1", Body: []byte(body)}
	big := m
	big.Body = []byte(strings.Repeat("x", 65))
	tests := []struct {
		name, header, body string
		want               int
		message            string
		target             string // "/pay?to=alice" when empty
	}{
		{"valid", Sign(now, m, "s3cret"), body, 200, "", ""},
		{"valid during rotation", Sign(now, m, "new", "s3cret"), body, 200, "", ""},
		{"missing", "", body, 401, "missing X-Jelou-Signature header", ""},
		{"wrong secret", Sign(now, m, "other"), body, 401, "does not match", ""},
		{"tampered", Sign(now, m, "s3cret"), strings.Replace(body, "321", "322", 1), 401, "does not match", ""},
		{"stale", Sign(now.Add(-time.Hour), m, "s3cret"), body, 401, "outside the tolerance", ""},
		{"too large", Sign(now, big, "s3cret"), strings.Repeat("x", 65), 413, "too large", ""},
		{"replayed to another path", Sign(now, m, "s3cret"), body, 401, "does not match", "/refund?to=alice"},
		{"v1 only", withoutV2(SignWithV1(now, m, "s3cret")), body, 401, "only v1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = ""
			target := tt.target
			if target == "" {
				target = m.Target
			}
			r := httptest.NewRequest("POST", target, strings.NewReader(tt.body))
			r.Header.Set("X-Request-Id", m.RequestID)
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

// TestRequireSignatureAcceptV1: with AcceptV1 the middleware also lets a v1-only header
// through (an older gateway), still over the exact body.
func TestRequireSignatureAcceptV1(t *testing.T) {
	h := RequireSignature("s3cret", &SignatureOptions{AcceptV1: true}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	m := Message{Body: []byte("{}")}
	for _, tt := range []struct {
		name, header, body string
		want               int
	}{
		{"v1 only", withoutV2(SignWithV1(time.Now(), m, "s3cret")), "{}", 200},
		{"v1 only, other body", withoutV2(SignWithV1(time.Now(), m, "s3cret")), "[]", 401},
		{"v2 for another request", Sign(time.Now(), m, "s3cret"), "{}", 401},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		r.Header.Set(SignatureHeader, tt.header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("RequireSignature(AcceptV1, %s) = %d %s, want %d", tt.name, w.Code, w.Body, tt.want)
		}
	}
}

// TestRequireSignatureRefusals: each refusal is the JSON error shape with nosniff.
func TestRequireSignatureRefusals(t *testing.T) {
	h := RequireSignature("s3cret", &SignatureOptions{MaxBody: 8}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tt := range []struct {
		name, body string
		want       int
		message    string
	}{
		{"unsigned", "{}", 401, "Invalid request signature: missing X-Jelou-Signature header."},
		{"too large", strings.Repeat("x", 9), 413, "The request body is too large."},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(tt.body)))
		var got struct{ Error, Message string }
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != tt.want || got.Error != http.StatusText(tt.want) || got.Message != tt.message {
			t.Errorf("RequireSignature(%s) = %d %s, want %d with message %q", tt.name, w.Code, w.Body, tt.want, tt.message)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("RequireSignature(%s): Content-Type = %q, want application/json", tt.name, ct)
		}
		if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("RequireSignature(%s): X-Content-Type-Options = %q, want nosniff", tt.name, got)
		}
	}
}
