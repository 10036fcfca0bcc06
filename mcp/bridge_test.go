package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

func TestSessionToolsListAndCall(t *testing.T) {
	h := newHarness(t, nil)
	c := h.sessionClient(t, h.tokA)
	if c.GetSessionId() == "" {
		t.Fatal("GetSessionId() is empty after initialize on a session-based revision")
	}
	caps := c.GetServerCapabilities()
	if caps.Tools == nil || !caps.Tools.ListChanged || caps.Logging == nil {
		t.Errorf("capabilities = %+v, want tools.listChanged and logging", caps)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.ListTools(ctx, mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	tools := map[string]mcpgo.Tool{}
	for _, tool := range list.Tools {
		tools[tool.Name] = tool
	}
	for _, name := range []string{"listPets", "createPet", "getPet", "deletePet", "slowPet", "countPets", "hello", "pixel"} {
		tool, ok := tools[name]
		if !ok {
			t.Errorf("tools/list has no %q (got %d tools)", name, len(list.Tools))
			continue
		}
		if tool.Description == "" {
			t.Errorf("tool %q has an empty description", name)
		}
		if tool.InputSchema.Type != "object" {
			t.Errorf("tool %q input schema type = %q, want object", name, tool.InputSchema.Type)
		}
		a := tool.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil {
			t.Errorf("tool %q annotations = %+v, want all three hints stated", name, a)
		}
	}
	hints := func(name string) [3]bool {
		a := tools[name].Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil {
			return [3]bool{}
		}
		return [3]bool{*a.ReadOnlyHint, *a.DestructiveHint, *a.IdempotentHint}
	}
	if got, want := hints("getPet"), [3]bool{true, false, true}; got != want {
		t.Errorf("getPet (readOnly, destructive, idempotent) = %v, want %v", got, want)
	}
	if got, want := hints("deletePet"), [3]bool{false, true, true}; got != want {
		t.Errorf("deletePet (readOnly, destructive, idempotent) = %v, want %v", got, want)
	}
	if got, want := hints("createPet"), [3]bool{false, false, false}; got != want {
		t.Errorf("createPet (readOnly, destructive, idempotent) = %v, want %v", got, want)
	}
	if tools["getPet"].Title != "Get a pet" {
		t.Errorf("getPet title = %q, want %q", tools["getPet"].Title, "Get a pet")
	}
	if _, ok := tools["createPet"].InputSchema.Properties["name"]; !ok {
		t.Errorf("createPet input properties = %v, want the body's name", tools["createPet"].InputSchema.Properties)
	}
	if _, ok := tools["getPet"].InputSchema.Properties["id"]; !ok {
		t.Errorf("getPet input properties = %v, want the path parameter id", tools["getPet"].InputSchema.Properties)
	}
	for _, name := range []string{"getPet", "listPets"} {
		if tools[name].OutputSchema.Type != "object" {
			t.Errorf("tool %q output schema type = %q, want object", name, tools[name].OutputSchema.Type)
		}
	}
	if _, ok := tools["listPets"].OutputSchema.Properties["result"]; !ok {
		t.Errorf("listPets output properties = %v, want the result wrapper", tools["listPets"].OutputSchema.Properties)
	}
	if tools["hello"].OutputSchema.Type != "" {
		t.Errorf("hello (text/plain) has an output schema %+v, want none", tools["hello"].OutputSchema)
	}

	t.Run("success", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "getPet", map[string]any{"id": "1"})
		if res.IsError {
			t.Fatalf("getPet isError, text %q", mcptest.Text(res))
		}
		sc, ok := res.StructuredContent.(map[string]any)
		if !ok || sc["name"] != "Rex" {
			t.Errorf("getPet structuredContent = %#v, want name Rex", res.StructuredContent)
		}
		var fromText map[string]any
		if err := json.Unmarshal([]byte(mcptest.Text(res)), &fromText); err != nil || fromText["name"] != "Rex" {
			t.Errorf("getPet text = %q, want the same JSON", mcptest.Text(res))
		}
		got := h.up.LastCall(t)
		if got.Method != "GET" || got.Path != "/pets/1" {
			t.Errorf("upstream saw %s %s, want GET /pets/1", got.Method, got.Path)
		}
		checkForwarding(t, got.Header, "tok_a")
	})
	t.Run("wrapped array", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "listPets", nil)
		sc, ok := res.StructuredContent.(map[string]any)
		if res.IsError || !ok {
			t.Fatalf("listPets = isError %v, structuredContent %#v", res.IsError, res.StructuredContent)
		}
		if arr, ok := sc["result"].([]any); !ok || len(arr) != 1 {
			t.Errorf("listPets structuredContent = %#v, want {result: [1 pet]}", sc)
		}
	})
	t.Run("upstream 404", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "getPet", map[string]any{"id": "7"})
		if !res.IsError || !strings.Contains(mcptest.Text(res), "HTTP 404 Not Found") || !strings.Contains(mcptest.Text(res), "no such pet") {
			t.Errorf("getPet(7) = isError %v, text %q; want isError with HTTP 404 and the body", res.IsError, mcptest.Text(res))
		}
	})
	t.Run("redirect reported, not followed", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "getPet", map[string]any{"id": "42"})
		if !res.IsError || !strings.Contains(mcptest.Text(res), "HTTP 302 Found") {
			t.Errorf("getPet(42) = isError %v, text %q; want isError with HTTP 302", res.IsError, mcptest.Text(res))
		}
		if got := h.up.LastCall(t); got.Path != "/pets/42" {
			t.Errorf("upstream last saw %s, want the redirect not followed", got.Path)
		}
	})
	t.Run("invalid arguments", func(t *testing.T) {
		before := len(h.up.Requests())
		res := mcptest.CallTool(t, c, "createPet", map[string]any{"age": -1})
		if !res.IsError || !strings.Contains(mcptest.Text(res), "name") {
			t.Errorf("createPet({age:-1}) = isError %v, text %q; want isError naming name", res.IsError, mcptest.Text(res))
		}
		if after := len(h.up.Requests()); after != before {
			t.Errorf("upstream saw %d requests for invalid arguments, want 0", after-before)
		}
	})
	t.Run("valid body", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "createPet", map[string]any{"name": "Tom"})
		if res.IsError {
			t.Fatalf("createPet isError, text %q", mcptest.Text(res))
		}
		if got := h.up.LastCall(t); got.Method != "POST" || !strings.Contains(string(got.Body), `"Tom"`) {
			t.Errorf("upstream saw %s %s %q, want POST with the name", got.Method, got.Path, got.Body)
		}
	})
	t.Run("empty body", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "deletePet", map[string]any{"id": "1"})
		if res.IsError || !strings.Contains(mcptest.Text(res), "204") {
			t.Errorf("deletePet = isError %v, text %q; want a short text naming 204", res.IsError, mcptest.Text(res))
		}
	})
	t.Run("text and image", func(t *testing.T) {
		if res := mcptest.CallTool(t, c, "hello", nil); res.IsError || mcptest.Text(res) != "hello" {
			t.Errorf("hello = isError %v, text %q; want hello", res.IsError, mcptest.Text(res))
		}
		res := mcptest.CallTool(t, c, "pixel", nil)
		if len(res.Content) != 1 {
			t.Fatalf("pixel content = %#v, want one image", res.Content)
		}
		if img, ok := mcpgo.AsImageContent(res.Content[0]); !ok || img.MIMEType != "image/png" || img.Data == "" {
			t.Errorf("pixel content = %#v, want image/png", res.Content[0])
		}
	})
	t.Run("output mismatch", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "countPets", nil)
		if !res.IsError || !strings.Contains(mcptest.Text(res), "count") || !strings.Contains(mcptest.Text(res), "many") {
			t.Errorf("countPets = isError %v, text %q; want isError naming count, with the body", res.IsError, mcptest.Text(res))
		}
		if res.StructuredContent != nil {
			t.Errorf("countPets structuredContent = %#v, want none", res.StructuredContent)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		res := mcptest.CallTool(t, c, "slowPet", nil)
		if !res.IsError || !strings.Contains(mcptest.Text(res), "did not answer within 1s") {
			t.Errorf("slowPet = isError %v, text %q; want the timeout sentence", res.IsError, mcptest.Text(res))
		}
	})
	t.Run("unknown tool", func(t *testing.T) {
		_, err := c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: "nope"}})
		if err == nil {
			t.Error("CallTool(nope) succeeded, want a JSON-RPC error")
		}
	})
}

// checkForwarding asserts the headers every tool call carries upstream.
func checkForwarding(t *testing.T, hd http.Header, tokenID string) {
	t.Helper()
	for k, want := range map[string]string{
		"X-Jelou-Trigger":   "mcp",
		"X-Jelou-Function":  testFunction,
		"X-Jelou-Token-Id":  tokenID,
		"X-Forwarded-Proto": "http",
	} {
		if got := hd.Get(k); got != want {
			t.Errorf("upstream header %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"X-Request-Id", "X-Forwarded-For", "X-Forwarded-Host"} {
		if hd.Get(k) == "" {
			t.Errorf("upstream header %s is missing", k)
		}
	}
	if v := hd.Values(auth.Header); len(v) != 0 {
		t.Errorf("upstream saw %s = %q, want it removed", auth.Header, v)
	}
	for k, vals := range hd {
		for _, v := range vals {
			if strings.Contains(v, "jfn_rt_") {
				t.Errorf("upstream header %s carries a token", k)
			}
		}
	}
}

func TestUpstreamDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL, _ := url.Parse(dead.URL)
	dead.Close()
	h := newHarness(t, func(o *Options) { o.Upstream = deadURL; o.Client = &http.Client{} })
	c := h.sessionClient(t, h.tokA)
	res := mcptest.CallTool(t, c, "getPet", map[string]any{"id": "1"})
	if !res.IsError || !strings.Contains(mcptest.Text(res), "upstream could not be reached") {
		t.Errorf("getPet with the upstream down = isError %v, text %q", res.IsError, mcptest.Text(res))
	}
	if strings.Contains(mcptest.Text(res), deadURL.Host) {
		t.Errorf("error text %q shows the upstream address", mcptest.Text(res))
	}
}

func TestStatelessRevision(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"getPet","arguments":{"id":"1"},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` +
		`"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`
	hdr := http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"getPet"}}
	resp, got := h.rawRequest(t, "POST", h.tokA, "", "2026-07-28", body, hdr)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stateless tools/call: status %d, body %s", resp.StatusCode, got)
	}
	if resp.Header.Get(mcpgo.HeaderSessionID) != "" {
		t.Errorf("stateless answer carries %s", mcpgo.HeaderSessionID)
	}
	var msg struct {
		Result mcpgo.CallToolResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(got), &msg); err != nil {
		t.Fatalf("stateless answer %s: %v", got, err)
	}
	if msg.Result.IsError || !strings.Contains(got, `"structuredContent"`) || !strings.Contains(got, "Rex") {
		t.Errorf("stateless tools/call answer = %s, want structuredContent with Rex", got)
	}
	checkForwarding(t, h.up.LastCall(t).Header, "tok_a")

	// Without a token, the stateless revision is refused like any other.
	if resp, _ := h.rawRequest(t, "POST", "", "", "2026-07-28", body, hdr); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("stateless tools/call without a token: status %d, want 401", resp.StatusCode)
	}

	// The mcp-go client negotiates the stateless revision by default.
	c := mcptest.Connect(t, h.url, &mcptest.Options{Token: h.tokB})
	if v := c.Initialized.ProtocolVersion; v != mcpgo.ProtocolVersion20260728 {
		t.Errorf("default client negotiated %q, want %q", v, mcpgo.ProtocolVersion20260728)
	}
	res := mcptest.CallTool(t, c, "getPet", map[string]any{"id": "1"})
	if res.IsError || res.StructuredContent == nil {
		t.Errorf("modern client getPet = isError %v, structuredContent %#v", res.IsError, res.StructuredContent)
	}
}

func TestListChangedOnGetStream(t *testing.T) {
	h := newHarness(t, nil)
	c := h.sessionClient(t, h.tokA)
	got := make(chan string, 8)
	c.OnNotification(func(n mcpgo.JSONRPCNotification) { got <- n.Method })
	jfntest.Eventually(t, 5*time.Second, "the client's GET stream", func() bool { return h.bridge.openStreams() == 1 })

	if h.bridge.SetSpec(loadSpec(t, petsDoc(t))) {
		t.Error("SetSpec(same document) = true, want false")
	}
	var doc map[string]any
	if err := json.Unmarshal(petsDoc(t), &doc); err != nil {
		t.Fatal(err)
	}
	doc["paths"].(map[string]any)["/toys"] = map[string]any{"get": map[string]any{
		"operationId": "listToys", "description": "Lists toys.",
		"responses": map[string]any{"200": map[string]any{"description": "ok"}},
	}}
	changed, _ := json.Marshal(doc)
	if !h.bridge.SetSpec(loadSpec(t, changed)) {
		t.Fatal("SetSpec(changed document) = false, want true")
	}
	select {
	case m := <-got:
		if m != string(mcpgo.MethodNotificationToolsListChanged) {
			t.Errorf("notification %q, want %q", m, mcpgo.MethodNotificationToolsListChanged)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notifications/tools/list_changed on the GET stream")
	}
	if res := mcptest.CallTool(t, c, "listToys", nil); res.IsError {
		t.Errorf("listToys after SetSpec = isError, text %q", mcptest.Text(res))
	}
}

// TestSignerSeesExactRequest: the Signer runs on the finished request, so the method,
// request-target (r.URL.RequestURI()), X-Request-Id and body it signs are the ones the
// upstream receives.
func TestSignerSeesExactRequest(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.Signer = func(r *http.Request, body []byte) {
			sum := sha256.Sum256(body)
			r.Header.Set("X-Jelou-Signature", hex.EncodeToString(sum[:]))
			r.Header.Set("X-Signed-For", r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("X-Request-Id"))
		}
	})
	c := h.sessionClient(t, h.tokA)
	if res := mcptest.CallTool(t, c, "createPet", map[string]any{"name": "Tom", "age": 2}); res.IsError {
		t.Fatalf("createPet isError, text %q", mcptest.Text(res))
	}
	got := h.up.LastCall(t)
	sum := sha256.Sum256(got.Body)
	if len(got.Body) == 0 || got.Header.Get("X-Jelou-Signature") != hex.EncodeToString(sum[:]) {
		t.Errorf("upstream body %q with signature %q; want the signature of that exact body", got.Body, got.Header.Get("X-Jelou-Signature"))
	}
	if want := got.Method + " " + got.RequestURI + " " + got.Header.Get("X-Request-Id"); got.Header.Get("X-Signed-For") != want || got.Header.Get("X-Request-Id") == "" {
		t.Errorf("Signer saw %q, want the request the upstream received: %q", got.Header.Get("X-Signed-For"), want)
	}
	if res := mcptest.CallTool(t, c, "getPet", map[string]any{"id": "1"}); res.IsError {
		t.Fatalf("getPet isError, text %q", mcptest.Text(res))
	}
	empty := sha256.Sum256(nil)
	if sig := h.up.LastCall(t).Header.Get("X-Jelou-Signature"); sig != hex.EncodeToString(empty[:]) {
		t.Errorf("GET signature %q, want the signature of an empty body", sig)
	}
}
