package openapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// gatewayHeadersDoc declares, besides an ordinary header, header parameters that only the
// gateway may set: a tool argument must never forge them.
const gatewayHeadersDoc = `{"openapi":"3.1.0","info":{"title":"t","version":"1"},
"paths":{"/run":{
  "parameters":[{"name":"x-jelou-function","in":"header","schema":{"type":"string"}}],
  "post":{"operationId":"run","parameters":[
    {"name":"X-Trace","in":"header","schema":{"type":"string"}},
    {"name":"X-Jelou-Trigger","in":"header","required":true,"schema":{"type":"string"}},
    {"name":"X_JELOU_TOKEN_ID","in":"header","schema":{"type":"string"}},
    {"name":"X-HTTP-Method-Override","in":"header","schema":{"type":"string"}},
    {"name":"x-http-method","in":"header","schema":{"type":"string"}},
    {"name":"X-Method-Override","in":"header","schema":{"type":"string"}},
    {"name":"X-Jelou-Trigger","in":"query","schema":{"type":"string"}}
  ],"responses":{"200":{"description":"ok"}}}}}}`

func TestToolsNeverSetGatewayHeaders(t *testing.T) {
	spec, err := Load([]byte(gatewayHeadersDoc))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tool, ok := spec.Tool("run")
	if !ok {
		t.Fatalf("no tool run; skipped: %v", spec.Skipped())
	}
	reserved := []string{"x-jelou-function", "X-Jelou-Trigger", "X_JELOU_TOKEN_ID", "X-HTTP-Method-Override", "x-http-method", "X-Method-Override"}

	var in struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(tool.InputSchema, &in); err != nil {
		t.Fatal(err)
	}
	for name := range in.Properties {
		if name != "X-Trace" && name != "X-Jelou-Trigger" {
			t.Errorf("inputSchema has property %q; want only X-Trace and the query parameter X-Jelou-Trigger", name)
		}
	}
	if len(in.Required) != 0 {
		t.Errorf("inputSchema required = %v, want none (the required header is the gateway's)", in.Required)
	}

	// Each refused header is reported, naming the operation and the header.
	var notes []string
	for _, s := range spec.Skipped() {
		if s.Operation == "POST /run" {
			notes = append(notes, s.Reason)
		}
	}
	for _, h := range reserved {
		found := false
		for _, n := range notes {
			found = found || strings.Contains(n, `"`+h+`"`)
		}
		if !found {
			t.Errorf("Skipped() has no entry for header %q of POST /run; got %q", h, notes)
		}
	}

	// Whatever arguments arrive, the request never carries them as headers.
	args := map[string]any{}
	for _, h := range reserved {
		args[h] = "forged"
		args[h+"__header"] = "forged"
	}
	args["X-Trace"], args["X-Jelou-Trigger"] = "t1", "cron" // the latter is the query parameter
	req, err := tool.NewRequest(context.Background(), mustURL(t, "http://up.test"), args)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	for k, v := range req.Header {
		if ReservedHeader(k) {
			t.Errorf("NewRequest set header %s: %v", k, v)
		}
	}
	if got := req.Header.Get("X-Trace"); got != "t1" {
		t.Errorf("X-Trace = %q, want t1", got)
	}
	if got := req.URL.Query().Get("X-Jelou-Trigger"); got != "cron" {
		t.Errorf("query X-Jelou-Trigger = %q, want cron (only headers are the gateway's)", got)
	}
}

func TestReservedHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Jelou-Trigger": true, "x-jelou-token-id": true, "X_Jelou_Function": true, "x_JELOU_x": true,
		"X-HTTP-Method-Override": true, "x-http-method": true, "X-Method-Override": true,
		"X-Jelou": false, "X-Jeloux": false, "X-Trace": false, "X-HTTP-Methods": false, "Jelou-Token": false,
	} {
		if got := ReservedHeader(name); got != want {
			t.Errorf("ReservedHeader(%q) = %v, want %v", name, got, want)
		}
	}
}
