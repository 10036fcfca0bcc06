// Package openapi turns a function's OpenAPI document into MCP tools, builds
// the upstream HTTP request for a tool call, and serves the document back as
// the gateway publishes it.
//
// # Loading a document
//
// Load accepts OpenAPI 3.0, 3.1 and Swagger 2.0, as JSON or YAML:
//
//	spec, err := openapi.Load(data)
//	if err != nil {
//		// not an OpenAPI document at all (errors.Is(err, openapi.ErrNotOpenAPI))
//	}
//	for _, t := range spec.Tools() {
//		fmt.Println(t.Name, t.Description)
//	}
//	for _, s := range spec.Skipped() {
//		fmt.Println("skipped", s.Operation, s.Reason)
//	}
//
// Documents are untrusted input. External $refs (files, URLs) are never
// followed, the size is bounded by MaxDocumentSize and the nesting depth is
// bounded too. Real documents are messy, so Load keeps every operation it can
// understand and reports the others in Skipped; it fails only when the input
// is not an OpenAPI or Swagger document at all. Each operation is converted
// on its own, so a bad one (or a converter bug) costs that operation only.
//
// # Tools
//
// Every operation becomes one Tool, except those marked x-jelou-mcp: false.
// The tool's name is the operationId when it is a valid MCP tool name, else a
// sanitised form of it, else method_path; names longer than 64 characters end
// in a stable hash and duplicates get _2, _3, ... The description is never
// empty ("METHOD /path" at worst) and at most 1024 characters; the title is
// the summary.
//
// The input schema is one flat JSON Schema 2020-12 object: the path, query,
// header and cookie parameters, plus the request body. A JSON object body has
// its properties merged at the top level (allOf parts merged, oneOf/anyOf
// variants united). Any other body (array, primitive, form, multipart, text)
// is one property named "body".
//
// Every top-level property name matches ^[a-zA-Z0-9_.-]{1,64}$, the names
// the Anthropic Messages API accepts (OpenAI and Gemini too). A name that
// matches is kept; any other is rewritten: bracket groups become dotted
// segments (filter[status] → filter.status, ids[] → ids), "<" and ">"
// become _lt and _gt (StartTime< → StartTime_lt), other characters become
// "_" ($filter → filter, Start Time → Start_Time), and a name over 64
// characters ends in a hash. When names clash (a parameter and a body
// property both called id), a body property written so keeps the name and
// the others get <name>__<in> (id__path), then _2, _3… A renamed property's
// description ends with (sent as "id"), and the call always uses the name
// as written. Local $refs are inlined, or placed in
// $defs when they are recursive or large. OpenAPI-only keywords are removed
// or translated (nullable becomes a type list, example becomes examples),
// readOnly properties are left out, and regex patterns that ECMA-262 (u flag)
// and Go cannot both compile are dropped.
//
// No listed schema is over MaxListedSchema (16 KB of compact JSON): a larger
// one is listed trimmed, in a fixed order (long descriptions, then examples
// and defaults, then nesting deeper than a limit, then whole optional
// properties), and never loses a required top-level property. The whole
// input schema stays in Tool.FullInputSchema, and Validate checks arguments
// against it. Tool.VisibleSize is what the tool adds to a catalogue's
// model-visible size.
//
// The output schema describes the first 2xx JSON response. It is descriptive
// only — constraints such as required, enum, pattern and bounds are dropped —
// because real responses stray from their documents. A response that is not
// an object is described as {"result": …} and Tool.WrapResult says so.
//
// # Calling a tool
//
//	if problems := tool.Validate(args); problems != nil {
//		// one plain sentence per bad field: "phone: required property is missing"
//	}
//	req, err := tool.NewRequest(ctx, upstreamBase, args)
//
// NewRequest percent-encodes path parameters so that a value can never leave
// the upstream's base path, honours query style and explode, sets headers and
// cookies, and encodes JSON, form-urlencoded and multipart bodies.
//
// # Serving /openapi.json and routing plain calls
//
// Publish returns the document with the gateway's server URL and the
// jelouToken (X-Jelou-Token) security scheme, keeping everything else as
// written. Spec.IsPublic tells the gateway whether an operation declares
// security: [] and so needs no token.
//
// # Libraries
//
// kin-openapi converts Swagger 2.0 (openapi2conv). Everything else works on
// the document's generic JSON tree: that keeps every keyword an author wrote
// (3.1 keywords, extensions), lets /openapi.json be served as written, and
// lets one broken operation fail alone where a typed model fails the whole
// document. Schemas are compiled with santhosh-tekuri/jsonschema, the
// validator mcp-go uses, so every emitted schema is known to be valid JSON
// Schema 2020-12 before a client sees it.
package openapi
