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
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/internal/store"
)

// maxTimeoutSeconds is the longest upstream timeout, in the form's unit.
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

// deployParams checks the form as jfn deploy checks its flags (service.DeploySettings.Params)
// and returns what to change, or a sentence saying what is wrong.
func (s settingsForm) deployParams(name string) (service.DeployParams, string) {
	// A timeout that is not a whole number of seconds is refused in its turn, as 0s.
	var timeout time.Duration
	if n, err := strconv.ParseInt(s.Timeout, 10, 32); err == nil {
		timeout = time.Duration(n) * time.Second
	}
	p, err := service.DeploySettings{
		Name: name, Upstream: &s.Upstream, OpenAPI: &s.OpenAPI, Public: &s.Public, Timeout: &timeout,
		MCP: &s.MCP, Mode: &s.Mode, Toolsets: &s.Toolsets, CORS: &s.CORS,
	}.Params()
	if err != nil {
		return p, settingProblem(err)
	}
	return p, ""
}

// settingProblem words a deploy setting that service.DeploySettings.Params refused, for the
// page.
func settingProblem(err error) string {
	var bad *service.SettingError
	if !errors.As(err, &bad) {
		return err.Error()
	}
	switch bad.Setting {
	case service.SettingName:
		return "The name must be 1 to 63 lowercase letters, digits and inner hyphens (a DNS label)."
	case service.SettingUpstream:
		return "The upstream URL must be an absolute http:// or https:// URL without a query."
	case service.SettingOpenAPI:
		return "The OpenAPI URL must be an absolute http:// or https:// URL without a query, or empty for <upstream>/openapi.json."
	case service.SettingTimeout:
		return fmt.Sprintf("The timeout must be a whole number of seconds from 1 to %d.", maxTimeoutSeconds)
	case service.SettingMode:
		return "The catalogue mode must be auto, all or search."
	case service.SettingToolsets:
		return fmt.Sprintf("Toolset %q is not a toolset name: %v.", bad.Value, bad.Err)
	case service.SettingCORS:
		return "The CORS origins are not valid: " + bad.Err.Error()
	}
	return err.Error()
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

// rotateSecret asks for confirmation (a page with its own Rotate button, which works without
// script), then gives the function a new signing secret, as jfn functions rotate-secret does,
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
	if r.PostFormValue("confirm") != "yes" {
		c.render(w, r, http.StatusOK, "confirm", confirmPage{Function: p.Name, Rotate: true, Grace: p.Grace, GraceTime: grace})
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
