package catalog

import (
	"sort"
	"testing"
	"time"

	"github.com/jfnhq/jfn/internal/corpustest"
	"github.com/jfnhq/jfn/openapi"
)

// largestDoc is the largest document of the corpus (1,188 tools).
const largestDoc = "apis-guru__amazonaws.com__ec2.json"

// BenchmarkIndexLargest measures New over the tools of the largest corpus document (the Docs
// already read from the tools, as when a document loads).
func BenchmarkIndexLargest(b *testing.B) {
	corpus := corpustest.Find(b)
	corpus.Need(b, largestDoc)
	c := loadCorpusIndex(b, corpus, largestDoc)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		New(c.docs)
	}
}

// BenchmarkCatalogueLargest measures all that building a function's search adds to loading
// the largest corpus document: reading every tool (DocFromTool, which decodes each full input
// schema) and New. It reports the document's own load (openapi.Load) for comparison.
func BenchmarkCatalogueLargest(b *testing.B) {
	corpus := corpustest.Find(b)
	corpus.Need(b, largestDoc)
	data := corpus.Read(b, largestDoc)
	start := time.Now()
	spec, err := openapi.Load(data)
	if err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	tools := spec.Tools()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		New(Docs(tools))
	}
	b.ReportMetric(float64(load.Milliseconds()), "load-ms")
}

// benchQueries are task-phrased requests of several lengths.
var benchQueries = []string{
	"launch two t3.micro servers",
	"permanently get rid of an instance and its root disk",
	"list my volumes",
	"attach volume vol-0a1b2c to instance i-0abc as /dev/sdf",
	"who can reach the database servers on port 5432 from outside the VPC, and which security group rules let them in?",
	"describe",
}

// BenchmarkSearchLargest measures Search over the largest corpus document and reports the
// median (p50) time of one search.
func BenchmarkSearchLargest(b *testing.B) {
	corpus := corpustest.Find(b)
	corpus.Need(b, largestDoc)
	c := loadCorpusIndex(b, corpus, largestDoc)
	var times []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		start := time.Now()
		c.index.Search(benchQueries[i%len(benchQueries)], 10, nil)
		times = append(times, time.Since(start))
		i++
	}
	b.StopTimer()
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1e3, "p50-µs")
}
