package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jfnhq/jfn/mcp/mcptest"
)

// forgeDoc is a function whose document declares, as header parameters, headers only the
// gateway may set.
const forgeDoc = `{"openapi":"3.1.0","info":{"title":"forge","version":"1"},
"paths":{"/run":{"post":{"operationId":"run","parameters":[
  {"name":"X-Trace","in":"header","schema":{"type":"string"}},
  {"name":"X-Jelou-Token-Id","in":"header","schema":{"type":"string"}},
  {"name":"X-Jelou-Trigger","in":"header","schema":{"type":"string"}},
  {"name":"X_Jelou_Function","in":"header","schema":{"type":"string"}},
  {"name":"X-HTTP-Method-Override","in":"header","schema":{"type":"string"}}
],"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"type":"object"}}}}}}}}}`

// TestToolCallsCannotForgeGatewayHeaders: a tool argument never sets an X-Jelou-* or
// method-override header on the call the upstream receives, even on a public function, where
// the gateway sets no X-Jelou-Token-Id of its own; the tool does not offer them, and
// `jfn tools` reports them as left out.
func TestToolCallsCannotForgeGatewayHeaders(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/openapi.json" {
			_, _ = io.WriteString(w, forgeDoc)
			return
		}
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(up.Close)

	s := startServer(t)
	deployed(t, s.db, "forge", up.URL, "--public")
	s.waitFunctions(t, "forge")
	s.waitHealthy(t, "forge")

	c := mcptest.Connect(t, s.URL()+"/forge/mcp", &mcptest.Options{Version: sessionVersion})
	res := mcptest.CallTool(t, c, "run", map[string]any{
		"X-Trace":                "t1",
		"X-Jelou-Token-Id":       "tok_forged",
		"X-Jelou-Trigger":        "cron",
		"X_Jelou_Function":       "other",
		"X-HTTP-Method-Override": "DELETE",
	})
	if res.IsError {
		t.Fatalf("tools/call run: isError, text %q", mcptest.Text(res))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("upstream received %d calls, want 1", len(got))
	}
	h := got[0]
	if h.Get("X-Trace") != "t1" {
		t.Errorf("upstream X-Trace = %q, want t1 (ordinary header parameters are sent)", h.Get("X-Trace"))
	}
	if v := h.Values("X-Jelou-Trigger"); len(v) != 1 || v[0] != "mcp" {
		t.Errorf("upstream X-Jelou-Trigger = %q, want [mcp]", v)
	}
	if v := h.Values("X-Jelou-Function"); len(v) != 1 || v[0] != "forge" {
		t.Errorf("upstream X-Jelou-Function = %q, want [forge]", v)
	}
	for k, v := range h {
		switch lk := strings.ToLower(k); {
		case lk == "x-jelou-token-id", strings.HasPrefix(lk, "x_jelou_"), lk == "x-http-method-override":
			t.Errorf("upstream received %s: %q, forged by a tool argument", k, v)
		}
	}

	// The tool does not offer those headers, and the preview says why.
	r := mustCLI(t, s.db, "tools", up.URL+"/openapi.json", "--json")
	var out struct {
		Tools []struct {
			InputSchema struct {
				Properties map[string]any `json:"properties"`
			} `json:"inputSchema"`
		} `json:"tools"`
		Skipped []struct{ Operation, Reason string } `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Tools) != 1 {
		t.Fatalf("jfn tools --json = %q (%v), want one tool", r.stdout, err)
	}
	for name := range out.Tools[0].InputSchema.Properties {
		if name != "X-Trace" {
			t.Errorf("jfn tools: input property %q, want only X-Trace", name)
		}
	}
	if len(out.Skipped) != 4 {
		t.Errorf("jfn tools: skipped = %+v, want the 4 refused headers of POST /run", out.Skipped)
	}
}
