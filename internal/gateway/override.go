package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/jfnhq/jfn/internal/httperr"
)

// A "_method" parameter makes Rails (Rack::MethodOverride), Laravel and Symfony run the
// handler of the method it names instead of the request's own: a tokenless POST to a public
// operation could run a private DELETE. The gateway decides what is public by the method it
// sees, so without a token it refuses a request that carries one anywhere those frameworks
// read it: the query, a form body (URL-encoded, or a POST without a Content-Type, which Rack
// parses as one), a multipart body, or a top-level member of a JSON body (Laravel reads its
// input from JSON). Names are compared in any case, which is stricter than the frameworks.

var errMethodOverride = httperr.New(http.StatusBadRequest,
	"A _method override is not accepted without a token: send the request with the method it means.")

// hasMethodParam reports whether the URL-encoded form q has a "_method" key (any case).
func hasMethodParam(q string) bool {
	if q == "" || !strings.Contains(strings.ToLower(q), "method") {
		return false
	}
	vals, _ := url.ParseQuery(q) // a malformed pair is skipped, as frameworks skip it
	for k := range vals {
		if strings.EqualFold(k, "_method") {
			return true
		}
	}
	return false
}

// hasMethodField reports whether body, sent with the Content-Type ctype, carries a "_method"
// field that a framework would read as the method.
func hasMethodField(ctype string, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	mt, params, err := mime.ParseMediaType(ctype)
	switch {
	case ctype == "" || mt == "application/x-www-form-urlencoded":
		return hasMethodParam(string(body))
	case err != nil:
		// A Content-Type the gateway cannot read may still be read by the upstream's parser.
		return containsFold(body, "_method")
	case strings.HasPrefix(mt, "multipart/"):
		return multipartHasMethod(body, params["boundary"])
	case strings.Contains(mt, "json"):
		return jsonHasMethod(body)
	}
	return false
}

// multipartHasMethod reports whether the multipart body has a part named "_method". A body
// in which Go's reader finds no parts, or a broken one, may still be taken apart by a more
// lenient parser, so then any mention of "_method" counts.
func multipartHasMethod(body []byte, boundary string) bool {
	if boundary == "" {
		return containsFold(body, "_method")
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for parts := 0; ; parts++ {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) && parts > 0 {
			return false
		}
		if err != nil {
			return containsFold(body, "_method")
		}
		if strings.EqualFold(p.FormName(), "_method") {
			return true
		}
	}
}

// jsonHasMethod reports whether the JSON body is an object with a top-level "_method" member.
// A body that is not JSON is not read by the frameworks' JSON input either; but the scan
// stops at the first such member, so one that breaks only after it counts (the safe side).
func jsonHasMethod(body []byte) bool {
	if !bytes.Contains(body, []byte{'\\'}) && !containsFold(body, "_method") {
		return false // fast path: the name is neither written out nor escaped
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		if k, _ := key.(string); strings.EqualFold(k, "_method") {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}

// containsFold reports whether s is in b in any case.
func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		// |0x20 folds an ASCII letter's case: a cheap first test before EqualFold's.
		if b[i]|0x20 == s[0]|0x20 && bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
			return true
		}
	}
	return false
}
