package main

import (
	"fmt"
	"io"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/openapi"
)

// The bounds of 'jfn tools --search --limit', those of search_tools.
const (
	defaultSearchLimit = catalog.DefaultSearchLimit
	maxSearchLimit     = catalog.MaxSearchLimit
)

// searchJSON is the output of 'jfn tools --search --json': the results as search_tools returns
// them.
type searchJSON struct {
	Results []catalog.SearchResult `json:"results"`
}

// searchTools ranks tools for query and returns the best limit of them.
func searchTools(tools []openapi.Tool, query string, limit int) searchJSON {
	docs := catalog.Docs(tools)
	out := searchJSON{Results: []catalog.SearchResult{}}
	for _, r := range catalog.New(docs).Search(query, limit, nil) {
		out.Results = append(out.Results, catalog.NewSearchResult(docs[r.Doc], tools[r.Doc].Toolsets, r.Score))
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
