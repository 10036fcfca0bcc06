package openapi

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"
)

func TestProbe(t *testing.T) {
	_ = openapi3.NewLoader()
	_ = openapi2conv.ToV3
	_ = jsonschema.NewCompiler()
	_ = yaml.Unmarshal
}
