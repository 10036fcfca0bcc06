package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/jfnhq/jfn/internal/httperr"
)

// Request bodies. The proxy buffers a body to sign it (signing.go) and the MCP layer reads
// one JSON-RPC message, so every body the gateway reads goes through readBody, which bounds
// what a client can make it hold:
//   - memory follows the bytes that arrive, never the declared Content-Length: the buffer
//     starts small and doubles as it fills;
//   - the body must arrive within the body timeout (a read deadline on the connection, set
//     when the request is routed), else 408;
//   - it may not pass the body limit, else 413;
//   - the buffers of all requests together stay under the in-flight cap, else 503 with
//     Retry-After.

// Defaults of the body limits.
const (
	DefaultBodyTimeout      = 30 * time.Second
	DefaultMaxInflightBytes = 256 << 20
	firstBodyChunk          = 16 << 10 // the first buffer of a body of unknown or larger size
)

// inflight counts the bytes of body buffers held by all requests, against a cap.
type inflight struct {
	used  atomic.Int64
	limit int64
}

// take reserves n bytes, or reports false when that would pass the cap.
func (b *inflight) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// give returns n bytes taken earlier.
func (b *inflight) give(n int64) { b.used.Add(-n) }

// Errors of readBody besides errTooLarge.
var (
	errBodyTimeout = &httperr.Error{Status: http.StatusRequestTimeout, Header: closeConn}
	errBusy        = &httperr.Error{
		Status:  http.StatusServiceUnavailable,
		Message: "The gateway is holding too many request bodies right now; retry shortly.",
		Header:  http.Header{"Retry-After": {"1"}, "Connection": {"close"}},
	}
)

// bodyDeadline starts the body timeout of a request that has a body: the connection's
// read deadline, which also bounds the server's discarding of a body nobody read (after a
// 401, say). readBody lifts it once the body is in.
func (g *Gateway) bodyDeadline(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.bodyTimeout))
}

// readBody reads r's body into memory under the limits above and replaces it with a
// replayable copy. It returns the body and the bytes it holds against the in-flight cap,
// which the caller gives back (g.inflight.give) once the body is no longer needed. On
// failure it returns the answer to give, or clientGone is set when the client left.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request, st *reqState) (body []byte, held int64, fault error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0, nil
	}
	if r.ContentLength > g.maxBody {
		return nil, 0, errTooLarge(g.maxBody)
	}
	// On failure the body is left unread and the connection closes after the answer: the
	// deadline moves to now, so that the server does not wait to discard the rest.
	defer func() {
		if fault != nil {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
		}
	}()
	src := http.MaxBytesReader(w, r.Body, g.maxBody)
	size := int64(firstBodyChunk)
	if r.ContentLength >= 0 && r.ContentLength < size {
		size = r.ContentLength + 1 // room to see the end without growing
	}
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			if cap(buf) > 0 {
				size = min(2*int64(cap(buf)), g.maxBody+1)
			}
			if !g.inflight.take(size - int64(cap(buf))) {
				g.inflight.give(int64(cap(buf)))
				return nil, 0, errBusy
			}
			grown := make([]byte, len(buf), size)
			copy(grown, buf)
			buf = grown
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			g.inflight.give(int64(cap(buf)))
			return nil, 0, g.bodyError(r, st, err)
		}
	}
	// The body is in: lift the deadline, so that a long answer (a stream) is not cut.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	r.Body.Close()
	held = int64(cap(buf))
	body = buf
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	r.TransferEncoding = nil
	if len(body) == 0 {
		r.Body, r.GetBody = http.NoBody, nil
	}
	return body, held, nil
}

// bodyError classifies a failed body read.
func (g *Gateway) bodyError(r *http.Request, st *reqState, err error) error {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return errTooLarge(g.maxBody)
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		e := *errBodyTimeout
		e.Message = fmt.Sprintf("The request body did not arrive within %s.", g.bodyTimeout)
		e.Err = fmt.Errorf("read body: %w", err)
		return &e
	case r.Context().Err() != nil:
		st.clientGone = true
		return err
	}
	return &httperr.Error{Status: http.StatusBadRequest, Message: "The request body could not be read.", Err: fmt.Errorf("read body: %w", err), Header: closeConn}
}
