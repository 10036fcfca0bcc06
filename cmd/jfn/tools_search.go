package main

import (
	"fmt"
	"io"
	"math"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/openapi"
)

// The bounds of 'jfn tools --search --limit', those of search_tools.
const (
	defaultSearchLimit = 10
	maxSearchLimit     = 50
)

// searchJSON is the output of 'jfn tools --search --json': the results as search_tools returns
// them.
type searchJSON struct {
	Results []searchResultJSON `json:"results"`
}

// searchResultJSON is one search result.
type searchResultJSON struct {
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	Method   string   `json:"method"`
	Path     string   `json:"path"`
	Toolsets []string `json:"toolsets"`
	Score    float64  `json:"score"`
}

// searchTools ranks tools for query and returns the best limit of them.
func searchTools(tools []openapi.Tool, query string, limit int) searchJSON {
	docs := make([]catalog.Doc, len(tools))
	for i, t := range tools {
		docs[i] = catalog.DocFromTool(t)
	}
	out := searchJSON{Results: []searchResultJSON{}}
	for _, r := range catalog.New(docs).Search(query, limit, nil) {
		t := tools[r.Doc]
		toolsets := t.Toolsets
		if toolsets == nil {
			toolsets = []string{}
		}
		out.Results = append(out.Results, searchResultJSON{
			Name:     t.Name,
			Title:    t.Title,
			Summary:  catalog.Summary(docs[r.Doc]),
			Method:   t.Method,
			Path:     t.Path,
			Toolsets: toolsets,
			Score:    math.Round(r.Score*1000) / 1000,
		})
	}
	return out
}

// printSearch writes the results one a line: rank, name, method and path, summary.
func printSearch(w io.Writer, res searchJSON) {
	if len(res.Results) == 0 {
		warn(w, "No tool matches")
		return
	}
	tw := table(w)
	for i, r := range res.Results {
		fmt.Fprintf(tw, "%d\t%s\t%s %s\t%s\n", i+1, r.Name, r.Method, r.Path, r.Summary)
	}
	_ = tw.Flush()
}
