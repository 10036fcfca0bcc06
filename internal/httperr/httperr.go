// Package httperr is the one shape of jfn's HTTP error answers, and the one place that writes
// it. The gateway, the MCP bridge and the token middleware all answer a refusal the same way:
//
//	HTTP/1.1 404 Not Found
//	Content-Type: application/json
//	X-Content-Type-Options: nosniff
//
//	{"error":"Not Found","message":"No function named \"x\" is deployed."}
//
// "error" is the status text and "message" one clear sentence that is safe to show the
// client. An *Error carries the status, that sentence, the headers its answer needs besides
// the body's own (Allow on a 405, Retry-After on a 503, WWW-Authenticate on a 401) and, for
// the log only, the cause. Write turns any error into its answer; an error that is not an
// *Error becomes a 500 that reveals nothing.
//
// The package imports only the standard library, so that every package of jfn may import it,
// auth included.
package httperr

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// InternalMessage is the message of every 500: it says nothing about what failed.
const InternalMessage = "The gateway could not handle the request."

// Error is an error with an answer: a status and a sentence for the client, extra headers,
// and a cause for the log.
type Error struct {
	// Status is the HTTP status code; its text becomes the body's "error".
	Status int
	// Message is one clear sentence, safe to show the client: the body's "message".
	Message string
	// Header holds the answer's headers besides Content-Type, Content-Length and
	// X-Content-Type-Options, which Write sets; nil for none. Write replaces any value w
	// already has for these names. It is shared by every answer of this Error: never
	// modify it after the Error is built.
	Header http.Header
	// Err is what went wrong, for the log; it never reaches the client. nil for ordinary
	// client errors.
	Err error
}

// New returns an *Error with status and message, no extra headers and no cause.
func New(status int, message string) *Error {
	return &Error{Status: status, Message: message}
}

// Internal returns the 500 for cause: InternalMessage for the client, cause for the log.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Message: InternalMessage, Err: cause}
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// As returns the *Error in err's chain, or, when there is none, Internal(err).
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Write answers with err (see As): its extra headers, then the JSON body
// {"error":"<status text>","message":"<message>"} through WriteJSON.
func Write(w http.ResponseWriter, err error) {
	e := As(err)
	h := w.Header()
	for k, vs := range e.Header {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	WriteJSON(w, e.Status, body(e.Status, e.Message))
}

// WriteJSON writes body, a JSON document, as an error answer with status: Content-Type
// application/json, X-Content-Type-Options nosniff (a browser must never read it as
// anything else) and Content-Length. A Content-Encoding left in w's headers is removed: the
// body is written as is.
func WriteJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Content-Encoding")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// body is the compact JSON of an error answer, without HTML escaping (the message may say
// "/<function>/") and without a trailing newline.
func body(status int, message string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Two strings always encode: invalid UTF-8 becomes U+FFFD, never an error.
	_ = enc.Encode(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{http.StatusText(status), message})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
