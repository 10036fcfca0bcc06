package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/cron"
	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

var pageNames = []string{"functions", "function", "login", "message", "confirm"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"join": strings.Join}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// layout is what every page's frame needs.
type layout struct {
	Title  string
	Logout bool // an admin token is set: offer to log out
	Page   any
}

// render writes page name with data, buffered so that a template error is a clean 500.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	title := map[string]string{"functions": "Functions", "login": "Log in", "confirm": "Confirm"}[name]
	switch p := data.(type) {
	case *functionPage:
		title = p.Name
	case messagePage:
		title = p.Title
	}
	var buf bytes.Buffer
	l := layout{Title: title, Logout: c.opts.AdminToken != "" && name != "login", Page: data}
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", l); err != nil {
		c.log.Error().Err(err).Str("page", name).Msg("console page failed")
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type messagePage struct {
	Title, Text string
}

// functionRow is one row of the functions table, and of /functions.json, which the page's
// script polls to refresh the table.
type functionRow struct {
	Name       string `json:"name"`
	URL        string `json:"url"`
	Public     bool   `json:"public"`
	Status     string `json:"status"` // ok, loading or error
	Problem    string `json:"problem"`
	Loaded     string `json:"loaded"` // when the document last loaded (or was confirmed current); "never"
	Tried      string `json:"tried"`  // when the latest fetch ended; "" before the first
	Tools      int    `json:"tools"`
	Mode       string `json:"mode"`
	ToolsText  string `json:"toolsText"` // "5 (all)", or "—" without a document
	Tokens     int    `json:"tokens"`
	LastDeploy string `json:"lastDeploy"`
	Requests   uint64 `json:"requests"`
	Errors     uint64 `json:"errors"`
	ErrorRate  string `json:"errorRate"` // "25.0% (1 of 4)", or "—" before the first request
}

type functionsPage struct {
	Deleted   string
	Functions []functionRow
	Problem   string
	Created   *createdFunction
	Form      deployForm
}

type createdFunction struct {
	Name, URL, Token string
}

type deployForm struct {
	Name, Upstream string
	Public         bool
}

func (c *Console) functionsPage(w http.ResponseWriter, r *http.Request) {
	p := &functionsPage{}
	if d := r.URL.Query().Get("deleted"); service.ValidName(d) {
		p.Deleted = d
	}
	c.showFunctions(w, r, http.StatusOK, p)
}

func (c *Console) showFunctions(w http.ResponseWriter, r *http.Request, status int, p *functionsPage) {
	var err error
	if p.Functions, err = c.functionRows(r.Context()); err != nil {
		p.Problem = "The functions could not be read from the store."
	}
	c.render(w, r, status, "functions", p)
}

// functionsJSON answers the functions table's rows as JSON, for the page's refresh.
func (c *Console) functionsJSON(w http.ResponseWriter, r *http.Request) {
	rows, err := c.functionRows(r.Context())
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "The functions could not be read from the store."})
		return
	}
	if rows == nil {
		rows = []functionRow{}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"functions": rows})
}

// functionRows reads the functions table: each function from the store, its document as the
// gateway serves it now, and its requests from the gateway's counters.
func (c *Console) functionRows(ctx context.Context) ([]functionRow, error) {
	fns, err := c.b.ListFunctions(ctx)
	if err != nil {
		c.log.Error().Err(err).Msg("console: list functions")
		return nil, err
	}
	var rows []functionRow
	for _, f := range fns {
		row := functionRow{Name: f.Name, URL: c.b.FunctionURL(f.Name), Public: f.Public, Status: "loading",
			LastDeploy: when(f.UpdatedAt), Loaded: "never", ToolsText: "—", ErrorRate: "—"}
		if st, ok := c.b.FunctionState(f.Name); ok {
			row.Problem, row.Loaded = st.Problem, when(st.FetchedAt)
			if !st.TriedAt.IsZero() {
				row.Tried = whenSecond(st.TriedAt)
			}
			switch {
			case st.Loaded:
				row.Status = "ok"
				row.Tools = len(st.Tools)
				row.Mode = catalogueOf(st).Mode
				row.ToolsText = fmt.Sprintf("%d (%s)", row.Tools, row.Mode)
			case st.Problem != "":
				row.Status = "error"
			}
		}
		rc := c.b.RequestCounts(f.Name)
		row.Requests, row.Errors = rc.Total, rc.Errors
		if rc.Total > 0 {
			row.ErrorRate = fmt.Sprintf("%.1f%% (%d of %d)", 100*float64(rc.Errors)/float64(rc.Total), rc.Errors, rc.Total)
		}
		if ts, err := c.b.ListTokens(ctx, f.Name); err == nil {
			row.Tokens = len(ts)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (c *Console) deploy(w http.ResponseWriter, r *http.Request) {
	form := deployForm{
		Name:     strings.TrimSpace(r.PostFormValue("name")),
		Upstream: strings.TrimSpace(r.PostFormValue("upstream")),
		Public:   r.PostFormValue("public") == "on",
	}
	fail := func(msg string) {
		c.showFunctions(w, r, http.StatusBadRequest, &functionsPage{Problem: msg, Form: form})
	}
	public := form.Public
	params, err := service.DeploySettings{Name: form.Name, Upstream: &form.Upstream, Public: &public}.Params()
	if err != nil {
		fail(settingProblem(err))
		return
	}
	res, err := c.b.Deploy(r.Context(), params)
	if err != nil {
		c.log.Error().Err(err).Str("function", form.Name).Msg("console: deploy")
		fail("The function could not be deployed: " + err.Error())
		return
	}
	c.log.Info().Str("function", form.Name).Bool("created", res.Created).Msg("console: deployed")
	p := &functionsPage{}
	if res.Created {
		p.Created = &createdFunction{Name: form.Name, URL: c.b.FunctionURL(form.Name), Token: res.Token}
	} else {
		p.Created = &createdFunction{Name: form.Name, URL: c.b.FunctionURL(form.Name)}
	}
	c.showFunctions(w, r, http.StatusOK, p)
}

// toolView is one tool in the Tools section.
type toolView struct {
	Name, Title, Description string
	Annotations              []string
	Params                   []field
	Method, Path             string
	Toolsets                 []string
}

type tokenRow struct {
	ID, Name, Prefix, Created, LastUsed, Expires string
}

type functionPage struct {
	Name, URL, Upstream string
	Public, MCP         bool
	Status, Problem     string
	FetchedAt           string

	Mode, ModeSetting string
	Toolsets          []string
	Size              string
	Tools             []toolView

	Query    string
	Searched bool
	Results  []catalog.SearchResult

	ToolNames  []string
	Selected   string
	Fields     []field
	TryProblem string
	Result     string
	IsError    bool
	Called     bool

	Schedules []scheduleRow
	Skipped   []string
	Runs      []runRow

	Settings        settingsForm
	SettingsSaved   bool
	Modes           []string
	SettingsProblem string
	Refreshed       string // the outcome of Refresh document
	RefreshProblem  string
	Grace           string
	NewSecret       string // the rotated signing secret, in this one response only
	RotateProblem   string
	PreviousUntil   string // "accepted until …" or "no longer accepted": the old secret

	Tokens       []tokenRow
	NewToken     *tokenSecret
	TokenProblem string
	TokenName    string

	MCPURL, ClientJSON, Inspector string
}

type scheduleRow struct {
	Name, Expression, Timezone, Operation, Next string
}

type runRow struct {
	Fired, Schedule, State, Status, Duration, Error string
}

// maxRuns is how many recent cron runs the Cron section shows.
const maxRuns = 20

type tokenSecret struct {
	Name, Secret string
}

func (c *Console) functionPage(w http.ResponseWriter, r *http.Request) {
	p, ok := c.loadFunction(w, r)
	if !ok {
		return
	}
	c.render(w, r, http.StatusOK, "function", p)
}

// loadFunction builds the function page of the request's {name}, with the Tools search and
// the Try tool the query asks for; it answers 404 itself when there is no such function.
func (c *Console) loadFunction(w http.ResponseWriter, r *http.Request) (*functionPage, bool) {
	name := r.PathValue("name")
	tokens, err := c.b.ListTokens(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		c.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found", Text: fmt.Sprintf("There is no function %q.", name)})
		return nil, false
	}
	p := &functionPage{Name: name, URL: c.b.FunctionURL(name), Status: "loading", Modes: Modes, Grace: "24h"}
	if err != nil {
		c.log.Error().Err(err).Str("function", name).Msg("console: list tokens")
		p.TokenProblem = "The tokens could not be read from the store."
	}
	for _, t := range tokens {
		p.Tokens = append(p.Tokens, tokenRow{ID: t.ID, Name: t.Name, Prefix: t.Prefix,
			Created: when(t.CreatedAt), LastUsed: when(t.LastUsedAt), Expires: when(t.ExpiresAt)})
	}
	st, served := c.b.FunctionState(name)
	if served {
		f := st.Function
		p.Upstream, p.Public, p.MCP, p.Problem = f.Upstream, f.Public, f.MCP, st.Problem
		if st.Loaded {
			p.Status, p.FetchedAt = "ok", when(st.FetchedAt)
			v := catalogueOf(st)
			p.Mode, p.ModeSetting, p.Toolsets, p.Size = v.Mode, f.MCPMode, v.Toolsets, catalog.SizeWords(v.ListedBytes())
			if p.ModeSetting == "" {
				p.ModeSetting = catalog.ModeAuto
			}
			for _, t := range st.Tools {
				p.Tools = append(p.Tools, newToolView(t))
				p.ToolNames = append(p.ToolNames, t.Name)
			}
			schedules, skipped := cron.FromSpec(st.Spec)
			now := time.Now()
			for _, sc := range schedules {
				p.Schedules = append(p.Schedules, scheduleRow{Name: sc.Name, Expression: sc.Expression,
					Timezone: sc.Timezone, Operation: sc.Operation(), Next: whenSecond(sc.Next(now))})
			}
			for _, sk := range skipped {
				p.Skipped = append(p.Skipped, sk.Operation+": "+sk.Reason)
			}
		} else if st.Problem != "" {
			p.Status = "error"
		}
	}
	runs, err := c.b.ListCronRuns(r.Context(), name, maxRuns)
	if err != nil {
		c.log.Error().Err(err).Str("function", name).Msg("console: list cron runs")
	}
	for _, run := range runs {
		row := runRow{Fired: whenSecond(run.FiredAt), Schedule: run.Schedule, State: run.State, Status: "—",
			Duration: run.Duration.Round(time.Millisecond).String(), Error: run.Error}
		if run.Status != 0 {
			row.Status = fmt.Sprint(run.Status)
		}
		p.Runs = append(p.Runs, row)
	}
	if f, err := c.b.GetFunction(r.Context(), name); err == nil {
		p.Settings = settingsOf(f)
	}
	q := r.URL.Query()
	p.SettingsSaved = q.Get("saved") == "1"
	if p.Query = strings.TrimSpace(q.Get("q")); p.Query != "" {
		p.Searched = true
		p.Results, _ = c.b.SearchTools(name, p.Query, catalog.MaxSearchLimit)
	}
	p.Selected = q.Get("tool")
	if r.Method == http.MethodPost {
		p.Selected = r.PostFormValue("tool")
	}
	if p.Selected == "" && len(p.ToolNames) > 0 {
		p.Selected = p.ToolNames[0]
	}
	if i := slices.Index(p.ToolNames, p.Selected); i >= 0 {
		p.Fields = p.Tools[i].Params
	}
	p.MCPURL = p.URL + "/mcp"
	cfg, _ := json.MarshalIndent(map[string]any{"mcpServers": map[string]any{name: map[string]any{
		"url": p.MCPURL, "headers": map[string]string{"X-Jelou-Token": "jfn_rt_…"}}}}, "", "  ")
	p.ClientJSON = string(cfg)
	p.Inspector = "npx @modelcontextprotocol/inspector@2.12.0 --cli " + p.MCPURL +
		` --transport http --header "X-Jelou-Token: $TOKEN" --method tools/list`
	return p, true
}

func newToolView(t openapi.Tool) toolView {
	v := toolView{Name: t.Name, Title: t.Title, Description: t.Description, Method: t.Method, Path: t.Path,
		Toolsets: t.Toolsets, Params: fieldsOf(t)}
	v.Annotations = catalog.HintsOf(t.Annotations).Words()
	return v
}

// catalogueOf is what /mcp lists by default: the function's mode and toolsets over its tools
// (defaults the document no longer has are ignored, as the server ignores them).
func catalogueOf(st gateway.FunctionState) catalog.View {
	return catalog.Default(st.Tools, st.Function.MCPMode, st.Function.MCPToolsets)
}

func (c *Console) call(w http.ResponseWriter, r *http.Request) {
	p, ok := c.loadFunction(w, r)
	if !ok {
		return
	}
	args, problems := parseArgs(p.Fields, r.PostForm)
	for i := range p.Fields {
		p.Fields[i].Value = r.PostFormValue(p.Fields[i].Input)
	}
	if len(problems) > 0 {
		p.TryProblem = strings.Join(problems, " ")
		c.render(w, r, http.StatusBadRequest, "function", p)
		return
	}
	res, err := c.b.CallTool(r.Context(), Trigger, p.Name, p.Selected, args)
	if err != nil {
		p.TryProblem = "The tool could not be called: " + err.Error()
		c.render(w, r, http.StatusBadRequest, "function", p)
		return
	}
	var out bytes.Buffer
	if json.Indent(&out, res, "", "  ") != nil {
		out.Reset()
		out.Write(res)
	}
	var flag struct {
		IsError bool `json:"isError"`
	}
	_ = json.Unmarshal(res, &flag)
	p.Called, p.Result, p.IsError = true, out.String(), flag.IsError
	c.render(w, r, http.StatusOK, "function", p)
}

func (c *Console) createToken(w http.ResponseWriter, r *http.Request) {
	p, ok := c.loadFunction(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	p.TokenName = name
	var expires time.Duration
	if days := strings.TrimSpace(r.PostFormValue("expires")); days != "" {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n <= 0 || n > 3650 || fmt.Sprint(n) != days {
			p.TokenProblem = "The expiry must be a whole number of days from 1 to 3650, or empty for never."
			c.render(w, r, http.StatusBadRequest, "function", p)
			return
		}
		expires = time.Duration(n) * 24 * time.Hour
	}
	secret, t, err := c.b.CreateToken(r.Context(), p.Name, name, expires)
	if err != nil {
		p.TokenProblem = "The token could not be created: " + err.Error()
		c.render(w, r, http.StatusBadRequest, "function", p)
		return
	}
	c.log.Info().Str("function", p.Name).Str("token_id", t.ID).Msg("console: token created")
	p.TokenName = ""
	p.NewToken = &tokenSecret{Name: t.Name, Secret: secret}
	p.Tokens = append(p.Tokens, tokenRow{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Created: when(t.CreatedAt),
		LastUsed: when(t.LastUsedAt), Expires: when(t.ExpiresAt)})
	c.render(w, r, http.StatusOK, "function", p)
}

// confirmPage asks before revoking Token, deleting Function (and its Tokens tokens), or
// rotating its signing secret with the grace period Grace.
type confirmPage struct {
	Function  string
	Token     tokenRow
	Delete    bool
	Tokens    int
	Rotate    bool
	Grace     string        // as typed, sent again with the confirmation
	GraceTime time.Duration // 0: the old secret stops at once
}

// revokeToken asks for confirmation (a page with its own Revoke button, which works without
// script), then revokes.
func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request) {
	name, id := r.PathValue("name"), r.PathValue("id")
	tok, err := c.findToken(r, name, id)
	if err != nil {
		c.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found", Text: fmt.Sprintf("%s has no active token %s.", name, id)})
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		c.render(w, r, http.StatusOK, "confirm", confirmPage{Function: name, Token: tok})
		return
	}
	if err := c.b.RevokeToken(r.Context(), name, id); err != nil {
		c.log.Error().Err(err).Str("function", name).Str("token_id", id).Msg("console: revoke")
		c.render(w, r, http.StatusInternalServerError, "message", messagePage{Title: "Not revoked", Text: "The token could not be revoked: " + err.Error()})
		return
	}
	c.log.Info().Str("function", name).Str("token_id", id).Msg("console: token revoked")
	http.Redirect(w, r, "/functions/"+url.PathEscape(name)+"#tokens", http.StatusSeeOther)
}

func (c *Console) findToken(r *http.Request, function, id string) (tokenRow, error) {
	tokens, err := c.b.ListTokens(r.Context(), function)
	if err != nil {
		return tokenRow{}, err
	}
	for _, t := range tokens {
		if t.ID == id {
			return tokenRow{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Created: when(t.CreatedAt)}, nil
		}
	}
	return tokenRow{}, service.ErrNoToken
}

// when formats a time for a table; the zero time is "never".
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// whenSecond formats a fire time, to the second; the zero time is "never".
func whenSecond(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
