package corpustest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// layout makes a repository root (with a go.mod) inside a fresh folder, and the shared
// corpus beside it when withCorpus.
func layout(t *testing.T, withCorpus bool) (root string) {
	t.Helper()
	top := t.TempDir()
	root = filepath.Join(top, "jfn")
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "go.mod"), "module example.com/x\n")
	write(filepath.Join(root, "testdata", "corpus", "MANIFEST.tsv"), "file\n")
	if withCorpus {
		write(filepath.Join(top, "shared", "corpus", "MANIFEST.tsv"), "file\n")
		write(filepath.Join(top, "shared", "queries", "dev-queries.tsv"), "doc\tquery\texpected\n")
	}
	return root
}

func TestLocate(t *testing.T) {
	full, bare := layout(t, true), layout(t, false)
	// A shared/corpus folder without its manifest is not the corpus.
	partial := layout(t, false)
	if err := os.MkdirAll(filepath.Join(partial, "..", "shared", "corpus"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		root     string
		require  bool
		wantDir  string
		wantFull bool
		wantErr  bool
	}{
		{"whole corpus beside the repository", full, false, filepath.Join(full, "..", "shared", "corpus"), true, false},
		{"whole corpus, required", full, true, filepath.Join(full, "..", "shared", "corpus"), true, false},
		{"no shared folder: the vendored subset", bare, false, filepath.Join(bare, "testdata", "corpus"), false, false},
		{"no shared folder, required", bare, true, "", false, true},
		{"shared/corpus without a manifest: the vendored subset", partial, false, filepath.Join(partial, "testdata", "corpus"), false, false},
		{"shared/corpus without a manifest, required", partial, true, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, gotFull, err := locate(tt.root, tt.require)
			if (err != nil) != tt.wantErr {
				t.Fatalf("locate(%q, %v) error = %v, want error %v", tt.root, tt.require, err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), RequireEnv) {
					t.Errorf("locate(%q, %v) error = %q, want it to name %s", tt.root, tt.require, err, RequireEnv)
				}
				return
			}
			if filepath.Clean(dir) != filepath.Clean(tt.wantDir) || gotFull != tt.wantFull {
				t.Errorf("locate(%q, %v) = %q, %v; want %q, %v", tt.root, tt.require, dir, gotFull, tt.wantDir, tt.wantFull)
			}
		})
	}
}

func TestLocateShared(t *testing.T) {
	full, bare := layout(t, true), layout(t, false)
	if got, err := locateShared(full, "queries"); err != nil || filepath.Clean(got) != filepath.Join(filepath.Dir(full), "shared", "queries") {
		t.Errorf("locateShared(%q, queries) = %q, %v; want the shared queries folder", full, got, err)
	}
	if got, err := locateShared(bare, "queries"); err == nil {
		t.Errorf("locateShared(%q, queries) = %q, want an error (no shared folder)", bare, got)
	}
	if got, err := locateShared(full, "nope"); err == nil {
		t.Errorf("locateShared(%q, nope) = %q, want an error (no such folder)", full, got)
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("repoRoot() = %v", err)
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.HasPrefix(data, []byte("module github.com/jfnhq/jfn\n")) {
		t.Errorf("repoRoot() = %q, whose go.mod is not jfn's (%v)", root, err)
	}
}

// manifestRow is one line of a MANIFEST.tsv, split.
type manifestRow struct {
	line   string
	fields []string
}

func readRows(t *testing.T, path string) (header string, rows []manifestRow) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 13 {
			t.Fatalf("%s: line %q has %d fields, want 13", path, l, len(f))
		}
		rows = append(rows, manifestRow{l, f})
	}
	return lines[0], rows
}

// documentFiles lists the files that make up the document of a manifest row: the file
// itself, or the whole folder of a multi-file document.
func documentFiles(t *testing.T, dir, file string) []string {
	t.Helper()
	top, _, multi := strings.Cut(file, "/")
	if !multi {
		return []string{file}
	}
	var files []string
	err := filepath.WalkDir(filepath.Join(dir, top), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSubset checks the vendored subset: every document its manifest lists is there whole,
// with the size the manifest gives, nothing else is there, its licence is named in its README,
// it covers what the subset is for, and it stays small. With the whole corpus beside the
// repository, each manifest line and each file must be the corpus's own, byte for byte.
func TestSubset(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, subsetDir)
	header, rows := readRows(t, filepath.Join(dir, "MANIFEST.tsv"))
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, licences, ok := bytes.Cut(readme, []byte("\n## Sources and licences\n"))
	if !ok {
		t.Fatal("README.md has no section \"Sources and licences\"")
	}

	listed := map[string]bool{}
	var total int64
	for _, r := range rows {
		file := r.fields[0]
		want, _ := strconv.ParseInt(r.fields[5], 10, 64)
		fi, err := os.Stat(filepath.Join(dir, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if fi.Size() != want {
			t.Errorf("%s: %d bytes, the manifest says %d", file, fi.Size(), want)
		}
		files := documentFiles(t, dir, file)
		var companions int64
		for _, f := range files {
			listed[f] = true
			if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
				total += fi.Size()
				if f != file {
					companions += fi.Size()
				}
			}
		}
		if note := r.fields[12]; strings.HasPrefix(note, "multi-file:") && !strings.Contains(note, "("+strconv.FormatInt(companions, 10)+" companion bytes)") {
			t.Errorf("%s: %d companion bytes, the manifest says %q", file, companions, note)
		}
		row := "| `" + file + "` |"
		if top, _, multi := strings.Cut(file, "/"); multi {
			row = "| `" + top + "/` (all files) |"
		}
		i := bytes.Index(licences, []byte(row))
		if i < 0 {
			t.Errorf("README.md has no licence row %q", row)
			continue
		}
		line, _, _ := bytes.Cut(licences[i:], []byte("\n"))
		if !bytes.Contains(line, []byte(r.fields[2])) {
			t.Errorf("README.md's licence row for %s does not name its licence %s: %s", file, r.fields[2], line)
		}
		for _, text := range licenceFiles(string(line)) {
			if _, err := os.Stat(filepath.Join(dir, text)); err != nil {
				t.Errorf("README.md's licence row for %s names %s: %v", file, text, err)
			}
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if !listed[rel] && rel != "MANIFEST.tsv" && rel != "README.md" && !strings.HasPrefix(rel, "LICENSES/") {
			t.Errorf("%s is in the subset but not in its manifest", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The subset is for a fresh clone: a few MB, not the corpus's 23.
	if total > 3<<20 {
		t.Errorf("the subset's documents hold %d bytes, want at most 3 MB", total)
	}

	// What the subset is for: each version in JSON and YAML between them, and the cases the
	// corpus's manifest flags.
	has := map[string]bool{}
	for _, r := range rows {
		version := r.fields[3]
		if strings.Count(version, ".") == 2 {
			version = version[:strings.LastIndex(version, ".")]
		}
		has[version] = true
		has[r.fields[4]] = true
		for _, f := range strings.Split(r.fields[8], ",") {
			has[f] = true
		}
	}
	for _, want := range []string{"2.0", "3.0", "3.1", "json", "yaml", "circular", "ext-ref", "ext-pathitem-ref", "no-paths", "callbacks", "form", "multipart", "discriminator"} {
		if !has[want] {
			t.Errorf("no document of the subset has %s", want)
		}
	}
	if !slices.ContainsFunc(rows, func(r manifestRow) bool { n, _ := strconv.Atoi(r.fields[5]); return n > 500<<10 }) {
		t.Errorf("no document of the subset is over 500 KB")
	}

	shared, full, err := locate(root, false)
	if err != nil || !full {
		t.Logf("the whole corpus is not beside the repository: the subset is not compared with it")
		return
	}
	t.Logf("comparing the subset with the whole corpus at %s", shared)
	sharedHeader, sharedRows := readRows(t, filepath.Join(shared, "MANIFEST.tsv"))
	if header != sharedHeader {
		t.Errorf("manifest header %q, the corpus's is %q", header, sharedHeader)
	}
	for _, r := range rows {
		if !slices.ContainsFunc(sharedRows, func(s manifestRow) bool { return s.line == r.line }) {
			t.Errorf("manifest line for %s is not the corpus's line", r.fields[0])
		}
		for _, f := range documentFiles(t, dir, r.fields[0]) {
			a, errA := os.ReadFile(filepath.Join(dir, f))
			b, errB := os.ReadFile(filepath.Join(shared, f))
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs from the corpus's copy (%v, %v)", f, errA, errB)
			}
		}
		// The corpus's folder holds no file the subset left out.
		if top, _, multi := strings.Cut(r.fields[0], "/"); multi {
			if got, want := documentFiles(t, dir, r.fields[0]), documentFiles(t, shared, r.fields[0]); !slices.Equal(got, want) {
				t.Errorf("%s/ holds %d files, the corpus's %d", top, len(got), len(want))
			}
		}
	}
	texts, _ := filepath.Glob(filepath.Join(dir, "LICENSES", "*"))
	for _, l := range texts {
		a, errA := os.ReadFile(l)
		b, errB := os.ReadFile(filepath.Join(shared, "LICENSES", filepath.Base(l)))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("LICENSES/%s differs from the corpus's copy (%v, %v)", filepath.Base(l), errA, errB)
		}
	}
}

// licenceFiles returns the LICENSES/… paths quoted in a README line.
func licenceFiles(line string) []string {
	var out []string
	for _, part := range strings.Split(line, "`")[1:] {
		if strings.HasPrefix(part, "LICENSES/") {
			out = append(out, part)
		}
	}
	return out
}
