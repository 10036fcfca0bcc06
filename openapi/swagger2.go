package openapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// fromSwagger2 converts a Swagger 2.0 tree into an OpenAPI 3.0 tree with
// kin-openapi's openapi2conv, which knows how body and formData parameters,
// consumes/produces and collectionFormat map onto OpenAPI 3.
//
// openapi2conv.ToV3 converts a whole document and fails it whole on the
// first bad part. Real documents have bad parts, so this drives the same
// library functions piece by piece: a definition that does not decode is
// replaced by an empty schema, and an operation that does not convert is
// reported in skipped while the others are kept. External references are
// never resolved: nothing here reads a file or a URL.
func fromSwagger2(root *object) (*object, []Skipped, error) {
	sanitiseSwagger2(root)
	doc2, err := swagger2Top(root)
	if err != nil {
		return nil, nil, err
	}
	doc2.Definitions = decodeMembers(root.obj("definitions"), func() *openapi2.SchemaRef {
		return &openapi2.SchemaRef{Value: &openapi2.Schema{}}
	})
	doc2.Parameters = decodeMembers[openapi2.Parameter](root.obj("parameters"), nil)
	doc2.Responses = decodeMembers[openapi2.Response](root.obj("responses"), nil)
	doc2.SecurityDefinitions = decodeMembers[openapi2.SecurityScheme](root.obj("securityDefinitions"), nil)

	doc3, err := swagger2Components(doc2)
	if err != nil {
		return nil, nil, err
	}
	skipped := swagger2Paths(root, doc2, doc3)

	out, err := swagger2Tree(doc3)
	if err != nil {
		return nil, nil, err
	}
	restoreSecurity(root, out)
	return out, skipped, nil
}

// swagger2Top decodes the top-level fields of a Swagger 2.0 tree, but for
// the paths and the reusable parts, which are decoded one by one.
func swagger2Top(root *object) (*openapi2.T, error) {
	top := newObject(root.len())
	for i, k := range root.keys {
		switch k {
		case "paths", "definitions", "parameters", "responses", "securityDefinitions":
		default:
			top.set(k, root.vals[i])
		}
	}
	doc2 := &openapi2.T{}
	if err := decodeTree(top, doc2); err != nil {
		// Leave out the top-level fields that do not decode (an info that
		// is a string, a host that is a number) and keep the rest.
		kept := newObject(top.len())
		for i, k := range top.keys {
			one := newObject(1)
			one.set(k, top.vals[i])
			var probe openapi2.T
			if decodeTree(one, &probe) == nil {
				kept.set(k, top.vals[i])
			}
		}
		doc2 = &openapi2.T{}
		if err := decodeTree(kept, doc2); err != nil {
			return nil, fmt.Errorf("swagger 2.0: %w", err)
		}
	}
	return doc2, nil
}

// decodeMembers decodes each member of o (nil: none) under its name. A
// member that does not decode is left out, or replaced by fallback() when
// fallback is not nil.
func decodeMembers[T any](o *object, fallback func() *T) map[string]*T {
	m := map[string]*T{}
	if o == nil {
		return m
	}
	for i, name := range o.keys {
		var v T
		if err := decodeTree(o.vals[i], &v); err != nil {
			if fallback != nil {
				m[name] = fallback()
			}
			continue
		}
		m[name] = &v
	}
	return m
}

// swagger2Paths converts the path items into doc3.Paths, and returns the
// path items and operations it skipped.
func swagger2Paths(root *object, doc2 *openapi2.T, doc3 *openapi3.T) []Skipped {
	var skipped []Skipped
	paths := root.obj("paths")
	doc3.Paths = openapi3.NewPathsWithCapacity(paths.len())
	for i, path := range paths.keysOrEmpty() {
		if strings.HasPrefix(path, "x-") || path == "" {
			continue // extensions of the paths object
		}
		item, ok := paths.vals[i].(*object)
		if !ok {
			continue
		}
		if ref, isRef := refOf(item); isRef {
			resolved, err := resolveObject(root, item)
			if err != nil {
				reason := fmt.Sprintf("path item cannot be used: %v", err)
				if !isLocalRef(ref) {
					reason = fmt.Sprintf("path item is an external $ref %q, which is never followed", ref)
				}
				skipped = append(skipped, Skipped{Operation: path, Reason: reason})
				continue
			}
			item = resolved
		}
		pathItem3, opSkipped := swagger2PathItem(doc2, doc3.Components, path, item)
		skipped = append(skipped, opSkipped...)
		if pathItem3 != nil {
			doc3.Paths.Set(path, pathItem3)
		}
	}
	return skipped
}

// swagger2Tree turns the converted document back into a tree.
func swagger2Tree(doc3 *openapi3.T) (*object, error) {
	b, err := json.Marshal(doc3)
	if err != nil {
		return nil, fmt.Errorf("swagger 2.0: convert: %w", err)
	}
	tree, err := parseJSON(b)
	if err != nil {
		return nil, fmt.Errorf("swagger 2.0: convert: %w", err)
	}
	out, ok := tree.(*object)
	if !ok {
		return nil, fmt.Errorf("swagger 2.0: convert: not an object")
	}
	return out, nil
}

// swagger2Components builds the OpenAPI 3 document shell and its components,
// as openapi2conv.ToV3 does, without resolving references.
func swagger2Components(doc2 *openapi2.T) (*openapi3.T, error) {
	doc3 := &openapi3.T{
		OpenAPI:      "3.0.3",
		Info:         &doc2.Info,
		Components:   &openapi3.Components{},
		Tags:         doc2.Tags,
		ExternalDocs: doc2.ExternalDocs,
	}
	if host := doc2.Host; host != "" && !strings.Contains(host, "/") {
		schemes := doc2.Schemes
		if len(schemes) == 0 {
			schemes = []string{"https"}
		}
		basePath := doc2.BasePath
		if basePath == "" {
			basePath = "/"
		}
		for _, scheme := range schemes {
			u := url.URL{Scheme: scheme, Host: host, Path: basePath}
			doc3.AddServer(&openapi3.Server{URL: u.String()})
		}
	} else if doc2.BasePath != "" {
		doc3.AddServer(&openapi3.Server{URL: (&url.URL{Path: doc2.BasePath}).String()})
	}

	comps := doc3.Components
	comps.Schemas = map[string]*openapi3.SchemaRef{}
	comps.Parameters = map[string]*openapi3.ParameterRef{}
	comps.RequestBodies = map[string]*openapi3.RequestBodyRef{}
	for _, name := range slices.Sorted(maps.Keys(doc2.Parameters)) {
		p := doc2.Parameters[name]
		err := protect(func() error {
			param, body, schemas, err := openapi2conv.ToV3Parameter(comps, p, doc2.Consumes)
			switch {
			case err != nil:
				return err
			case body != nil:
				comps.RequestBodies[name] = body
			case schemas != nil:
				for _, s := range schemas {
					comps.Schemas[name] = s
				}
			default:
				comps.Parameters[name] = param
			}
			return nil
		})
		_ = err // a parameter that does not convert is left out; operations using it are skipped later
	}
	comps.Responses = openapi3.ResponseBodies{}
	for _, name := range slices.Sorted(maps.Keys(doc2.Responses)) {
		r := doc2.Responses[name]
		_ = protect(func() error {
			r3, err := openapi2conv.ToV3Response(r, doc2.Produces)
			if err == nil && r3 != nil {
				comps.Responses[name] = r3
			}
			return err
		})
	}
	for name, s := range openapi2conv.ToV3Schemas(doc2.Definitions) {
		comps.Schemas[name] = s
	}
	comps.SecuritySchemes = openapi3.SecuritySchemes{}
	for _, name := range slices.Sorted(maps.Keys(doc2.SecurityDefinitions)) {
		s := doc2.SecurityDefinitions[name]
		_ = protect(func() error {
			s3, err := openapi2conv.ToV3SecurityScheme(s)
			if err == nil && s3 != nil {
				comps.SecuritySchemes[name] = s3
			}
			return err
		})
	}
	doc3.Security = openapi2conv.ToV3SecurityRequirements(doc2.Security)
	return doc3, nil
}

// swagger2PathItem converts one path item operation by operation.
func swagger2PathItem(doc2 *openapi2.T, comps *openapi3.Components, path string, item *object) (*openapi3.PathItem, []Skipped) {
	var skipped []Skipped
	base := newObject(2)
	for i, k := range item.keys {
		if k == "parameters" || strings.HasPrefix(k, "x-") {
			base.set(k, item.vals[i])
		}
	}
	var pi2 openapi2.PathItem
	if err := decodeTree(base, &pi2); err != nil {
		return nil, []Skipped{{Operation: path, Reason: fmt.Sprintf("path parameters: %v", err)}}
	}
	pi3 := &openapi3.PathItem{Extensions: pi2.Extensions}
	for _, p := range pi2.Parameters {
		_ = protect(func() error {
			param, _, _, err := openapi2conv.ToV3Parameter(comps, p, doc2.Consumes)
			if err == nil && param != nil {
				pi3.Parameters = append(pi3.Parameters, param)
			}
			return err
		})
	}
	for _, method := range methodOrder {
		raw, ok := item.get(strings.ToLower(method))
		if !ok {
			continue
		}
		opName := method + " " + path
		var op2 openapi2.Operation
		if err := decodeTree(raw, &op2); err != nil {
			skipped = append(skipped, Skipped{Operation: opName, Reason: fmt.Sprintf("operation does not decode: %v", err)})
			continue
		}
		err := protect(func() error {
			op3, err := openapi2conv.ToV3Operation(comps, &pi2, &op2, doc2.Consumes)
			if err != nil {
				return err
			}
			pi3.SetOperation(method, op3)
			return nil
		})
		if err != nil {
			skipped = append(skipped, Skipped{Operation: opName, Reason: fmt.Sprintf("operation does not convert to OpenAPI 3: %v", err)})
		}
	}
	return pi3, skipped
}

// restoreSecurity copies `security` as written in the 2.0 document: the
// conversion drops an empty top-level list, which means "no authentication"
// and matters for IsPublic and Publish.
func restoreSecurity(src, dst *object) {
	if v, ok := src.get("security"); ok {
		dst.set("security", v)
	}
	srcPaths, dstPaths := src.obj("paths"), dst.obj("paths")
	for i, path := range dstPaths.keysOrEmpty() {
		dstItem, _ := dstPaths.vals[i].(*object)
		srcItem, err := resolveObject(src, srcPaths.val(path))
		if dstItem == nil || err != nil {
			continue
		}
		for _, method := range methodOrder {
			m := strings.ToLower(method)
			srcOp, dstOp := srcItem.obj(m), dstItem.obj(m)
			if srcOp == nil || dstOp == nil {
				continue
			}
			if v, ok := srcOp.get("security"); ok {
				dstOp.set("security", v)
			}
		}
	}
}

// sanitiseSwagger2 repairs, in schema positions only, what kin-openapi's
// Swagger 2.0 types cannot decode: tuple-style `items: [...]` is kept aside
// under tupleItemsKey (the converter turns it into prefixItems) and keywords
// of the wrong JSON type are dropped.
func sanitiseSwagger2(root *object) {
	visit := func(v any) { sanitiseSchema2(v, 0) }
	for _, d := range root.obj("definitions").valsOrEmpty() {
		visit(d)
	}
	params := func(v any) {
		a, _ := v.([]any)
		for _, p := range a {
			if po, ok := p.(*object); ok {
				visit(po.val("schema"))
				visit(po.val("items"))
			}
		}
	}
	responses := func(v any) {
		if ro, ok := v.(*object); ok {
			for _, r := range ro.valsOrEmpty() {
				if r, ok := r.(*object); ok {
					visit(r.val("schema"))
				}
			}
		}
	}
	for _, p := range root.obj("parameters").valsOrEmpty() {
		params([]any{p})
	}
	responses(root.obj("responses"))
	for _, item := range root.obj("paths").valsOrEmpty() {
		io, ok := item.(*object)
		if !ok {
			continue
		}
		params(io.val("parameters"))
		for _, m := range methodOrder {
			if op := io.obj(strings.ToLower(m)); op != nil {
				params(op.val("parameters"))
				responses(op.val("responses"))
			}
		}
	}
}

// tupleItemsKey holds a Swagger tuple `items` array through the conversion.
const tupleItemsKey = "x-jfn-tuple-items"

func sanitiseSchema2(v any, depth int) {
	o, ok := v.(*object)
	if !ok || depth > maxDepth {
		return
	}
	if items, ok := o.val("items").([]any); ok {
		o.del("items")
		o.set(tupleItemsKey, items)
		for _, it := range items {
			sanitiseSchema2(it, depth+1)
		}
	}
	for _, k := range []string{"required", "enum", "allOf"} {
		if v, ok := o.get(k); ok && !isArray(v) {
			o.del(k)
		}
	}
	for _, k := range []string{"properties"} {
		if v, ok := o.get(k); ok {
			if _, isObj := v.(*object); !isObj {
				o.del(k)
			}
		}
	}
	for _, k := range []string{"discriminator", "format", "pattern", "title", "description", "$ref"} {
		if v, ok := o.get(k); ok {
			if _, isStr := v.(string); !isStr {
				o.del(k)
			}
		}
	}
	for _, k := range []string{"readOnly", "uniqueItems", "exclusiveMaximum", "exclusiveMinimum", "x-nullable"} {
		if v, ok := o.get(k); ok {
			if _, isBool := v.(bool); !isBool {
				o.del(k)
			}
		}
	}
	for _, k := range []string{"maximum", "minimum", "multipleOf", "maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties"} {
		if v, ok := o.get(k); ok {
			if n, isNum := toNumber(v); isNum {
				o.set(k, n)
			} else {
				o.del(k)
			}
		}
	}
	if ap, ok := o.get("additionalProperties"); ok {
		switch ap.(type) {
		case bool, *object:
			sanitiseSchema2(ap, depth+1)
		default:
			o.del("additionalProperties")
		}
	}
	sanitiseSchema2(o.val("items"), depth+1)
	for _, p := range o.obj("properties").valsOrEmpty() {
		sanitiseSchema2(p, depth+1)
	}
	for _, s := range o.arr("allOf") {
		sanitiseSchema2(s, depth+1)
	}
}

// decodeTree decodes a tree into one of kin-openapi's types.
func decodeTree(v any, into any) error {
	b, err := marshalTree(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// protect runs f, turning a panic inside a library into an error.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return f()
}
