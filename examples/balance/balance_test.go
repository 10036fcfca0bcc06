package balance

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantIn     string // a substring of the body
	}{
		{"known customer", "POST", "/", `{"phone":"+593987654321"}`, 200, `"balance":125.5`},
		{"other currency", "POST", "/", `{"phone":"+573001234567"}`, 200, `"currency":"COP"`},
		{"unknown customer", "POST", "/", `{"phone":"+593900000000"}`, 404, `"error":"Not Found"`},
		{"missing phone", "POST", "/", `{}`, 400, `\"phone\" is required`},
		{"bad phone", "POST", "/", `{"phone":"0987654321"}`, 400, `E.164`},
		{"phone not a string", "POST", "/", `{"phone":593}`, 400, `"error":"Bad Request"`},
		{"unknown field", "POST", "/", `{"phone":"+593987654321","x":1}`, 400, `"error":"Bad Request"`},
		{"empty body", "POST", "/", ``, 400, `empty`},
		{"not json", "POST", "/", `phone=1`, 400, `"error":"Bad Request"`},
		{"wrong method", "GET", "/", ``, 405, `POST`},
		{"other path", "POST", "/nope", `{}`, 404, `POST /`},
		{"spec", "GET", "/openapi.json", ``, 200, `"openapi": "3.1.0"`},
	}
	h := Handler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("%s %s %s: status = %d, want %d (body %s)", tt.method, tt.path, tt.body, rec.Code, tt.wantStatus, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantIn) {
				t.Errorf("%s %s %s: body = %s, want it to contain %s", tt.method, tt.path, tt.body, rec.Body, tt.wantIn)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s %s: Content-Type = %q, want application/json", tt.method, tt.path, ct)
			}
		})
	}
}

func TestBalanceShape(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(`{"phone":"+593987654321"}`)))
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	want := map[string]any{"phone": "+593987654321", "balance": 125.5, "currency": "USD"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("response[%q] = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("response = %v, want exactly the keys of %v", got, want)
	}
}

func TestSpec(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("GET /openapi.json: not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if len(doc.Paths) != 1 || len(doc.Paths["/"]) != 1 {
		t.Fatalf("paths = %v, want exactly POST /", doc.Paths)
	}
	op := doc.Paths["/"]["post"]
	if op["operationId"] != "getBalance" || op["summary"] == nil || op["description"] == nil {
		t.Errorf("POST / = %v, want operationId getBalance with a summary and a description", op)
	}
}
