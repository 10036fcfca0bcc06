package console

import (
	"errors"
	"fmt"
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
const maxTimeoutSeconds = int(store.MaxTimeout / time.Second)

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
	timeout := f.EffectiveTimeout()
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
	if service.CheckBaseURL(s.Upstream) != nil {
		return p, "The upstream URL must be an absolute http:// or https:// URL without a query."
	}
	if s.OpenAPI != "" && service.CheckBaseURL(s.OpenAPI) != nil {
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

// refresh makes every server fetch the function's document again, as jfn functions refresh
// does, and shows what it turns into now.
func (c *Console) refresh(w http.ResponseWriter, r *http.Request) {
	p, ok := c.loadFunction(w, r)
	if !ok {
		return
	}
	res, err := c.b.RefreshFunction(r.Context(), p.Name)
	switch {
	case err != nil:
		c.log.Error().Err(err).Str("function", p.Name).Msg("console: refresh")
		p.RefreshProblem = "The document could not be refreshed: " + err.Error()
		c.render(w, r, http.StatusInternalServerError, "function", p)
		return
	case res.FetchErr != nil:
		p.RefreshProblem = "The OpenAPI document could not be loaded: " + res.FetchErr.Error() +
			" (running servers keep their last good tools and retry)."
	default:
		noun := "tools"
		if len(res.Tools) == 1 {
			noun = "tool"
		}
		p.Refreshed = fmt.Sprintf("Refreshed: %d %s. Running servers fetch the document again within a second.", len(res.Tools), noun)
	}
	c.log.Info().Str("function", p.Name).Int("tools", len(res.Tools)).Bool("loaded", res.FetchErr == nil).Msg("console: document refreshed")
	c.render(w, r, http.StatusOK, "function", p)
}

// rotateSecret gives the function a new signing secret, as jfn functions rotate-secret does,
// and shows it in this response only.
func (c *Console) rotateSecret(w http.ResponseWriter, r *http.Request) {
	p, ok := c.loadFunction(w, r)
	if !ok {
		return
	}
	p.Grace = strings.TrimSpace(r.PostFormValue("grace"))
	grace, valid := service.ParseGrace(p.Grace)
	if !valid {
		p.RotateProblem = "The grace period must be 0 or a duration up to 30d, such as 24h or 7d."
		c.render(w, r, http.StatusBadRequest, "function", p)
		return
	}
	f, err := c.b.RotateSecret(r.Context(), p.Name, grace)
	if err != nil {
		c.log.Error().Err(err).Str("function", p.Name).Msg("console: rotate secret")
		p.RotateProblem = "The signing secret could not be rotated: " + err.Error()
		c.render(w, r, http.StatusInternalServerError, "function", p)
		return
	}
	c.log.Info().Str("function", p.Name).Dur("grace", grace).Msg("console: signing secret rotated")
	p.Grace = "24h"
	p.NewSecret = f.SigningSecret
	p.PreviousUntil = "no longer accepted"
	if len(f.PreviousSecrets) > 0 { // the first is the secret this rotation replaced
		p.PreviousUntil = "accepted until " + when(f.PreviousSecrets[0].ExpiresAt)
	}
	c.render(w, r, http.StatusOK, "function", p)
}

// deleteFunction asks for confirmation (a page with its own Delete button, which works
// without script), then deletes the function as jfn functions delete does.
func (c *Console) deleteFunction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	tokens, err := c.b.ListTokens(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		c.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found", Text: fmt.Sprintf("There is no function %q.", name)})
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		c.render(w, r, http.StatusOK, "confirm", confirmPage{Function: name, Delete: true, Tokens: len(tokens)})
		return
	}
	if err := c.b.DeleteFunction(r.Context(), name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			c.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found", Text: fmt.Sprintf("There is no function %q.", name)})
			return
		}
		c.log.Error().Err(err).Str("function", name).Msg("console: delete")
		c.render(w, r, http.StatusInternalServerError, "message", messagePage{Title: "Not deleted", Text: "The function could not be deleted: " + err.Error()})
		return
	}
	c.log.Info().Str("function", name).Msg("console: function deleted")
	http.Redirect(w, r, "/?deleted="+url.QueryEscape(name), http.StatusSeeOther)
}
