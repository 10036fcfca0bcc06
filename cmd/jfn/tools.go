package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/catalog"
	"github.com/jfnhq/jfn/internal/service"
	"github.com/jfnhq/jfn/openapi"
)

const toolsUsage = `Usage: jfn tools FILE|URL [--mode all|search|auto] [--toolsets a,b] [--json]
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
`

// toolsFetchTimeout bounds the download of a document given by URL.
const toolsFetchTimeout = 30 * time.Second

// toolsMemoryLimit is the soft heap limit of 'jfn tools' (runtime/debug.SetMemoryLimit).
const toolsMemoryLimit = 96 << 20

func cmdTools(ctx context.Context, e *env, args []string) error {
	flags := newFlagSet("tools")
	search := flags.String("search", "", "rank the tools for the request `QUERY`")
	limit := flags.Int("limit", defaultSearchLimit, "with --search, print the best `N` (1-50, default 10)")
	modeFlag := flags.String("mode", catalog.ModeAll, "list the tools a connection with mode `M` sees: all (default), search or auto")
	toolsetsFlag := flags.String("toolsets", "", "list only the tools of these OpenAPI tags, a comma-separated list `L`")
	pos, err := parseArgs(flags, args, toolsUsage)
	if err != nil {
		return err
	}
	set := visited(flags)
	if set["search"] && strings.TrimSpace(*search) == "" {
		return usagef("jfn tools: --search needs a query; run 'jfn tools --help'")
	}
	if set["limit"] && !set["search"] {
		return usagef("jfn tools: --limit goes with --search; run 'jfn tools --help'")
	}
	if *limit < 1 || *limit > maxSearchLimit {
		return usagef("jfn tools: --limit %d: want 1 to %d", *limit, maxSearchLimit)
	}
	if err := wantArgs("tools", pos, "FILE|URL"); err != nil {
		return err
	}
	mode, err := catalog.ParseMode(*modeFlag)
	if err != nil || *modeFlag == "" {
		return usagef("jfn tools: invalid --mode %q: want all, search or auto", *modeFlag)
	}
	if set["search"] && (set["mode"] || set["toolsets"]) {
		return usagef("jfn tools: --search ranks every tool; it does not take --mode or --toolsets")
	}
	src := pos[0]
	if strings.TrimSpace(src) == "" {
		return usagef("jfn tools: the FILE|URL argument is empty; run 'jfn tools --help'")
	}
	if scheme, _, ok := strings.Cut(src, "://"); ok && isURLScheme(scheme) && !isHTTP(src) {
		return usagef("jfn tools: unsupported URL scheme %q: want a file path, http:// or https://", scheme)
	}
	data, err := readDocument(ctx, e.stdin, src)
	if err != nil {
		return err
	}
	// Converting a large document allocates several times its size in short-lived garbage;
	// a soft limit on the heap (unless GOMEMLIMIT sets one) keeps the peak down for the
	// little extra collection it costs. The previous limit is restored after.
	if e.getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(toolsMemoryLimit))
	}
	spec, err := openapi.Load(data)
	if err != nil {
		return fmt.Errorf("cannot load %s: %w", sourceName(src), err)
	}
	if set["search"] {
		res := searchTools(spec.Tools(), *search, *limit)
		if e.json {
			return printJSON(e.stdout, res)
		}
		printSearch(e.stdout, res)
		return nil
	}
	out, err := catalog.NewListing(spec, mode, catalog.ParseToolsets(*toolsetsFlag))
	if err != nil {
		return usagef("jfn tools: %v", err)
	}
	if e.json {
		return printJSON(e.stdout, out)
	}
	printTools(e.stdout, src, spec, out)
	return nil
}

// sourceName names src in messages.
func sourceName(src string) string {
	if src == "-" {
		return "standard input"
	}
	return src
}

func isHTTP(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// isURLScheme reports whether s could be a URL scheme (RFC 3986: a letter, then letters,
// digits, +, - or .), so that "ftp://x" is refused while "./a://b" stays a file path.
func isURLScheme(s string) bool {
	if s == "" || !('a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for _, c := range []byte(s) {
		lc := c | 0x20
		if !('a' <= lc && lc <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// readDocument returns the bytes of the document src names: an http(s) URL, "-" for stdin,
// or a file path. It refuses anything over openapi.MaxDocumentSize.
func readDocument(ctx context.Context, stdin io.Reader, src string) ([]byte, error) {
	if isHTTP(src) {
		return fetchDocument(ctx, src)
	}
	var r io.Reader
	if src == "-" {
		r = stdin
	} else {
		f, err := os.Open(src)
		if err != nil {
			var perr *fs.PathError
			if errors.As(err, &perr) {
				err = perr.Err // its message repeats the path
			}
			return nil, fmt.Errorf("cannot read %s: %w", src, err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, fmt.Errorf("cannot read %s: it is a directory, not an OpenAPI document", src)
		}
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, openapi.MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", sourceName(src), err)
	}
	if len(data) > openapi.MaxDocumentSize {
		return nil, fmt.Errorf("cannot read %s: the document is larger than %d bytes", sourceName(src), openapi.MaxDocumentSize)
	}
	return data, nil
}

// fetchDocument downloads the document at u, without credentials, within toolsFetchTimeout.
func fetchDocument(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, toolsFetchTimeout)
	defer cancel()
	data, err := service.FetchDocument(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("cannot fetch %s: %w", u, err)
	}
	return data, nil
}

// printTools writes the human-readable preview: each tool, the skipped operations, and a
// closing count.
func printTools(w io.Writer, src string, spec *openapi.Spec, out catalog.Listing) {
	about := spec.Title()
	if about == "" {
		about = sourceName(src)
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
	// A skipped entry is an operation ("GET /x", "webhook …"), or a whole path item ("/x")
	// that could not be read, whose operations are unknown.
	var skippedOps, skippedPaths int
	for _, s := range out.Skipped {
		if strings.HasPrefix(s.Operation, "/") {
			skippedPaths++
		} else {
			skippedOps++
		}
	}
	n := len(out.Tools)
	summary := countOf(n, "tool") + " from " + countOf(n+skippedOps, "operation")
	var notes []string
	if skippedOps > 0 {
		notes = append(notes, fmt.Sprintf("%d skipped", skippedOps))
	}
	if skippedPaths > 0 {
		notes = append(notes, countOf(skippedPaths, "path item")+" skipped")
	}
	if len(notes) > 0 {
		summary += " (" + strings.Join(notes, ", ") + ")"
	}
	if n == 0 {
		warn(w, "%s", summary)
		return
	}
	ok(w, "%s", summary)
}

// countOf returns "1 tool", "2 tools".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
