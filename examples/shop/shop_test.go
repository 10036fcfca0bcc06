package shop

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	// The cases share one Handler and run in order: the order placed below becomes ord-1001.
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantIn     string
	}{
		{"all products", "GET", "/products", ``, 200, `"id":"p-104"`},
		{"by category", "GET", "/products?category=equipment&limit=1", ``, 200, `{"products":[{"id":"p-101"`},
		{"bad limit", "GET", "/products?limit=abc", ``, 400, `\"limit\"`},
		{"limit too big", "GET", "/products?limit=51", ``, 400, `\"limit\"`},
		{"bad category", "GET", "/products?category=tea", ``, 400, `\"category\"`},
		{"one product", "GET", "/products/p-100", ``, 200, `"name":"Espresso beans 1 kg"`},
		{"unknown product", "GET", "/products/p-999", ``, 404, `p-999`},
		{"order", "POST", "/orders", `{"product_id":"p-100","quantity":2}`, 201, `"id":"ord-1001","status":"pending","product_id":"p-100","quantity":2,"total":37.8`},
		{"order without quantity", "POST", "/orders", `{"product_id":"p-100"}`, 400, `"quantity\" is required`},
		{"order without product", "POST", "/orders", `{"quantity":1}`, 400, `"product_id\" is required`},
		{"order with bad type", "POST", "/orders", `{"product_id":"p-100","quantity":"two"}`, 400, `quantity`},
		{"order not json", "POST", "/orders", `nope`, 400, `JSON object`},
		{"order unknown product", "POST", "/orders", `{"product_id":"p-999","quantity":1}`, 422, `p-999`},
		{"order out of stock", "POST", "/orders", `{"product_id":"p-104","quantity":1}`, 422, `in stock`},
		{"seeded status", "GET", "/order-status/ord-1000", ``, 200, `"status":"delivered"`},
		{"new status", "GET", "/order-status/ord-1001", ``, 200, `"status":"pending"`},
		{"unknown status", "GET", "/order-status/ord-9", ``, 404, `ord-9`},
		{"payment", "POST", "/webhooks/payment", `{"order_id":"ord-1001","status":"paid"}`, 200, `"received":true`},
		{"paid status", "GET", "/order-status/ord-1001", ``, 200, `"status":"paid"`},
		{"payment bad body", "POST", "/webhooks/payment", `{"order_id":"ord-1001"}`, 400, `status`},
		{"payment unknown order", "POST", "/webhooks/payment", `{"order_id":"ord-9","status":"paid"}`, 404, `ord-9`},
		{"unknown route", "GET", "/nope", ``, 404, `GET /nope`},
		{"spec", "GET", "/openapi.json", ``, 200, `"openapi": "3.1.0"`},
	}
	h := Handler()
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.wantStatus {
			t.Errorf("%s: %s %s %s: status = %d, want %d (body %s)", tt.name, tt.method, tt.path, tt.body, rec.Code, tt.wantStatus, rec.Body)
		}
		if !strings.Contains(rec.Body.String(), tt.wantIn) {
			t.Errorf("%s: %s %s: body = %s, want it to contain %s", tt.name, tt.method, tt.path, rec.Body, tt.wantIn)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type = %q, want application/json", tt.name, ct)
		}
	}
}

func TestDeterministic(t *testing.T) {
	// A fresh Handler starts again from ord-1001 and full stock.
	for range 2 {
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/orders", strings.NewReader(`{"product_id":"p-101","quantity":5}`)))
		if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"id":"ord-1001"`) {
			t.Fatalf("POST /orders on a fresh Handler = %d %s, want 201 ord-1001", rec.Code, rec.Body)
		}
	}
}

func TestEventsStream(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	start := time.Now()
	resp, err := http.Get(srv.URL + "/events?count=2&interval_ms=2000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("GET /events: Content-Type = %q, want text/event-stream", ct)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "id: 1\n" {
		t.Fatalf("first line = %q, %v; want %q", line, err, "id: 1\n")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("first event took %v, want it flushed before the next interval", d)
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/events?count=0", nil))
	if rec.Code != 400 {
		t.Errorf("GET /events?count=0 = %d, want 400", rec.Code)
	}
}

func TestSpec(t *testing.T) {
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(Spec(), &doc); err != nil {
		t.Fatalf("openapi.json: not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	for _, p := range []string{"/products", "/products/{product-id}", "/orders", "/order-status/{id}", "/webhooks/payment", "/events"} {
		if doc.Paths[p] == nil {
			t.Errorf("paths[%q] missing", p)
		}
	}
	sec, ok := doc.Paths["/webhooks/payment"]["post"]["security"].([]any)
	if !ok || len(sec) != 0 {
		t.Errorf("POST /webhooks/payment security = %v, want []", doc.Paths["/webhooks/payment"]["post"]["security"])
	}
}
