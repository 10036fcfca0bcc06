package httperr

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	cause := errors.New("dial tcp: connection refused")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
		wantHeader http.Header // besides Content-Type, X-Content-Type-Options and Content-Length
	}{
		{
			name:       "message is not HTML-escaped",
			err:        New(http.StatusNotFound, "Name a function in the path, as in /<function>/…, or in the host."),
			wantStatus: http.StatusNotFound,
			wantBody:   `{"error":"Not Found","message":"Name a function in the path, as in /<function>/…, or in the host."}`,
		},
		{
			name:       "quotes are escaped",
			err:        New(http.StatusNotFound, `No function named "x" is deployed.`),
			wantStatus: http.StatusNotFound,
			wantBody:   `{"error":"Not Found","message":"No function named \"x\" is deployed."}`,
		},
		{
			name:       "extra headers",
			err:        &Error{Status: http.StatusMethodNotAllowed, Message: "This route answers GET, HEAD only.", Header: http.Header{"Allow": {"GET, HEAD"}}},
			wantStatus: http.StatusMethodNotAllowed,
			wantBody:   `{"error":"Method Not Allowed","message":"This route answers GET, HEAD only."}`,
			wantHeader: http.Header{"Allow": {"GET, HEAD"}},
		},
		{
			name:       "header keys are canonicalised",
			err:        &Error{Status: http.StatusUnauthorized, Message: "m", Header: http.Header{"www-authenticate": {`ApiKey header="X-Jelou-Token"`}}},
			wantStatus: http.StatusUnauthorized,
			wantBody:   `{"error":"Unauthorized","message":"m"}`,
			wantHeader: http.Header{"Www-Authenticate": {`ApiKey header="X-Jelou-Token"`}},
		},
		{
			name:       "the cause stays out of the body",
			err:        &Error{Status: http.StatusBadGateway, Message: "The function's upstream could not be reached.", Err: cause},
			wantStatus: http.StatusBadGateway,
			wantBody:   `{"error":"Bad Gateway","message":"The function's upstream could not be reached."}`,
		},
		{
			name:       "wrapped *Error",
			err:        fmt.Errorf("serve: %w", New(http.StatusRequestTimeout, "Too slow.")),
			wantStatus: http.StatusRequestTimeout,
			wantBody:   `{"error":"Request Timeout","message":"Too slow."}`,
		},
		{
			name:       "any other error is a 500 that reveals nothing",
			err:        cause,
			wantStatus: http.StatusInternalServerError,
			wantBody:   `{"error":"Internal Server Error","message":"The gateway could not handle the request."}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set("Content-Encoding", "gzip") // left by someone else; the body is plain
			Write(w, tt.err)
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("Write(%v) = %d %s, want %d %s", tt.err, w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
			want := http.Header{
				"Content-Type":           {"application/json"},
				"X-Content-Type-Options": {"nosniff"},
				"Content-Length":         {fmt.Sprint(len(tt.wantBody))},
			}
			for k, v := range tt.wantHeader {
				want[k] = v
			}
			if got := w.Header(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Write(%v) headers = %v, want %v", tt.err, got, want)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	body := `{"status":"error","reason":"The store is unreachable."}`
	WriteJSON(w, http.StatusServiceUnavailable, []byte(body))
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != body {
		t.Errorf("WriteJSON = %d %s, want 503 %s", w.Code, w.Body, body)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "Content-Length": fmt.Sprint(len(body))} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("WriteJSON: %s = %q, want %q", k, got, v)
		}
	}
}

func TestAs(t *testing.T) {
	cause := errors.New("boom")
	e := New(http.StatusBadRequest, "Bad.")
	if got := As(fmt.Errorf("wrapped: %w", e)); got != e {
		t.Errorf("As(wrapped e) = %v, want e itself", got)
	}
	got := As(cause)
	if got.Status != http.StatusInternalServerError || got.Message != InternalMessage || !errors.Is(got, cause) {
		t.Errorf("As(%v) = %d %q (cause %v), want 500 %q wrapping the cause", cause, got.Status, got.Message, got.Err, InternalMessage)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{New(http.StatusNotFound, "No such thing."), "No such thing."},
		{&Error{Status: http.StatusBadGateway, Message: "Unreachable.", Err: errors.New("dial: refused")}, "Unreachable.: dial: refused"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("(%d %q).Error() = %q, want %q", tt.err.Status, tt.err.Message, got, tt.want)
		}
	}
}
