package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/examples/balance"
	"github.com/jfnhq/jfn/examples/shop"
)

// testChild runs this test binary as the bench child: TestCLIChildProcess turns it into
// `jfn bench` with args. The command itself re-runs its own executable instead.
func testChild(args ...string) *exec.Cmd {
	return cliChild(append([]string{"bench"}, args...)...)
}

// smallCorpus writes a corpus of the two example documents with its manifest.
func smallCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	manifest := "file\tsource\tlicense\tspec_version\tformat\tbytes\toperations\n"
	for name, doc := range map[string][]byte{"balance.json": balance.Spec(), "shop.json": shop.Spec()} {
		if err := os.WriteFile(filepath.Join(dir, name), doc, 0o644); err != nil {
			t.Fatal(err)
		}
		manifest += name + "\tjfn\tMIT\t3.1.0\tjson\t" + strconv.Itoa(len(doc)) + "\t1\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "MANIFEST.tsv"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBench runs the whole bench with tiny counts: every row is there with a non-zero
// throughput and CPU time, the sessions and documents are measured, and the table is
// printed and written to --out. It checks shape and sanity, never timings.
func TestBench(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results", "latest.md")
	cfg := benchConfig{
		Requests: 200, Concurrency: 4, Sessions: 50, Rounds: 2,
		Corpus: smallCorpus(t), Out: out, ConvRuns: 1,
		Command: "go run ./cmd/jfn bench --requests 200", Child: testChild,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: mapEnv()}
	if err := benchMain(ctx, e, cfg); err != nil {
		t.Fatalf("bench: %v; stderr: %s", err, stderr.String())
	}
	table := stdout.String()
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("--out file: %v", err)
	}
	if !strings.HasPrefix(table, string(written)) {
		t.Errorf("the --out file differs from the printed table:\n%s\nvs\n%s", written, table)
	}
	for _, want := range []string{"Machine: ", "| direct |", "| bare proxy |", "| jfn proxy (token) |",
		"| jfn MCP tools/call |", "idle MCP sessions", "| 50 |", "balance.json", "shop.json", cfg.Command} {
		if !strings.Contains(table, want) {
			t.Errorf("bench table lacks %q:\n%s", want, table)
		}
	}

	// The same run's figures, through --json.
	stdout.Reset()
	e.json = true
	cfg.Out = ""
	if err := benchMain(ctx, e, cfg); err != nil {
		t.Fatalf("bench --json: %v; stderr: %s", err, stderr.String())
	}
	var rep struct {
		Machine struct {
			CPU   string `json:"cpu"`
			Cores int    `json:"cores"`
			Go    string `json:"go"`
		} `json:"machine"`
		Rows []struct {
			Name      string  `json:"name"`
			Requests  int     `json:"requests"`
			PerSecond float64 `json:"requests_per_second"`
			P50       float64 `json:"p50_us"`
			P99       float64 `json:"p99_us"`
			CPU       float64 `json:"cpu_us_per_request"`
			VsBare    float64 `json:"cpu_vs_bare_proxy"`
		} `json:"rows"`
		Sessions struct {
			Count int `json:"count"`
		} `json:"sessions"`
		Documents []struct {
			File  string  `json:"file"`
			Tools int     `json:"tools"`
			Secs  float64 `json:"seconds"`
		} `json:"documents"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("bench --json printed %q: %v", stdout.String(), err)
	}
	if rep.Machine.Cores < 1 || rep.Machine.Go == "" || rep.Machine.CPU == "" {
		t.Errorf("machine = %+v, want cores, Go version and CPU", rep.Machine)
	}
	names := []string{rowDirect, rowBare, rowJFN, rowMCPCall}
	if len(rep.Rows) != len(names) {
		t.Fatalf("rows = %+v, want %v", rep.Rows, names)
	}
	for i, r := range rep.Rows {
		if r.Name != names[i] || r.Requests != cfg.Requests || r.PerSecond <= 0 || r.CPU <= 0 || r.P50 <= 0 || r.P99 < r.P50 {
			t.Errorf("row %d = %+v, want %s with %d requests, throughput, CPU time and p50 ≤ p99", i, r, names[i], cfg.Requests)
		}
		if wantRatio := i > 0; (r.VsBare > 0) != wantRatio {
			t.Errorf("row %s: ratio to the bare proxy %v, want one only for the proxy rows", r.Name, r.VsBare)
		}
	}
	if rep.Sessions.Count != cfg.Sessions {
		t.Errorf("sessions = %d, want %d", rep.Sessions.Count, cfg.Sessions)
	}
	if len(rep.Documents) != 2 {
		t.Fatalf("documents = %+v, want the corpus's 2", rep.Documents)
	}
	for _, d := range rep.Documents {
		if d.Tools < 1 || d.Secs <= 0 {
			t.Errorf("document %+v, want tools and a conversion time", d)
		}
	}
}

// TestBenchUsage: bad counts are usage errors, before anything starts.
func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--requests", "0"},
		{"bench", "--concurrency", "-1"},
		{"bench", "extra"},
		{"bench", "--child", "nonsense"},
	} {
		if r := cli(t, filepath.Join(t.TempDir(), "jfn.db"), args...); r.code != 2 {
			t.Errorf("jfn %s: exit %d (stderr %q), want 2", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}
