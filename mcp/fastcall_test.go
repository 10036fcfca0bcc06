package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestFastToolCallAnswersAsMCPGo: a tools/call answered by the hot path is, as JSON, what
// mcp-go's HandleMessage answers for the same message, for results of every kind, odd ids
// and a handler's error; messages the hot path leaves alone still get mcp-go's answer.
func TestFastToolCallAnswersAsMCPGo(t *testing.T) {
	h := newHarness(t, nil)
	sid := h.openSession(t, h.tokA)
	for _, tt := range []struct {
		name, body string
		fast       bool // answered by the hot path
	}{
		{"json object", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getPet","arguments":{"id":"1"}}}`, true},
		{"array wrapped", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"listPets"}}`, true},
		{"404 is an error result", `{"jsonrpc":"2.0","id":"a\u00e9<&>","method":"tools/call","params":{"name":"getPet","arguments":{"id":"7"}}}`, true},
		{"redirect", `{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"getPet","arguments":{"id":"42"}}}`, true},
		{"invalid arguments", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"createPet","arguments":{"age":-1}}}`, true},
		{"arguments not an object", `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"createPet","arguments":[1]}}`, true},
		{"body sent", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"createPet","arguments":{"name":"Tom <&>"}}}`, true},
		{"no content", `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"deletePet","arguments":{"id":"1"}}}`, true},
		{"text", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"hello","_meta":{"progressToken":1}}}`, true},
		{"image", `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"pixel"}}`, true},
		{"output schema mismatch", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"countPets"}}`, true},
		{"unknown tool", `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"nope"}}`, false},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"hello"}}`, false},
		{"old JSON-RPC", `{"jsonrpc":"1.0","id":11,"method":"tools/call","params":{"name":"hello"}}`, false},
		{"task", `{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"hello","task":{"ttl":1}}}`, false},
		{"_meta not an object", `{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"hello","_meta":5}}`, false},
		{"multi-round-trip state", `{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"hello","requestState":5}}`, false},
		{"a result too", `{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"hello"},"result":1}`, false},
		// mcp-go decodes each params member into the same struct: the arguments of the first
		// stay when the last has none.
		{"params twice", `{"jsonrpc":"2.0","id":16,"method":"tools/call","params":{"name":"getPet","arguments":{"id":"7"}},"Params":{"name":"getPet"}}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := h.bridge
			want, err := json.Marshal(b.srv.HandleMessage(b.srv.WithContext(context.Background(), newDirectSession(sid)), []byte(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			if got := b.fastToolCall(context.Background(), rec, peek([]byte(tt.body))); got != tt.fast {
				t.Fatalf("fastToolCall took it = %v, want %v", got, tt.fast)
			}
			if tt.fast {
				sameJSON(t, rec.Body.String(), string(want))
			}
			resp, body := h.rawRequest(t, "POST", h.tokA, sid, "2025-06-18", tt.body, nil)
			if string(want) == "null" { // mcp-go takes it for a notification
				if resp.StatusCode != http.StatusAccepted || body != "" {
					t.Errorf("POST /mcp = %d %q, want 202 and no body", resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("POST /mcp = %d %s, want 200", resp.StatusCode, body)
			}
			sameJSON(t, body, string(want))
		})
	}
}

// TestFastToolCallSearchMode: in search mode the three search tools take the hot path too,
// with the same answers as mcp-go gives.
func TestFastToolCallSearchMode(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Mode = "search" })
	sid := h.openSession(t, h.tokA)
	for _, tt := range []struct {
		body string
		fast bool
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_tools","arguments":{"query":"pet by id"}}}`, true},
		{`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"describe_tool","arguments":{"name":"getPet"}}}`, true},
		{`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"call_tool","arguments":{"name":"getPet","arguments":{"id":"1"}}}}`, true},
	} {
		b := h.bridge
		want, err := json.Marshal(b.srv.HandleMessage(b.srv.WithContext(context.Background(), newDirectSession(sid)), []byte(tt.body)))
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if got := b.fastToolCall(context.Background(), rec, peek([]byte(tt.body))); got != tt.fast {
			t.Fatalf("%s: fastToolCall took it = %v, want %v", tt.body, got, tt.fast)
		}
		sameJSON(t, rec.Body.String(), string(want))
	}
}

// sameJSON checks that got is one JSON value, ending in a newline, equal to want's.
func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	if !strings.HasSuffix(got, "}\n") {
		t.Errorf("answer %q does not end in one newline", got)
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("answer %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("hot path answered\n%s\nmcp-go answers\n%s", got, want)
	}
}

// TestCancelledNotificationEndsCall: notifications/cancelled naming a tools/call in flight
// ends it, in the same session only.
func TestCancelledNotificationEndsCall(t *testing.T) {
	for _, cancel := range []string{
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":77}}`,
		// encoding/json, and so mcp-go, merges a repeated "params": the id is the first's.
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":77},"Params":{"reason":"stop"}}`,
	} {
		testCancelled(t, cancel)
	}
}

func testCancelled(t *testing.T, cancel string) {
	t.Helper()
	h := newHarness(t, func(o *Options) { o.Timeout = 4 * time.Second })
	sid := h.openSession(t, h.tokA)
	other := h.openSession(t, h.tokA)
	done := make(chan string)
	start := time.Now()
	go func() {
		_, body := h.rawRequest(t, "POST", h.tokA, sid, "2025-06-18", `{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"slowPet"}}`, nil)
		done <- body
	}()
	time.Sleep(200 * time.Millisecond)
	// The same id in another session is another request: nothing happens.
	if resp, _ := h.rawRequest(t, "POST", h.tokA, other, "2025-06-18", cancel, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/cancelled in another session = %d, want 202", resp.StatusCode)
	}
	select {
	case body := <-done:
		t.Fatalf("a cancel in another session ended the call: %s", body)
	case <-time.After(300 * time.Millisecond):
	}
	if resp, _ := h.rawRequest(t, "POST", h.tokA, sid, "2025-06-18", cancel, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/cancelled = %d, want 202", resp.StatusCode)
	}
	body := <-done
	if took := time.Since(start); took > 2*time.Second || !strings.Contains(body, "cancelled") {
		t.Errorf("the cancelled call answered after %v: %s; want it ended at once with the cancellation", took, body)
	}
}

// FuzzReadCallParams: the hot path reads a tools/call's params as mcp-go does
// (encoding/json into a struct), or leaves the call to mcp-go.
func FuzzReadCallParams(f *testing.F) {
	for _, s := range []string{
		`{"name":"getPet","arguments":{"id":"1","n":[1.5,-0,{"a":null}]}}`,
		`{"NAME":"a","name":null,"Arguments":{},"arguments":{"x":1}}`,
		`{"name":"a","_meta":{"progressToken":1},"task":{}}`,
		`{"name":1}`, `{"name":"a","arguments":1e400}`, `{"\u006eame":"b"}`, `[]`, `{"name":"a"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, params []byte) {
		if len(params) > maxRequestBody || string(bytes.TrimSpace(params)) == "null" {
			return // a null params is read as no params, and left to mcp-go
		}
		var want struct {
			Name           string          `json:"name"`
			Arguments      any             `json:"arguments"`
			Meta           json.RawMessage `json:"_meta"`
			Task           json.RawMessage `json:"task"`
			InputResponses json.RawMessage `json:"inputResponses"`
			RequestState   json.RawMessage `json:"requestState"`
		}
		wantErr := json.Unmarshal(params, &want)
		got, ok := readCallParams(params)
		if ok != (wantErr == nil) {
			t.Fatalf("readCallParams(%q) ok = %v, encoding/json's error = %v", params, ok, wantErr)
		}
		if ok && !reflect.DeepEqual(got, callParams(want)) {
			t.Fatalf("readCallParams(%q) = %#v, encoding/json reads %#v", params, got, want)
		}
	})
}
