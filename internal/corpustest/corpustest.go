// Package corpustest finds the OpenAPI corpus that tests run on.
//
// The project's corpus, 85 third-party documents with a MANIFEST.tsv, lives in shared/corpus
// beside the repository (in CI too). A fresh clone has no such folder, so the repository
// vendors a small subset of it, with the corpus's manifest lines and licences, in
// testdata/corpus. Find returns the whole corpus when it is there and the subset otherwise,
// and says which in the test's log:
//
//	func TestEveryDocument(t *testing.T) {
//		c := corpustest.Find(t)
//		for _, file := range c.Files() {
//			data := c.Read(t, file)
//			…
//		}
//	}
//
// A test that needs particular documents calls Need, which skips it when the subset lacks
// them. With JFN_REQUIRE_CORPUS=1 (as in CI) a missing shared corpus fails the test instead:
// CI must run on the whole corpus, not quietly on the subset.
//
// What needs more of the shared folder than the corpus (the search requests in
// shared/queries) asks Shared for it, which skips without it, or fails with
// JFN_REQUIRE_CORPUS=1.
package corpustest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// RequireEnv is the environment variable that, set to 1, turns a missing shared corpus or
// shared folder into a test failure rather than a fallback to the subset or a skip.
const RequireEnv = "JFN_REQUIRE_CORPUS"

// subsetDir is the vendored subset, relative to the repository's root.
const subsetDir = "testdata/corpus"

// Corpus is a folder of OpenAPI documents listed by a MANIFEST.tsv.
type Corpus struct {
	// Dir is the folder that holds MANIFEST.tsv and the documents.
	Dir string
	// Full is true for the whole shared corpus, false for the vendored subset.
	Full  bool
	files []string
}

// Find returns the corpus the tests run on: shared/corpus beside the repository when it has
// its MANIFEST.tsv, else the subset in testdata/corpus. It logs which. When JFN_REQUIRE_CORPUS=1
// and shared/corpus is missing, the test fails.
func Find(t testing.TB) *Corpus {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	dir, full, err := locate(root, os.Getenv(RequireEnv) == "1")
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	files, err := manifestFiles(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	if full {
		t.Logf("corpus: the whole shared corpus, %d documents in %s", len(files), dir)
	} else {
		t.Logf("corpus: the vendored subset, %d documents in %s (the whole corpus is not at %s; %s=1 makes that a failure)",
			len(files), dir, sharedPath(root, "corpus"), RequireEnv)
	}
	return &Corpus{Dir: dir, Full: full, files: files}
}

// Files returns the documents the manifest lists, as paths relative to Dir, in its order.
func (c *Corpus) Files() []string { return c.files }

// Path returns the path of a document of the corpus.
func (c *Corpus) Path(file string) string { return filepath.Join(c.Dir, filepath.FromSlash(file)) }

// Read returns a document's bytes, and fails the test when it cannot be read.
func (c *Corpus) Read(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(c.Path(file))
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return data
}

// Need skips the test when the vendored subset lacks one of files, and fails it when the
// whole corpus does (a test that names a document the corpus never had is wrong).
func (c *Corpus) Need(t testing.TB, files ...string) {
	t.Helper()
	for _, f := range files {
		if slices.Contains(c.files, f) {
			continue
		}
		if c.Full {
			t.Fatalf("corpus: %s is not in the manifest of %s", f, c.Dir)
		}
		t.Skipf("corpus: %s is not in the vendored subset; it runs on the whole corpus (shared/corpus beside the repository)", f)
	}
}

// Shared returns the path of shared/<name> beside the repository (such as "queries"). Without
// it the test is skipped, or fails when JFN_REQUIRE_CORPUS=1.
func Shared(t testing.TB, name string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("shared: %v", err)
	}
	path, err := locateShared(root, name)
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("shared: %v, and %s=1", err, RequireEnv)
		}
		t.Skipf("shared: %v (it lives beside the repository; %s=1 makes that a failure)", err, RequireEnv)
	}
	return path
}

// locate decides which corpus tests in the repository at root run on: the whole one beside
// the repository (full), else the vendored subset unless require.
func locate(root string, require bool) (dir string, full bool, err error) {
	shared := sharedPath(root, "corpus")
	if _, err := os.Stat(filepath.Join(shared, "MANIFEST.tsv")); err == nil {
		return shared, true, nil
	} else if require {
		return "", false, fmt.Errorf("the OpenAPI corpus is missing at %s (%v), and %s=1", shared, err, RequireEnv)
	}
	return filepath.Join(root, filepath.FromSlash(subsetDir)), false, nil
}

// locateShared returns shared/<name> beside the repository at root, or why it cannot.
func locateShared(root, name string) (string, error) {
	path := sharedPath(root, name)
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s is missing", path)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s is not a folder", path)
	}
	return path, nil
}

// sharedPath is shared/<name> beside the repository at root.
func sharedPath(root, name string) string {
	return filepath.Join(filepath.Dir(root), "shared", name)
}

// repoRoot walks up from the working directory (a test's package folder) to the folder
// that holds go.mod.
func repoRoot() (string, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// manifestFiles returns the first column of a MANIFEST.tsv, header left out.
func manifestFiles(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		file, _, _ := strings.Cut(line, "\t")
		if i == 0 || file == "" {
			continue
		}
		files = append(files, file)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s lists no document", path)
	}
	return files, nil
}
