package service

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestDeploySettingsParams(t *testing.T) {
	str := func(s string) *string { return &s }
	dur := func(d time.Duration) *time.Duration { return &d }

	// Every setting given: the parsed deploy.
	yes, no := true, false
	p, err := DeploySettings{
		Name: "shop", Upstream: str("http://127.0.0.1:3000/"), OpenAPI: str(""), Public: &yes,
		Timeout: dur(120 * time.Second), MCP: &no, Mode: str(" SEARCH "), Toolsets: str("pets, users,pets"),
		CORS: str("https://App.example.com, *"),
	}.Params()
	want := DeployParams{
		Name: "shop", Upstream: "http://127.0.0.1:3000/", OpenAPI: str(""), Public: &yes, Timeout: dur(120 * time.Second),
		MCP: &no, Mode: str("search"), Toolsets: &[]string{"pets", "users"}, CORS: &[]string{"https://app.example.com", "*"},
	}
	if err != nil || !reflect.DeepEqual(p, want) {
		t.Errorf("Params() = %+v, %v; want %+v", p, err, want)
	}
	// None given: nothing changes.
	if p, err := (DeploySettings{Name: "shop"}).Params(); err != nil || !reflect.DeepEqual(p, DeployParams{Name: "shop"}) {
		t.Errorf("Params() of a name alone = %+v, %v; want only the name", p, err)
	}

	tests := []struct {
		name     string
		settings DeploySettings
		setting  string
		value    string
		err      string
	}{
		{"name", DeploySettings{Name: "Bad_Name"}, SettingName, "Bad_Name",
			"use 1 to 63 lowercase letters, digits and inner hyphens (a DNS label)"},
		{"empty upstream", DeploySettings{Name: "f", Upstream: str("")}, SettingUpstream, "",
			`"" is not an absolute http:// or https:// URL`},
		{"upstream query", DeploySettings{Name: "f", Upstream: str("http://x?q")}, SettingUpstream, "http://x?q",
			`"http://x?q" has a query or fragment`},
		{"openapi", DeploySettings{Name: "f", OpenAPI: str("ftp://x")}, SettingOpenAPI, "ftp://x",
			`"ftp://x" is not an absolute http:// or https:// URL`},
		{"zero timeout", DeploySettings{Name: "f", Timeout: dur(0)}, SettingTimeout, "0s", "want more than 0 and at most 2m0s"},
		{"long timeout", DeploySettings{Name: "f", Timeout: dur(121 * time.Second)}, SettingTimeout, "2m1s", "want more than 0 and at most 2m0s"},
		{"empty mode", DeploySettings{Name: "f", Mode: str("")}, SettingMode, "", "want auto, all or search"},
		{"unknown mode", DeploySettings{Name: "f", Mode: str("most")}, SettingMode, "most", "want auto, all or search"},
		{"toolset", DeploySettings{Name: "f", Toolsets: str("a,b c")}, SettingToolsets, "b c",
			"toolsets are OpenAPI tags written as tool names are (letters, digits, _ and -)"},
		{"cors", DeploySettings{Name: "f", CORS: str("nope")}, SettingCORS, "nope",
			`"nope" is not an origin: want scheme://host[:port] such as https://app.example.com, or *`},
		{"the first setting wrong, in order", DeploySettings{Name: "f", Upstream: str("ftp://x"), Timeout: dur(0), Mode: str("x")},
			SettingUpstream, "ftp://x", `"ftp://x" is not an absolute http:// or https:// URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.settings.Params()
			var bad *SettingError
			if !errors.As(err, &bad) || bad.Setting != tt.setting || bad.Value != tt.value || bad.Err.Error() != tt.err {
				t.Errorf("Params() error = %#v, want a SettingError{%q, %q, %q}", err, tt.setting, tt.value, tt.err)
			}
		})
	}
}
