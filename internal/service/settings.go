package service

import (
	"errors"
	"fmt"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/origin"
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// DeploySettings are a deploy's settings as people give them: jfn deploy's flags, the
// console's forms. A nil setting keeps the function's current value.
type DeploySettings struct {
	Name     string
	Upstream *string // an absolute http or https URL
	OpenAPI  *string // the same, or "" for <upstream>/openapi.json
	Public   *bool
	Timeout  *time.Duration // more than 0 and at most store.MaxTimeout
	MCP      *bool
	Mode     *string // auto, all or search
	Toolsets *string // comma-separated toolset names
	CORS     *string // comma-separated origins, or *
}

// The settings a SettingError names.
const (
	SettingName     = "name"
	SettingUpstream = "upstream"
	SettingOpenAPI  = "openapi"
	SettingTimeout  = "timeout"
	SettingMode     = "mode"
	SettingToolsets = "toolsets"
	SettingCORS     = "cors"
)

// A SettingError is a deploy setting that DeploySettings.Params refuses: which one (a
// Setting constant), the value refused (for toolsets, the one name), and why. Callers word
// it in their own terms.
type SettingError struct {
	Setting string
	Value   string
	Err     error
}

func (e *SettingError) Error() string {
	return fmt.Sprintf("invalid %s %q: %v", e.Setting, e.Value, e.Err)
}

func (e *SettingError) Unwrap() error { return e.Err }

// Params checks s, a setting at a time in the order of DeploySettings, and returns the deploy
// it asks for. The first setting refused is a *SettingError.
func (s DeploySettings) Params() (DeployParams, error) {
	p := DeployParams{Name: s.Name, OpenAPI: s.OpenAPI, Public: s.Public, Timeout: s.Timeout, MCP: s.MCP}
	if err := CheckName(s.Name); err != nil {
		return p, &SettingError{SettingName, s.Name, err}
	}
	if s.Upstream != nil {
		if err := CheckBaseURL(*s.Upstream); err != nil {
			return p, &SettingError{SettingUpstream, *s.Upstream, err}
		}
		p.Upstream = *s.Upstream
	}
	if s.OpenAPI != nil && *s.OpenAPI != "" {
		if err := CheckBaseURL(*s.OpenAPI); err != nil {
			return p, &SettingError{SettingOpenAPI, *s.OpenAPI, err}
		}
	}
	if s.Timeout != nil && (*s.Timeout <= 0 || *s.Timeout > store.MaxTimeout) {
		return p, &SettingError{SettingTimeout, s.Timeout.String(), fmt.Errorf("want more than 0 and at most %v", store.MaxTimeout)}
	}
	if s.Mode != nil {
		mode, err := catalog.ParseMode(*s.Mode)
		if err != nil || *s.Mode == "" {
			return p, &SettingError{SettingMode, *s.Mode, errors.New("want auto, all or search")}
		}
		p.Mode = &mode
	}
	if s.Toolsets != nil {
		toolsets := catalog.ParseToolsets(*s.Toolsets)
		for _, name := range toolsets {
			if openapi.ToolsetName(name) != name {
				return p, &SettingError{SettingToolsets, name, errors.New("toolsets are OpenAPI tags written as tool names are (letters, digits, _ and -)")}
			}
		}
		p.Toolsets = &toolsets
	}
	if s.CORS != nil {
		origins, err := origin.ParseList(*s.CORS)
		if err != nil {
			return p, &SettingError{SettingCORS, *s.CORS, err}
		}
		p.CORS = &origins
	}
	return p, nil
}
