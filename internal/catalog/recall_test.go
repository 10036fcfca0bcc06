package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jfnhq/jfn/internal/corpustest"
	"github.com/jfnhq/jfn/openapi"
)

// The requests of shared/queries and of testdata/heldout.tsv are judged by recall@5: the share
// found among the first five results.
const (
	recallAt = 5
	// minDevRecall is the aim the project set for its development requests.
	minDevRecall = 0.85
	// minHeldoutRecall is the floor chosen for testdata/heldout.tsv when its requests were
	// written, before the ranker ran on them.
	minHeldoutRecall = 0.7
	// minHeldout2Recall is the floor chosen for testdata/heldout2.tsv (Netlify, SendGrid, Quay)
	// when its requests were written, before the ranker ran on them.
	minHeldout2Recall = 0.5
)

// request is one line of a requests file.
type request struct {
	doc, query string
	expected   []string
}

func readRequests(t testing.TB, path string) []request {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("requests: %v", err)
	}
	var reqs []request
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if i == 0 || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("%s line %d: %d fields, want doc, query, expected", path, i+1, len(f))
		}
		reqs = append(reqs, request{doc: f[0], query: f[1], expected: strings.Split(f[2], ",")})
	}
	if len(reqs) == 0 {
		t.Fatalf("%s lists no request", path)
	}
	return reqs
}

// corpusIndex is one corpus document's tools and index.
type corpusIndex struct {
	docs  []Doc
	index *Index
}

var (
	corpusMu      sync.Mutex
	corpusIndexes = map[string]*corpusIndex{}
)

// loadCorpusIndex loads a corpus document and indexes its tools, once per test binary.
func loadCorpusIndex(t testing.TB, corpus *corpustest.Corpus, file string) *corpusIndex {
	t.Helper()
	corpusMu.Lock()
	defer corpusMu.Unlock()
	if c, ok := corpusIndexes[file]; ok {
		return c
	}
	data := corpus.Read(t, file)
	spec, err := openapi.Load(data)
	if err != nil {
		t.Fatalf("openapi.Load(%s): %v", file, err)
	}
	c := &corpusIndex{}
	for _, tool := range spec.Tools() {
		c.docs = append(c.docs, DocFromTool(tool))
	}
	c.index = New(c.docs)
	corpusIndexes[file] = c
	return c
}

// recall runs the requests and returns the share found in the first recallAt results, with a
// line for each miss.
func recall(t *testing.T, corpus *corpustest.Corpus, reqs []request) (float64, []string) {
	t.Helper()
	found := 0
	var misses []string
	for _, r := range reqs {
		c := loadCorpusIndex(t, corpus, r.doc)
		for _, e := range r.expected {
			if !slices.ContainsFunc(c.docs, func(d Doc) bool { return d.Name == e }) {
				t.Errorf("request %q expects %s, which %s does not have", r.query, e, r.doc)
			}
		}
		var top []string
		hit := false
		for _, res := range c.index.Search(r.query, recallAt, nil) {
			name := c.docs[res.Doc].Name
			top = append(top, fmt.Sprintf("%s (%.2f)", name, res.Score))
			hit = hit || slices.Contains(r.expected, name)
		}
		if hit {
			found++
			continue
		}
		misses = append(misses, fmt.Sprintf("%s: %q\n    want %s\n    got  %s",
			r.doc, r.query, strings.Join(r.expected, " | "), strings.Join(top, ", ")))
	}
	return float64(found) / float64(len(reqs)), misses
}

// checkRecall measures recall@5 on the requests of file, logs the figure and each miss
// under the set's name, and fails below floor. The floors are for whole sets: without one of
// the set's documents (the vendored subset of the corpus lacks most), the test is skipped.
func checkRecall(t *testing.T, name, file string, floor float64) {
	t.Helper()
	reqs := readRequests(t, file)
	corpus := corpustest.Find(t)
	for _, r := range reqs {
		corpus.Need(t, r.doc)
	}
	got, misses := recall(t, corpus, reqs)
	t.Logf("%s recall@%d = %.3f (%d requests)", name, recallAt, got, len(reqs))
	for _, m := range misses {
		t.Logf("miss %s", m)
	}
	if got < floor {
		t.Errorf("%s recall@%d = %.3f, want at least %.2f", name, recallAt, got, floor)
	}
}

// TestRecallDevQueries measures recall@5 on the project's development requests
// (shared/queries/dev-queries.tsv).
func TestRecallDevQueries(t *testing.T) {
	checkRecall(t, "dev", filepath.Join(corpustest.Shared(t, "queries"), "dev-queries.tsv"), minDevRecall)
}

// TestRecallHeldout measures recall@5 on requests written for this package on documents the
// development requests do not use (testdata/heldout.tsv), as a check that the ranking is not
// fitted to the development requests.
func TestRecallHeldout(t *testing.T) {
	checkRecall(t, "held-out", filepath.Join("testdata", "heldout.tsv"), minHeldoutRecall)
}

// TestRecallHeldout2 measures recall@5 on a second set of requests written for this package
// (testdata/heldout2.tsv), on documents that neither the development requests nor
// testdata/heldout.tsv use, written before any change to the ranking was measured on them.
func TestRecallHeldout2(t *testing.T) {
	checkRecall(t, "held-out 2", filepath.Join("testdata", "heldout2.tsv"), minHeldout2Recall)
}
