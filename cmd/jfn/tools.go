package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/openapi"
)

var toolsCmd = command{
	Name: "tools", Args: []string{"FILE|URL"}, Flags: toolsFlags,
	Usage: `Usage: jfn tools FILE|URL [--mode all|search|auto] [--toolsets a,b] [--json]
       jfn tools FILE|URL --search "QUERY" [--limit N] [--json]

Prints the MCP tools an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML) turns into, and the
operations it skipped and why, without deploying anything. FILE may be - for standard input;
a URL is fetched (http or https, without credentials).

It shows what tools/list lists for a connection with --mode (default all: every tool; search:
the three search tools; auto: all while the tools are at most 40 and 64 KB, else search) and
--toolsets (OpenAPI tags; default every tool), with the document's toolsets and the size a
model reads.

With --json it prints one object:
  {"mode":"all"|"search","bytes":N,"toolsets":[{"name","tools"}…],
   "tools":[{"name","title","description","inputSchema","outputSchema","annotations"}…],
   "skipped":[{"operation","reason"}…]}
"bytes" is the model-visible size of the listed tools. "title" is left out when the operation
has no summary and "outputSchema" when it declares no JSON response, as in an MCP tools/list
result.

With --search it ranks the tools for a request written as a task ("kick user 66 out of guild
99"), as the search_tools tool of search mode does, and prints the best --limit of them (1-50,
default 10), one a line: rank, name, method and path, summary. With --json:
  {"results":[{"name","title","summary","method","path","toolsets","score"}…]}

Exits 0 for any document that reads as OpenAPI, even one with no operations; 1 when the input
cannot be read or is not an OpenAPI or Swagger document.
`,
}

// toolsMemoryLimit is the soft heap limit of 'jfn tools' (runtime/debug.SetMemoryLimit).
const toolsMemoryLimit = 96 << 20

func toolsFlags(fs *flagSet) action {
	search := fs.String("search", "", "rank the tools for the request `QUERY`")
	// The bounds of --limit are those of search_tools.
	limit := fs.Int("limit", catalog.DefaultSearchLimit, "with --search, print the best `N`, 1 to 50")
	mode := fs.String("mode", catalog.ModeAll, "list the tools a connection with mode `M` sees: all, search or auto")
	toolsets := fs.String("toolsets", "", "list only the tools of these OpenAPI tags, a comma-separated list `L`")
	return func(ctx context.Context, x *invocation) error {
		return tools(ctx, x, *search, *limit, *mode, *toolsets)
	}
}

func tools(ctx context.Context, x *invocation, search string, limit int, modeFlag, toolsets string) error {
	switch {
	case x.Set["search"] && strings.TrimSpace(search) == "":
		return x.Usagef("--search needs a query; run 'jfn tools --help'")
	case x.Set["limit"] && !x.Set["search"]:
		return x.Usagef("--limit goes with --search; run 'jfn tools --help'")
	case limit < 1 || limit > catalog.MaxSearchLimit:
		return x.Usagef("--limit %d: want 1 to %d", limit, catalog.MaxSearchLimit)
	case x.Set["search"] && (x.Set["mode"] || x.Set["toolsets"]):
		return x.Usagef("--search ranks every tool; it does not take --mode or --toolsets")
	case strings.TrimSpace(x.Args[0]) == "":
		return x.Usagef("the FILE|URL argument is empty; run 'jfn tools --help'")
	}
	mode, err := catalog.ParseMode(modeFlag)
	if err != nil || modeFlag == "" {
		return x.Usagef("invalid --mode %q: want all, search or auto", modeFlag)
	}
	src := x.Args[0]
	data, err := service.ReadDocument(ctx, x.Stdin, src)
	if serr := (*service.SchemeError)(nil); errors.As(err, &serr) {
		return x.Usagef("%v", serr)
	}
	if err != nil {
		return err
	}
	// Converting a large document allocates several times its size in short-lived garbage;
	// a soft limit on the heap (unless GOMEMLIMIT sets one) keeps the peak down for the
	// little extra collection it costs. The previous limit is restored after.
	if x.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(toolsMemoryLimit))
	}
	spec, err := openapi.Load(data)
	if err != nil {
		return fmt.Errorf("cannot load %s: %w", service.SourceName(src), err)
	}
	if x.Set["search"] {
		res := searchJSON{Results: catalog.SearchTools(spec.Tools(), search, limit)}
		if x.json {
			return printJSON(x.Stdout, res)
		}
		printSearch(x.Stdout, res)
		return nil
	}
	out, err := catalog.NewListing(spec, mode, catalog.ParseToolsets(toolsets))
	if err != nil {
		return x.Usagef("%v", err)
	}
	if x.json {
		return printJSON(x.Stdout, out)
	}
	printTools(x.Stdout, src, spec, out)
	return nil
}

// printTools writes the human-readable preview: each tool, the skipped operations, and a
// closing count.
func printTools(w io.Writer, src string, spec *openapi.Spec, out catalog.Listing) {
	about := spec.Title()
	if about == "" {
		about = service.SourceName(src)
	}
	kind := "OpenAPI"
	if spec.Version() == "2.0" {
		kind = "Swagger"
	}
	info(w, "%s (%s %s)", about, kind, spec.Version())
	var sets []string
	for _, ts := range out.Toolsets {
		sets = append(sets, fmt.Sprintf("%s (%d)", ts.Name, ts.Tools))
	}
	info(w, "Mode %s: %d tools listed, %s a model reads", out.Mode, len(out.Tools), catalog.SizeWords(out.Bytes))
	if len(sets) > 0 {
		info(w, "Toolsets: %s", strings.Join(sets, ", "))
	}
	for _, t := range out.Tools {
		fmt.Fprintln(w)
		if t.Title != "" {
			fmt.Fprintf(w, "%s — %s\n", t.Name, t.Title)
		} else {
			fmt.Fprintln(w, t.Name)
		}
		if d := catalog.DescriptionLine(t.Description, t.Title, 100); d != "" {
			fmt.Fprintf(w, "  %s\n", d)
		}
		fmt.Fprintf(w, "  Input:  %s\n", catalog.InputSummary(t.InputSchema, 8))
		if len(t.OutputSchema) > 0 {
			fmt.Fprintf(w, "  Output: %s\n", catalog.OutputSummary(t.OutputSchema, 8))
		} else {
			fmt.Fprintln(w, "  Output: no schema (the result is text)")
		}
		if h := strings.Join(t.Annotations.Words(), ", "); h != "" {
			fmt.Fprintf(w, "  Hints:  %s\n", h)
		}
	}
	if len(out.Skipped) > 0 {
		fmt.Fprintln(w)
		warn(w, "Skipped")
		tw := table(w)
		for _, s := range out.Skipped {
			fmt.Fprintf(tw, "  %s\t%s\n", s.Operation, strings.Join(strings.Fields(s.Reason), " "))
		}
		_ = tw.Flush()
	}
	fmt.Fprintln(w)
	if out.DocumentTools() == 0 {
		warn(w, "%s", out.Summary())
		return
	}
	ok(w, "%s", out.Summary())
}
