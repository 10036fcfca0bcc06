package openapi

import (
	"os"
	"testing"
)

func TestIsPublic(t *testing.T) {
	data, err := os.ReadFile("testdata/public.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tests := []struct {
		method, path string
		want         bool
	}{
		{"POST", "/webhooks/stripe", true},
		{"post", "/webhooks/stripe", false}, // methods are case-sensitive
		{"Post", "/webhooks/stripe", false},
		{"POST", "/webhooks/stripe?x=1", true},
		{"GET", "/webhooks/stripe", false},   // method not declared
		{"POST", "/webhooks/stripe/", false}, // trailing slash: another path
		{"POST", "/webhooks/../webhooks/stripe", false},
		{"POST", "/webhooks/%2e%2e/stripe", false},
		{"DELETE", "/users/42", true},  // template match
		{"DELETE", "/users/me", false}, // concrete path wins over the template
		{"GET", "/users/42", false},    // inherits top-level security
		{"DELETE", "/users/", false},   // empty segment does not match {id}
		{"DELETE", "/users/42/extra", false},
		{"GET", "/optional", false}, // [{}] is not security: []
		{"GET", "/unknown", false},
		{"GET", "", false},
	}
	for _, tt := range tests {
		if got := spec.IsPublic(tt.method, tt.path); got != tt.want {
			t.Errorf("IsPublic(%q, %q) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

// TestIsPublicRefusesLookAlikes keeps the look-alike rule: a segment that fills a public
// template is not public when an upstream router could resolve it to a protected literal
// route beside it (case folding, ";" stripping, suffix matching, trailing dots and spaces).
func TestIsPublicRefusesLookAlikes(t *testing.T) {
	data, err := os.ReadFile("testdata/lookalike.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tests := []struct {
		path string
		want bool
	}{
		{"/users/42", true},
		{"/users/alice", true},
		{"/users/v1.2", true},
		{"/users/admin", false}, // the protected literal itself
		{"/users/ADMIN", false},
		{"/users/Admin", false},
		{"/users/admin;", false},
		{"/users/admin;jsessionid=1", false},
		{"/users/42;x", false},
		{"/users/admin.", false},
		{"/users/admin.json", false},
		{"/users/ADMIN.JSON", false},
		{"/users/admin.tar.gz", false},
		{"/users/admin%20", false},
		{"/users/42%20", false},
		{"/users/42%09", false},
		{"/users/admin%00", false},
		{"/users/4%0a2", false},
		{"/users/a%5Cb", false},
		{"/users/.hidden", true},     // a leading dot is not a suffix
		{"/users/adm%C4%B1n", false}, // dotless ı: Java and JS fold it to I
		{"/users/%EF%BD%81%EF%BD%84%EF%BD%8D%EF%BD%89%EF%BD%8E", false}, // fullwidth ａｄｍｉｎ: NFKC
		{"/users/admin%E2%80%8B", false},                                // zero-width space
		{"/users/admin%3F", false},
		{"/users/admin%23", false},
		{"/users/%20admin", false},
		{"/users/jos%C3%A9", true}, // other letters stay public
		{"/files/report.json", true},
		{"/files/SECRET.json", false},
		{"/files/secret.json", false}, // the literal route wins, and it is protected
	}
	for _, tt := range tests {
		if got := spec.IsPublic("GET", tt.path); got != tt.want {
			t.Errorf("IsPublic(GET, %q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestIsPublicTopLevel(t *testing.T) {
	doc := `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"security":[],
	"paths":{"/a":{"get":{"responses":{}}},"/b":{"get":{"security":[{"k":[]}],"responses":{}}}},
	"components":{"securitySchemes":{"k":{"type":"apiKey","in":"header","name":"K"}}}}`
	spec, err := Load([]byte(doc))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !spec.IsPublic("GET", "/a") {
		t.Errorf(`IsPublic("GET", "/a") = false, want true (top-level security: [])`)
	}
	if spec.IsPublic("GET", "/b") {
		t.Errorf(`IsPublic("GET", "/b") = true, want false (operation overrides)`)
	}
	var nilSpec *Spec
	if nilSpec.IsPublic("GET", "/a") {
		t.Errorf("nil Spec: IsPublic = true, want false")
	}
}

func TestIsPublicSwagger2(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/swagger2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !spec.IsPublic("POST", "/login") {
		t.Errorf(`IsPublic("POST", "/login") = false, want true (security: [] in Swagger 2.0)`)
	}
	if spec.IsPublic("GET", "/orders/7") {
		t.Errorf(`IsPublic("GET", "/orders/7") = true, want false`)
	}
}
