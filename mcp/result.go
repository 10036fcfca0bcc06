package mcp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/jfnhq/jfn/openapi"
)

const (
	// maxErrorBody is how much of a non-2xx body goes into the error text.
	maxErrorBody = 4 << 10
	// maxMismatchBody is how much of a 2xx body that disagrees with the output schema is
	// shown: more than an error page, since it is the data the caller asked for.
	maxMismatchBody = 64 << 10
)

// mapResponse turns the upstream's answer into a tool result:
//
//   - non-2xx: isError, "HTTP <code> <reason>" and the body cut to maxErrorBody;
//   - 2xx JSON: structuredContent (an object; a non-object is wrapped as {"result": …}) and
//     the JSON itself as text, or isError naming the field when it does not match the
//     declared output schema (the official TypeScript SDK throws on such a result);
//   - 2xx image/*: image content; other text: a text block; empty: a short text.
//
// A tool that declares an output schema always gets structuredContent on success, because
// clients reject a successful result without it; for a non-JSON answer that is {}.
func mapResponse(e *toolEntry, resp *http.Response, body []byte) *mcpgo.CallToolResult {
	status := strings.TrimSpace("HTTP " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if len(bytes.TrimSpace(body)) == 0 {
			return toolError(status + " (empty body)")
		}
		return toolError(status + "\n\n" + cut(body, maxErrorBody))
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	mediaType = strings.ToLower(mediaType)

	// A JSON answer is read once: decoded when its output schema is checked (which is also
	// the test of its being JSON), else only validated.
	trimmed := bytes.Trim(body, jsonSpace)
	var decoded any
	isJSON := false
	if len(trimmed) > 0 && isJSONMedia(mediaType) {
		if e.output {
			v, err := openapi.DecodeJSON(trimmed)
			decoded, isJSON = v, err == nil
		} else {
			isJSON = json.Valid(trimmed)
		}
	}

	var content mcpgo.Content
	switch {
	case len(trimmed) == 0:
		content = mcpgo.NewTextContent(status + " (empty body)")
	case isJSON:
		structured, problem := e.structure(trimmed, decoded)
		if problem != "" {
			return toolError("The function answered " + status + ", but its response does not match the output schema the tool declares: " +
				problem + ".\n\n" + cut(body, maxMismatchBody))
		}
		return &mcpgo.CallToolResult{
			Content:              []mcpgo.Content{mcpgo.NewTextContent(string(body))},
			RawStructuredContent: structured,
		}
	case strings.HasPrefix(mediaType, "image/"):
		content = mcpgo.NewImageContent(base64.StdEncoding.EncodeToString(body), mediaType)
	case utf8.Valid(body):
		content = mcpgo.NewTextContent(string(body))
	default:
		if mediaType == "" {
			mediaType = "unknown type"
		}
		content = mcpgo.NewTextContent(fmt.Sprintf("%s: %d bytes of %s (binary content not shown)", status, len(body), mediaType))
	}
	result := &mcpgo.CallToolResult{Content: []mcpgo.Content{content}}
	if e.output {
		empty := map[string]any{}
		if problem := e.def.CheckOutput(empty); problem != "" {
			return toolError("The function answered " + status + " without JSON, but the tool declares a JSON output: " +
				problem + ".\n\n" + cut(body, maxErrorBody))
		}
		result.StructuredContent = empty
	}
	return result
}

// structure returns the structuredContent for a JSON body (trimmed of spaces), as JSON,
// or a phrase naming what disagrees with the output schema. v is the decoded body when the
// tool has an output schema to check it against. The body is wrapped as {"result": …} when
// the tool's output schema is the wrapper (openapi.Tool.WrapResult), or when there is no
// output schema and the body is not an object (structuredContent is always an object).
// structuredContent is the body's own text either way, never a re-encoding of it.
func (e *toolEntry) structure(body []byte, v any) (json.RawMessage, string) {
	// JSON's grammar is ASCII outside strings, so bytes that are not UTF-8 are inside one:
	// each becomes U+FFFD, as a re-encoding would write it, and the answer stays valid text.
	if !utf8.Valid(body) {
		body = []byte(openapi.ValidUTF8(string(body)))
	}
	wrapped := func() json.RawMessage {
		return slices.Concat([]byte(`{"result":`), body, []byte("}"))
	}
	if !e.output {
		if body[0] == '{' {
			return body, ""
		}
		return wrapped(), ""
	}
	structured := json.RawMessage(body)
	if e.wrap {
		v = map[string]any{"result": v}
		structured = wrapped()
	}
	if problem := e.def.CheckOutput(v); problem != "" {
		return nil, problem
	}
	return structured, ""
}

// jsonSpace is the white space JSON allows around a value.
const jsonSpace = " \t\r\n"

func isJSONMedia(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// cut returns body as text, at most limit bytes of it, never splitting a UTF-8 sequence.
func cut(body []byte, limit int) string {
	if len(body) <= limit {
		return strings.ToValidUTF8(string(body), "\uFFFD")
	}
	n := limit
	for n > 0 && !utf8.RuneStart(body[n]) {
		n--
	}
	return strings.ToValidUTF8(string(body[:n]), "\uFFFD") + fmt.Sprintf("\n… (%d more bytes not shown)", len(body)-n)
}
