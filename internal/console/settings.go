package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/gateway"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// maxTimeoutSeconds bounds a function's upstream timeout, as jfn deploy --timeout does.
const maxTimeoutSeconds = 120

// settingsForm is the Settings section: what jfn deploy's flags set.
type settingsForm struct {
	Upstream, OpenAPI string
	Public, MCP       bool
	Timeout           string // whole seconds
	Mode              string
	Toolsets          string // comma-separated
	CORS              string // comma-separated
}

// Modes are the catalogue modes the Settings form offers.
var Modes = []string{catalog.ModeAuto, catalog.ModeAll, catalog.ModeSearch}

func settingsOf(f store.Function) settingsForm {
	mode := f.MCPMode
	if mode == "" {
		mode = catalog.ModeAuto
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = service.DefaultTimeout
	}
	return settingsForm{
		Upstream: f.Upstream, OpenAPI: f.OpenAPIURL, Public: f.Public, MCP: f.MCP,
		Timeout: strconv.Itoa(int(timeout / time.Second)), Mode: mode,
		Toolsets: strings.Join(f.MCPToolsets, ","), CORS: strings.Join(f.CORSOrigins, ","),
	}
}

// deployParams checks the form as jfn deploy checks its flags and returns what to change,
// or a sentence saying what is wrong.
func (s settingsForm) deployParams(name string) (service.DeployParams, string) {
	p := service.DeployParams{Name: name, Upstream: s.Upstream, Public: &s.Public, MCP: &s.MCP}
	if !absoluteURL(s.Upstream) {
		return p, "The upstream URL must be an absolute http:// or https:// URL without a query."
	}
	if s.OpenAPI != "" && !absoluteURL(s.OpenAPI) {
		return p, "The OpenAPI URL must be an absolute http:// or https:// URL without a query, or empty for <upstream>/openapi.json."
	}
	p.OpenAPI = &s.OpenAPI
	n, err := strconv.Atoi(s.Timeout)
	if err != nil || n < 1 || n > maxTimeoutSeconds {
		return p, "The timeout must be a whole number of seconds from 1 to 120."
	}
	timeout := time.Duration(n) * time.Second
	p.Timeout = &timeout
	mode, err := catalog.ParseMode(s.Mode)
	if err != nil || s.Mode == "" {
		return p, "The catalogue mode must be auto, all or search."
	}
	p.Mode = &mode
	toolsets := catalog.ParseToolsets(s.Toolsets)
	for _, ts := range toolsets {
		if openapi.ToolsetName(ts) != ts {
			return p, "Toolset " + strconv.Quote(ts) + " is not a toolset name: toolsets are OpenAPI tags written as tool names are (letters, digits, _ and -)."
		}
	}
	p.Toolsets = &toolsets
	cors, err := gateway.ParseCORSOrigins(s.CORS)
	if err != nil {
		return p, "The CORS origins are not valid: " + err.Error()
	}
	p.CORS = &cors
	return p, ""
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}

func (c *Console) saveSettings(w http.ResponseWriter, r *http.Request) {
	p, ok := c.loadFunction(w, r)
	if !ok {
		return
	}
	form := settingsForm{
		Upstream: strings.TrimSpace(r.PostFormValue("upstream")),
		OpenAPI:  strings.TrimSpace(r.PostFormValue("openapi")),
		Public:   r.PostFormValue("public") == "on",
		MCP:      r.PostFormValue("mcp") == "on",
		Timeout:  strings.TrimSpace(r.PostFormValue("timeout")),
		Mode:     r.PostFormValue("mode"),
		Toolsets: r.PostFormValue("toolsets"),
		CORS:     r.PostFormValue("cors"),
	}
	params, problem := form.deployParams(p.Name)
	if problem == "" {
		if _, err := c.b.Deploy(r.Context(), params); err != nil {
			c.log.Error().Err(err).Str("function", p.Name).Msg("console: save settings")
			problem = "The settings could not be saved: " + err.Error()
		}
	}
	if problem != "" {
		p.Settings, p.SettingsProblem = form, problem
		c.render(w, r, http.StatusBadRequest, "function", p)
		return
	}
	c.log.Info().Str("function", p.Name).Msg("console: settings saved")
	http.Redirect(w, r, "/functions/"+url.PathEscape(p.Name)+"?saved=1#settings", http.StatusSeeOther)
}
