package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/internal/jfntest"
	"github.com/jfnhq/jfn/mcp/mcptest"
)

// newBigAPI starts an upstream with a document too big for "all" mode: 30 issue tools, 20
// pull request tools and 10 untagged ones, one of which takes a bracketed query parameter.
// It records every call.
func newBigAPI(t *testing.T) *jfntest.Upstream {
	t.Helper()
	var paths []string
	op := func(path, method, id, tag, summary, params string) {
		tags := ""
		if tag != "" {
			tags = fmt.Sprintf(`"tags":[%q],`, tag)
		}
		paths = append(paths, fmt.Sprintf(`%q:{%q:{"operationId":%q,%s"summary":%q,"parameters":[%s],`+
			`"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"type":"object"}}}}}}}`,
			path, method, id, tags, summary, params))
	}
	owner := `{"name":"owner","in":"path","required":true,"schema":{"type":"string"}}`
	op("/repos/{owner}/issues", "get", "listIssues", "issues", "List the issues of a repository",
		owner+`,{"name":"filter[state]","in":"query","description":"open or closed","schema":{"type":"string"}}`)
	for i := range 29 {
		op(fmt.Sprintf("/repos/{owner}/issues/x%d", i), "get", fmt.Sprintf("issueThing%d", i), "issues", fmt.Sprintf("Issue label operation number %d", i), owner)
	}
	op("/repos/{owner}/pulls/{number}/merge", "put", "mergePull", "pulls", "Merge a pull request",
		owner+`,{"name":"number","in":"path","required":true,"schema":{"type":"integer"}},{"name":"merge_method","in":"query","schema":{"type":"string","enum":["merge","squash","rebase"]}}`)
	for i := range 19 {
		op(fmt.Sprintf("/repos/{owner}/pulls/x%d", i), "get", fmt.Sprintf("pullThing%d", i), "pulls", fmt.Sprintf("Review comment operation number %d", i), owner)
	}
	for i := range 10 {
		op(fmt.Sprintf("/misc/x%d", i), "get", fmt.Sprintf("misc%d", i), "", fmt.Sprintf("Miscellaneous operation number %d", i), "")
	}
	doc := `{"openapi":"3.0.3","info":{"title":"big","version":"1"},"paths":{` + strings.Join(paths, ",") + `}}`
	return jfntest.NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == jfntest.DocumentPath {
			io.WriteString(w, doc)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ran":%q}`, r.Method+" "+r.URL.Path)
	}))
}

// lastCall returns the last call up received as "METHOD requestURI body", or "" before any.
func lastCall(up *jfntest.Upstream) string {
	calls := up.Calls()
	if len(calls) == 0 {
		return ""
	}
	c := calls[len(calls)-1]
	return c.Method + " " + c.RequestURI + " " + string(c.Body)
}

func TestMCPCatalogueModes(t *testing.T) {
	s := startServer(t)
	up := newBigAPI(t)
	tok := deployed(t, s.db, "big", up.URL)
	s.waitFunctions(t, "big")
	s.waitHealthy(t, "big")
	base := s.URL() + "/big/mcp"
	s.waitToken(t, base, tok)

	// 60 tools are past the auto bounds: the default connection is in search mode.
	c := mcptest.Connect(t, base, &mcptest.Options{Token: tok})
	if got := mcptest.ToolNames(t, c); !slices.Equal(got, []string{"search_tools", "describe_tool", "call_tool"}) {
		t.Fatalf("tools/list in the default (auto) mode of 60 tools = %v, want the three search tools", got)
	}

	// search → describe → call.
	res := mcptest.CallTool(t, c, "search_tools", map[string]any{"query": "merge pull request 42 with squash", "limit": 3})
	var found struct {
		Results []struct {
			Name, Title, Summary, Method, Path string
			Toolsets                           []string
			Score                              float64
		}
		Total int
	}
	if err := json.Unmarshal([]byte(structured(t, res)), &found); err != nil || res.IsError {
		t.Fatalf("search_tools: %v, isError %v, %s", err, res.IsError, mcptest.Text(res))
	}
	if len(found.Results) == 0 || found.Total < len(found.Results) || found.Results[0].Name != "mergePull" ||
		found.Results[0].Method != "PUT" || found.Results[0].Path != "/repos/{owner}/pulls/{number}/merge" ||
		!slices.Equal(found.Results[0].Toolsets, []string{"pulls"}) || found.Results[0].Summary == "" || found.Results[0].Score <= 0 {
		t.Errorf("search_tools for merging a pull request = %+v, want mergePull first with its method, path, toolsets, summary and score", found)
	}
	res = mcptest.CallTool(t, c, "describe_tool", map[string]any{"name": "listIssues"})
	desc := structured(t, res)
	if res.IsError || !strings.Contains(desc, `"filter.state"`) || !strings.Contains(desc, `(sent as \"filter[state]\")`) || !strings.Contains(desc, `"annotations"`) {
		t.Errorf("describe_tool listIssues = %s, want its input schema with filter.state (sent as filter[state]) and annotations", desc)
	}
	res = mcptest.CallTool(t, c, "call_tool", map[string]any{"name": "listIssues", "arguments": map[string]any{"owner": "acme", "filter.state": "open"}})
	if res.IsError || !strings.Contains(structured(t, res), `"ran":"GET /repos/acme/issues"`) {
		t.Errorf("call_tool listIssues = %s %s, want the upstream's answer", mcptest.Text(res), structured(t, res))
	}
	if got := lastCall(up); got != "GET /repos/acme/issues?filter%5Bstate%5D=open " {
		t.Errorf("call_tool listIssues reached the upstream as %q, want the bracketed name as written", got)
	}
	viaSearch := structured(t, res)
	res = mcptest.CallTool(t, c, "call_tool", map[string]any{"name": "mergePull", "arguments": map[string]any{"owner": "acme", "number": 42, "merge_method": "squash"}})
	if res.IsError || lastCall(up) != "PUT /repos/acme/pulls/42/merge?merge_method=squash " {
		t.Errorf("call_tool mergePull: %s; upstream saw %q", mcptest.Text(res), lastCall(up))
	}
	res = mcptest.CallTool(t, c, "call_tool", map[string]any{"name": "mergePull", "arguments": map[string]any{"owner": "acme", "number": "forty-two"}})
	if !res.IsError || !strings.Contains(mcptest.Text(res), "number") {
		t.Errorf("call_tool with a bad argument = %s, want isError naming the field", mcptest.Text(res))
	}
	res = mcptest.CallTool(t, c, "call_tool", map[string]any{"name": "mergePul", "arguments": map[string]any{}})
	if !res.IsError || !strings.Contains(mcptest.Text(res), "mergePull") {
		t.Errorf("call_tool with a misspelt name = %s, want isError with close matches", mcptest.Text(res))
	}

	// mode=all with a toolset lists exactly that toolset, and a direct call gives what
	// call_tool gave.
	all := mcptest.Connect(t, base+"?mode=all&toolsets=pulls", &mcptest.Options{Token: tok})
	names := mcptest.ToolNames(t, all)
	if len(names) != 20 || !slices.Contains(names, "mergePull") || slices.Contains(names, "listIssues") {
		t.Errorf("tools/list with ?mode=all&toolsets=pulls = %d tools %v, want the 20 pull tools", len(names), names)
	}
	issues := mcptest.Connect(t, base+"?mode=all&toolsets=issues", &mcptest.Options{Token: tok})
	res = mcptest.CallTool(t, issues, "listIssues", map[string]any{"owner": "acme", "filter.state": "open"})
	if got := structured(t, res); got != viaSearch {
		t.Errorf("direct tools/call = %s, call_tool gave %s; want the same result", got, viaSearch)
	}
	ctx := t.Context()
	if _, err := all.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "listIssues", Arguments: map[string]any{"owner": "a"}}}); err == nil {
		t.Error("tools/call of a tool outside the connection's toolsets succeeded, want not found")
	}

	// Unknown toolsets and modes are a clear 400.
	code, _, body := mcpRequest{method: "POST", token: tok, body: rpc("initialize", map[string]any{
		"protocolVersion": sessionVersion, "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "raw", "version": "1"},
	})}.do(t, base+"?toolsets=pulls,nope")
	if code != http.StatusBadRequest || !strings.Contains(body, `\"nope\"`) || !strings.Contains(body, "issues") || !strings.Contains(body, "untagged") {
		t.Errorf("?toolsets=pulls,nope = %d %s, want 400 naming nope and listing the valid toolsets", code, body)
	}
	code, _, body = mcpRequest{method: "POST", token: tok, body: rpc("initialize", map[string]any{
		"protocolVersion": sessionVersion, "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "raw", "version": "1"},
	})}.do(t, base+"?mode=most")
	if code != http.StatusBadRequest || !strings.Contains(body, "mode") {
		t.Errorf("?mode=most = %d %s, want 400", code, body)
	}

	// functions info says what a default connection sees; a deploy sets the defaults.
	if out := mustCLI(t, s.db, "functions", "info", "big").stdout; !strings.Contains(out, "search (auto), 60 of 60 tools selected") {
		t.Errorf("functions info big = %q, want its catalogue: search (auto), 60 of 60 tools", out)
	}
	mustCLI(t, s.db, "deploy", "big", "--mcp-mode", "all", "--mcp-toolsets", "issues")
	if out := mustCLI(t, s.db, "functions", "info", "big").stdout; !strings.Contains(out, "all, 30 of 60 tools selected") || !strings.Contains(out, "toolsets issues") {
		t.Errorf("functions info big after deploy = %q, want all, 30 of 60 tools, toolsets issues", out)
	}
	if r := cli(t, s.db, "deploy", "big", "--mcp-mode", "most"); r.code != 2 {
		t.Errorf("deploy --mcp-mode most: exit %d, want 2", r.code)
	}
	if r := cli(t, s.db, "deploy", "big", "--mcp-toolsets", "bad name"); r.code != 2 {
		t.Errorf("deploy --mcp-toolsets 'bad name': exit %d, want 2", r.code)
	}
	jfntest.Eventually(t, 3*time.Second, "after deploy --mcp-mode all --mcp-toolsets issues, the default connection lists the 30 issue tools", func() bool {
		d := mcptest.Connect(t, base, &mcptest.Options{Token: tok})
		got := mcptest.ToolNames(t, d)
		return len(got) == 30 && slices.Contains(got, "listIssues")
	})
}
