package mcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/jfnhq/jfn/auth"
	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/openapi"
)

// maxResponseBody bounds what a tool call reads from the upstream.
const maxResponseBody = 10 << 20

// callTool is the one tools/call handler of every tool: it looks the tool up in the current
// tool set, validates the arguments, calls the upstream and maps its answer. Upstream
// failures are tool results with isError (STYLE.md rule 4); only a tool missing from the set
// is returned as an error, which mcp-go turns into a JSON-RPC error.
//
// In search mode it also runs the search tools (catalogue.go), which take precedence over a
// real tool of the same name there.
func (b *Bridge) callTool(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	ts := b.tools.Load()
	ve := b.viewOf(ctx, ts)
	if ve.view.Mode == catalog.ModeSearch && isMetaName(req.Params.Name) {
		return b.callMeta(ctx, ts, ve, req.Params.Name, req.Params.Arguments), nil
	}
	entry := ts.byName[req.Params.Name]
	if entry == nil || !ve.allowed[req.Params.Name] {
		return nil, fmt.Errorf("tool %q not found", req.Params.Name)
	}
	res, outcome, upstream := b.call(ctx, entry, req.Params.Arguments)
	if outcome != "" {
		b.obs.get().ToolCall(entry.def.Name, outcome, upstream)
	}
	return res, nil
}

// call runs one tool call. It returns the result, the outcome to report (empty when the
// client cancelled the call) and the time spent on the upstream call.
func (b *Bridge) call(ctx context.Context, entry *toolEntry, arguments any) (_ *mcpgo.CallToolResult, outcome string, upstream time.Duration) {
	args, ok := arguments.(map[string]any)
	switch {
	case arguments == nil:
		args = map[string]any{}
	case !ok:
		return toolError("The arguments must be a JSON object."), OutcomeInvalidArguments, 0
	}
	if problems := entry.def.Validate(args); len(problems) > 0 {
		return invalidArguments(problems), OutcomeInvalidArguments, 0
	}

	// The caller's context, so a client that goes away cancels the upstream call too.
	callCtx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	up, err := entry.def.NewRequest(callCtx, b.opts.Upstream, args)
	if err != nil {
		return toolError("The arguments could not be turned into an HTTP request: " + err.Error()), OutcomeInvalidArguments, 0
	}
	requestID := uuid.NewString()
	c := callerFrom(ctx)
	up.Header.Del(auth.Header)
	// Only the gateway speaks in X-Jelou-* and method-override headers: whatever the request
	// builder produced, none of them leaves with the call unless set below.
	for k := range up.Header {
		if openapi.ReservedHeader(k) {
			up.Header.Del(k)
		}
	}
	up.Header.Set("X-Request-Id", requestID)
	up.Header.Set("X-Jelou-Function", b.opts.Function)
	trigger := "mcp"
	if c.trigger != "" {
		trigger = c.trigger
	}
	up.Header.Set("X-Jelou-Trigger", trigger)
	if c.tokenID != "" {
		up.Header.Set("X-Jelou-Token-Id", c.tokenID)
	}
	if c.forwardedFor != "" {
		up.Header.Set("X-Forwarded-For", c.forwardedFor)
	}
	if c.forwardedHost != "" {
		up.Header.Set("X-Forwarded-Host", c.forwardedHost)
		up.Header.Set("X-Forwarded-Proto", c.forwardedProto)
	}
	if b.opts.Signer != nil {
		body, err := takeBody(up)
		if err != nil {
			return toolError("The request body could not be prepared: " + err.Error()), OutcomeToolError, 0
		}
		b.opts.Signer(up, body)
	}

	// Only a failed call is logged (the access log has every request), so the call's logger
	// is built only then.
	log := func() *zerolog.Logger {
		l := b.logger.With().Str("tool", entry.def.Name).Str("request_id", requestID).Logger()
		return &l
	}
	start := time.Now()
	resp, err := b.client.Do(up)
	if err != nil {
		res, outcome := b.failure(ctx, callCtx, err, log(), start)
		return res, outcome, time.Since(start)
	}
	defer resp.Body.Close()
	data, err := readAnswer(resp, maxResponseBody)
	upstream = time.Since(start)
	if errors.Is(err, errBodyTooLarge) {
		log().Warn().Int("status", resp.StatusCode).Msg("tool call: upstream response over the limit")
		return toolError(fmt.Sprintf("The function answered HTTP %d with a body over %d MiB, which is more than a tool result may carry.", resp.StatusCode, maxResponseBody>>20)), OutcomeToolError, upstream
	}
	if err != nil {
		res, outcome := b.failure(ctx, callCtx, err, log(), start)
		return res, outcome, upstream
	}
	result := mapResponse(entry, resp, data)
	if !result.IsError {
		return result, OutcomeOK, upstream
	}
	log().Info().Int("status", resp.StatusCode).Int64("duration_ms", upstream.Milliseconds()).
		Bool("is_error", true).Msg("tool call")
	return result, OutcomeToolError, upstream
}

// failure maps an error from sending the request or reading the answer, and names its
// outcome (empty when the client cancelled).
func (b *Bridge) failure(ctx, callCtx context.Context, err error, log *zerolog.Logger, start time.Time) (*mcpgo.CallToolResult, string) {
	ms := time.Since(start).Milliseconds()
	var ue *url.Error
	timedOut := errors.Is(callCtx.Err(), context.DeadlineExceeded) || (errors.As(err, &ue) && ue.Timeout())
	switch {
	case ctx.Err() != nil:
		log.Info().Int64("duration_ms", ms).Msg("tool call cancelled by the client")
		return toolError("The call was cancelled."), ""
	case timedOut:
		log.Warn().Int64("duration_ms", ms).Msg("tool call timed out")
		return toolError(fmt.Sprintf("The function did not answer within %s.", seconds(b.timeout))), OutcomeTimeout
	default:
		log.Warn().Err(openapi.RedactError(err)).Int64("duration_ms", ms).Msg("tool call: upstream unreachable")
		return toolError("The function's upstream could not be reached: " + reason(err) + "."), OutcomeUpstreamError
	}
}

// reason is the part of a transport error worth showing to the client: what went wrong,
// without the upstream's URL (the log has the whole error).
func reason(err error) string {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "its host name did not resolve"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return strings.TrimPrefix(op.Err.Error(), "connect: ")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// seconds prints a timeout in whole seconds ("30s", "120s") when it is one.
func seconds(d time.Duration) string {
	if d%time.Second == 0 && d < 10*time.Minute {
		return fmt.Sprintf("%ds", int64(d/time.Second))
	}
	return d.String()
}

// takeBody reads r's body for signing and puts an identical one back.
func takeBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	return body, nil
}

func toolError(text string) *mcpgo.CallToolResult {
	return &mcpgo.CallToolResult{Content: []mcpgo.Content{mcpgo.NewTextContent(text)}, IsError: true}
}

// invalidArguments lists every problem, one per line, and says nothing was sent.
func invalidArguments(problems []string) *mcpgo.CallToolResult {
	var sb strings.Builder
	sb.WriteString("The arguments are not valid, so nothing was sent to the function:")
	for _, p := range problems {
		sb.WriteString("\n- ")
		sb.WriteString(p)
	}
	return toolError(sb.String())
}

// readAnswer reads the upstream's answer, at most limit bytes of it, into a buffer of the
// declared length when there is one (the transport stops at Content-Length), so that a
// small answer costs one allocation instead of io.ReadAll's growing ones.
func readAnswer(resp *http.Response, limit int64) ([]byte, error) {
	n := resp.ContentLength
	// An answer to HEAD declares the length of a body it does not carry.
	head := resp.Request != nil && resp.Request.Method == http.MethodHead
	if n < 0 || n > limit || head || resp.Body == http.NoBody {
		return readBody(resp.Body, limit)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
