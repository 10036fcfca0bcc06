package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// documentClient fetches OpenAPI documents for the CLI and the console; openapi.Fetch holds
// the rules (the gateway's).
var documentClient = &http.Client{}

// maxDocumentWait bounds how long a command waits for a function's document.
const maxDocumentWait = 10 * time.Second

// FetchTools downloads f's OpenAPI document (without credentials, as the gateway does) and
// returns the names of the MCP tools it turns into.
func FetchTools(ctx context.Context, f store.Function) ([]string, error) {
	spec, err := FetchSpec(ctx, f)
	if err != nil {
		return nil, err
	}
	return ToolNames(spec), nil
}

// ToolNames returns the names of the MCP tools spec turns into; none is an empty list.
func ToolNames(spec *openapi.Spec) []string {
	names := []string{}
	for _, t := range spec.Tools() {
		names = append(names, t.Name)
	}
	return names
}

// FetchSpec downloads and loads f's OpenAPI document, without credentials, as the gateway
// does, within the function's timeout (10 s at most).
func FetchSpec(ctx context.Context, f store.Function) (*openapi.Spec, error) {
	ctx, cancel := context.WithTimeout(ctx, min(f.EffectiveTimeout(), maxDocumentWait))
	defer cancel()
	u := f.DocumentURL()
	data, err := FetchDocument(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	spec, err := openapi.Load(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", u, err)
	}
	return spec, nil
}

// FetchDocument downloads the document at u with openapi.Fetch. Its errors do not repeat
// the URL, which callers name in their own words.
func FetchDocument(ctx context.Context, u string) ([]byte, error) {
	f, err := openapi.Fetch(ctx, documentClient, u, "")
	if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
		err = uerr.Err // its message repeats the URL
	}
	return f.Body, err
}

// readFetchTimeout bounds the download of a document ReadDocument is given by URL.
const readFetchTimeout = 30 * time.Second

// A SchemeError is ReadDocument's error for a URL of a scheme other than http and https.
type SchemeError struct{ Scheme string }

func (e *SchemeError) Error() string {
	return fmt.Sprintf("unsupported URL scheme %q: want a file path, http:// or https://", e.Scheme)
}

// ReadDocument returns the bytes of the document src names: an http or https URL, fetched as
// FetchDocument does within 30 s; "-" for stdin; or a file path. It refuses anything over
// openapi.MaxDocumentSize, and a URL of another scheme ("ftp://…", though "./a://b" is a
// path) with a *SchemeError. Its errors name src as SourceName does.
func ReadDocument(ctx context.Context, stdin io.Reader, src string) ([]byte, error) {
	if isHTTP(src) {
		ctx, cancel := context.WithTimeout(ctx, readFetchTimeout)
		defer cancel()
		data, err := FetchDocument(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("cannot fetch %s: %w", SourceName(src), err)
		}
		return data, nil
	}
	if scheme, _, ok := strings.Cut(src, "://"); ok && isURLScheme(scheme) {
		return nil, &SchemeError{Scheme: scheme}
	}
	r, size := stdin, 512 // as io.ReadAll starts
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			var perr *fs.PathError
			if errors.As(err, &perr) {
				err = perr.Err // its message repeats the path
			}
			return nil, fmt.Errorf("cannot read %s: %w", src, err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			if st.IsDir() {
				return nil, fmt.Errorf("cannot read %s: it is a directory, not an OpenAPI document", src)
			}
			if st.Mode().IsRegular() && st.Size() <= openapi.MaxDocumentSize {
				size = int(st.Size()) + 1 // the one byte more finds the end without growing
			}
		}
		r = f
	}
	data, err := readAll(io.LimitReader(r, openapi.MaxDocumentSize+1), size)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", SourceName(src), err)
	}
	if len(data) > openapi.MaxDocumentSize {
		return nil, fmt.Errorf("cannot read %s: the document is larger than %d bytes", SourceName(src), openapi.MaxDocumentSize)
	}
	return data, nil
}

// SourceName names a document source of ReadDocument in messages: "standard input" for "-",
// and a URL without the password it may carry.
func SourceName(src string) string {
	if src == "-" {
		return "standard input"
	}
	if u, err := url.Parse(src); err == nil && isHTTP(src) && u.User != nil {
		return u.Redacted()
	}
	return src
}

// readAll reads r to its end, as io.ReadAll does, into a buffer of size bytes that grows
// only if r holds more.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func isHTTP(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// isURLScheme reports whether s could be a URL scheme (RFC 3986: a letter, then letters,
// digits, +, - or .), so that "ftp://x" is refused while "./a://b" stays a file path.
func isURLScheme(s string) bool {
	if s == "" || !('a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for _, c := range []byte(s) {
		lc := c | 0x20
		if !('a' <= lc && lc <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
