package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jfnhq/jfn/internal/httperr"
)

// The gateway's refusals are *httperr.Error values: a status and a sentence for the client,
// the headers the answer needs, and a cause for the log. fail is the one place in the
// gateway that turns an error into a response and a log entry.

// closeConn is the header of an answer after which the connection ends: the request's body
// was not read to its end, so the connection cannot carry another request.
var closeConn = http.Header{"Connection": {"close"}}

// errUpstreamTimeout is the cancellation cause when a function exceeds its timeout.
var errUpstreamTimeout = errors.New("upstream timeout")

func errNoFunction(name string) *httperr.Error {
	return httperr.New(http.StatusNotFound, fmt.Sprintf("No function named %q is deployed.", name))
}

var errNoRoute = httperr.New(http.StatusNotFound, "Name a function in the path, as in /<function>/…, or in the host.")

func errUnreachable(cause error) *httperr.Error {
	return &httperr.Error{Status: http.StatusBadGateway, Message: "The function's upstream could not be reached.", Err: cause}
}

func errTimeout(d time.Duration) *httperr.Error {
	return &httperr.Error{
		Status:  http.StatusGatewayTimeout,
		Message: fmt.Sprintf("The function did not answer within %s.", d),
		Err:     fmt.Errorf("no answer within %s", d),
	}
}

func errTooLarge(limit int64) *httperr.Error {
	return &httperr.Error{
		Status:  http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("The request body is larger than %s.", sizeText(limit)),
		Header:  closeConn, // the rest of the body is never read
	}
}

func errMethod(allow string) *httperr.Error {
	return &httperr.Error{
		Status:  http.StatusMethodNotAllowed,
		Message: "This route answers " + allow + " only.",
		Header:  http.Header{"Allow": {allow}},
	}
}

// fail answers the request with err and records its cause for the access log. Errors that
// are not *httperr.Error become a 500 that reveals nothing (httperr.Internal).
func fail(w http.ResponseWriter, st *reqState, err error) {
	he := httperr.As(err)
	if st != nil {
		st.err = he.Err
		if st.requestID != "" {
			// A 1xx from the upstream clears the header map; set the id again.
			w.Header().Set("X-Request-Id", st.requestID)
		}
	}
	httperr.Write(w, he)
}

// writeJSON writes v, the JSON answer of a failed health or readiness check, as compact
// JSON without HTML escaping and without a trailing newline, with the headers of an error
// answer (httperr.WriteJSON).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		httperr.Write(w, httperr.Internal(fmt.Errorf("encode the answer: %w", err)))
		return
	}
	httperr.WriteJSON(w, status, b)
}

// writeRaw writes body, a JSON document, as a successful answer.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	h.Del("Content-Encoding")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// sizeText renders a byte count the way the 413 message does: "10 MiB", "512 KiB", "100 bytes".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
