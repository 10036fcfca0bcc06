package main

import (
	"fmt"
	"io"

	"github.com/jfnhq/jfn/internal/catalog"
)

// searchJSON is the output of 'jfn tools --search --json': the results as search_tools returns
// them.
type searchJSON struct {
	Results []catalog.SearchResult `json:"results"`
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
