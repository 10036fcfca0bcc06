package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// httpError is an error with an answer: a status and a sentence for the client, and a cause
// for the log. fail is the one place that turns it into a response and a log entry.
type httpError struct {
	status  int
	message string // one clear sentence, safe to show the client
	cause   error  // what went wrong, for the log; nil for ordinary client errors
	allow   string // the Allow header of a 405
	// retryAfter is the Retry-After header (seconds) of an answer that asks the client to
	// come back later.
	retryAfter string
	// closeConn ends the connection after the answer: the request's body was not read to
	// its end, so the connection cannot carry another request.
	closeConn bool
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.message + ": " + e.cause.Error()
	}
	return e.message
}

func (e *httpError) Unwrap() error { return e.cause }

// errUpstreamTimeout is the cancellation cause when a function exceeds its timeout.
var errUpstreamTimeout = errors.New("upstream timeout")

func errNoFunction(name string) *httpError {
	return &httpError{status: http.StatusNotFound, message: fmt.Sprintf("No function named %q is deployed.", name)}
}

var errNoRoute = &httpError{status: http.StatusNotFound, message: "Name a function in the path, as in /<function>/…, or in the host."}

func errUnreachable(cause error) *httpError {
	return &httpError{status: http.StatusBadGateway, message: "The function's upstream could not be reached.", cause: cause}
}

func errTimeout(d time.Duration) *httpError {
	return &httpError{
		status:  http.StatusGatewayTimeout,
		message: fmt.Sprintf("The function did not answer within %s.", d),
		cause:   fmt.Errorf("no answer within %s", d),
	}
}

func errTooLarge(limit int64) *httpError {
	return &httpError{
		status:    http.StatusRequestEntityTooLarge,
		message:   fmt.Sprintf("The request body is larger than %s.", sizeText(limit)),
		closeConn: true, // the rest of the body is never read
	}
}

func errMethod(allow string) *httpError {
	return &httpError{status: http.StatusMethodNotAllowed, message: "This route answers " + allow + " only.", allow: allow}
}

// fail answers the request with err and records it for the access log. Errors that are not
// *httpError become a 500 that reveals nothing.
func fail(w http.ResponseWriter, st *reqState, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: http.StatusInternalServerError, message: "The gateway could not handle the request.", cause: err}
	}
	if st != nil {
		st.err = he.cause
		if st.requestID != "" {
			// A 1xx from the upstream clears the header map; set the id again.
			w.Header().Set("X-Request-Id", st.requestID)
		}
	}
	if he.allow != "" {
		w.Header().Set("Allow", he.allow)
	}
	if he.retryAfter != "" {
		w.Header().Set("Retry-After", he.retryAfter)
	}
	if he.closeConn {
		w.Header().Set("Connection", "close")
	}
	writeJSONError(w, he.status, he.message)
}

// writeJSONError writes {"error":"<status text>","message":"<message>"}.
func writeJSONError(w http.ResponseWriter, status int, message string) {
	body := struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{http.StatusText(status), message}
	writeJSON(w, status, body)
}

// writeJSON writes v as compact JSON without HTML escaping and without a trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		b = []byte(`{"error":"Internal Server Error","message":"The gateway could not encode its answer."}`)
		status = http.StatusInternalServerError
	}
	writeRaw(w, status, b)
}

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
