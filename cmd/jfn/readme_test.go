package main

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEPackageMap: the README's package map names every package of the tree, and each
// row's last column is exactly what the package imports of ours (its non-test files).
func TestREADMEPackageMap(t *testing.T) {
	const module = "github.com/jfnhq/jfn/"
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- package map")
	section, _, ok2 := strings.Cut(after, "<!-- end of package map -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no package map between its markers")
	}
	code := regexp.MustCompile("`([^`]+)`")
	documented := map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		var imports []string
		for _, m := range code.FindAllStringSubmatch(cells[3], -1) {
			imports = append(imports, m[1])
		}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			documented[m[1]] = imports
		}
	}

	found := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go package here (or only tests)
		}
		rel, _ := filepath.Rel(root, path)
		var ours []string
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) {
				ours = append(ours, strings.TrimPrefix(imp, module))
			}
		}
		slices.Sort(ours)
		found[filepath.ToSlash(rel)] = ours
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, imports := range found {
		doc, ok := documented[pkg]
		if !ok {
			t.Errorf("package %s is not in the README's package map", pkg)
			continue
		}
		slices.Sort(doc)
		if !slices.Equal(doc, imports) {
			t.Errorf("README: %s imports %v, the map says %v", pkg, imports, doc)
		}
	}
	for pkg := range documented {
		if _, ok := found[pkg]; !ok {
			t.Errorf("the README's package map names %s, which is not a package of the tree", pkg)
		}
	}
}
