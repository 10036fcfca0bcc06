package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jfnhq/jfn/openapi"
)

func TestReadDocument(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	doc := []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}`)
	file := filepath.Join(dir, "doc.json")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, openapi.MaxDocumentSize+1); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/doc.json" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(doc)
	}))
	defer srv.Close()

	// A regular file is read into one buffer of its size and one byte more, never grown.
	data, err := ReadDocument(ctx, nil, file)
	if err != nil || !bytes.Equal(data, doc) || cap(data) != len(doc)+1 {
		t.Errorf("ReadDocument(file) = %q (cap %d), %v; want the file's %d bytes in a buffer of %d", data, cap(data), err, len(doc), len(doc)+1)
	}
	for _, src := range []string{"-", srv.URL + "/doc.json"} {
		if data, err := ReadDocument(ctx, bytes.NewReader(doc), src); err != nil || !bytes.Equal(data, doc) {
			t.Errorf("ReadDocument(%q) = %q, %v; want the document", src, data, err)
		}
	}

	tests := []struct {
		src   string
		stdin io.Reader
		want  string // the error
	}{
		{huge, nil, "cannot read " + huge + ": the document is larger than 16777216 bytes"},
		{"-", io.LimitReader(zeros{}, openapi.MaxDocumentSize+1), "cannot read standard input: the document is larger than 16777216 bytes"},
		{dir, nil, "cannot read " + dir + ": it is a directory, not an OpenAPI document"},
		{filepath.Join(dir, "nope.json"), nil, "cannot read " + filepath.Join(dir, "nope.json") + ": no such file or directory"},
		{"./a://b", nil, "cannot read ./a://b: no such file or directory"},
		{"ftp://example.com/doc.json", nil, `unsupported URL scheme "ftp": want a file path, http:// or https://`},
		{srv.URL + "/missing.json", nil, "cannot fetch " + srv.URL + "/missing.json: "},
	}
	for _, tt := range tests {
		_, err := ReadDocument(ctx, tt.stdin, tt.src)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ReadDocument(%q) error = %v, want %q", tt.src, err, tt.want)
		}
		var serr *SchemeError
		if isScheme := errors.As(err, &serr); isScheme != strings.HasPrefix(tt.src, "ftp:") {
			t.Errorf("ReadDocument(%q) error = %#v: a *SchemeError %v, want %v", tt.src, err, isScheme, !isScheme)
		}
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestReadDocumentHidesPassword: an error about a URL with credentials names it without its
// password.
func TestReadDocumentHidesPassword(t *testing.T) {
	_, err := ReadDocument(context.Background(), nil, "http://user:s3cret@127.0.0.1:1/doc.json")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "user:xxxxx@127.0.0.1:1") {
		t.Errorf("ReadDocument of a URL with a password: error %v, want one naming it without the password", err)
	}
	if got := SourceName("-"); got != "standard input" {
		t.Errorf("SourceName(-) = %q", got)
	}
}
