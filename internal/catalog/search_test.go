package catalog

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// testDocs is a small API with the usual CRUD operations.
var testDocs = []Doc{
	{Name: "listUsers", Title: "List users", Description: "Returns every user of the account.", Method: "GET", Path: "/users", Tags: []string{"users"}},
	{Name: "createUser", Title: "Create a user", Description: "Adds a user.", Method: "POST", Path: "/users", Tags: []string{"users"},
		Params: []Param{{"email", "The user's e-mail address"}, {"name", "Full name"}}},
	{Name: "getUser", Title: "Get a user", Method: "GET", Path: "/users/{userId}", Tags: []string{"users"}, Params: []Param{{"userId", ""}}},
	{Name: "deleteUser", Title: "Delete a user", Method: "DELETE", Path: "/users/{userId}", Tags: []string{"users"}, Params: []Param{{"userId", ""}}},
	{Name: "updateUser", Title: "Update a user", Method: "PATCH", Path: "/users/{userId}", Tags: []string{"users"}, Params: []Param{{"userId", ""}, {"email", ""}}},
	{Name: "stopServer", Title: "Stop a server", Method: "POST", Path: "/servers/{id}/stop", Tags: []string{"servers"}},
	{Name: "startServer", Title: "Start a server", Method: "POST", Path: "/servers/{id}/start", Tags: []string{"servers"}},
	{Name: "rebootServer", Title: "Reboot a server", Method: "POST", Path: "/servers/{id}/reboot", Tags: []string{"servers"}},
	{Name: "sendMessage", Title: "Send a message", Description: "Posts a message in a channel.", Method: "POST", Path: "/channels/{channelId}/messages", Tags: []string{"messages"}},
	{Name: "deprecatedSendMessage", Title: "Send a message (deprecated)", Description: "Posts a message in a channel.", Method: "POST", Path: "/channels/{channelId}/msgs", Tags: []string{"messages"}},
	{Name: "getHTTPResponse", Description: "GET /debug/response", Method: "GET", Path: "/debug/response"},
	{Name: "fermerSéance", Title: "Fermer la séance", Method: "POST", Path: "/séances/{id}/fermer"},
}

var testIndex = New(testDocs)

func top(x *Index, docs []Doc, query string, limit int) []string {
	var out []string
	for _, r := range x.Search(query, limit, nil) {
		out = append(out, docs[r.Doc].Name)
	}
	return out
}

func TestSearchRanking(t *testing.T) {
	for _, tt := range []struct{ query, want string }{
		{"deleteUser", "deleteUser"},
		{"getuser", "getUser"},
		{"get rid of user 42", "deleteUser"},
		{"remove the account of jane", "deleteUser"},
		{"add a new member", "createUser"},
		{"change jane's email", "updateUser"},
		{"shut down server 7", "stopServer"},
		{"boot up server 7", "startServer"},
		{"restart server 7", "rebootServer"},
		{"post hello in channel 5", "sendMessage"},
		{"http response", "getHTTPResponse"},
		{"fermer la séance", "fermerSéance"},
	} {
		got := top(testIndex, testDocs, tt.query, 3)
		if len(got) == 0 || got[0] != tt.want {
			t.Errorf("Search(%q) = %v, want %s first", tt.query, got, tt.want)
		}
	}
}

func TestSearchMethodHint(t *testing.T) {
	// The same words in a GET and a DELETE tool: the delete word decides.
	docs := []Doc{
		{Name: "userSessions", Title: "User sessions", Method: "GET", Path: "/users/{id}/sessions"},
		{Name: "userSessionsAlt", Title: "User sessions", Method: "DELETE", Path: "/users/{id}/sessions"},
	}
	x := New(docs)
	if got := top(x, docs, "remove user sessions", 2); len(got) != 2 || got[0] != "userSessionsAlt" {
		t.Errorf("Search(remove user sessions) = %v, want the DELETE tool first", got)
	}
	if got := top(x, docs, "show user sessions", 2); len(got) != 2 || got[0] != "userSessions" {
		t.Errorf("Search(show user sessions) = %v, want the GET tool first", got)
	}
}

func TestSearchDeprecatedLast(t *testing.T) {
	got := top(testIndex, testDocs, "send message", 2)
	if !slices.Equal(got, []string{"sendMessage", "deprecatedSendMessage"}) {
		t.Errorf("Search(send message) = %v, want the current tool before the deprecated one", got)
	}
}

func TestSearchLimitAndKeep(t *testing.T) {
	if got := testIndex.Search("user", 2, nil); len(got) != 2 {
		t.Errorf("Search(user, 2) gave %d results, want 2", len(got))
	}
	for _, limit := range []int{0, -1} {
		if got := testIndex.Search("user", limit, nil); len(got) != 0 {
			t.Errorf("Search(user, %d) = %v, want none", limit, got)
		}
	}
	keep := func(i int) bool { return testDocs[i].Method == "GET" }
	got := testIndex.Search("user", 10, keep)
	if len(got) == 0 {
		t.Fatal("Search(user, keep GET) found nothing")
	}
	for _, r := range got {
		if testDocs[r.Doc].Method != "GET" {
			t.Errorf("Search(user, keep GET) returned %s (%s)", testDocs[r.Doc].Name, testDocs[r.Doc].Method)
		}
	}
}

func TestSearchEmpty(t *testing.T) {
	for _, q := range []string{"", "   ", "the of and", "?!", "12345"} {
		for _, r := range testIndex.Search(q, 10, nil) {
			if r.Score <= 0 {
				t.Errorf("Search(%q) returned %v with a score <= 0", q, r)
			}
		}
	}
	if got := testIndex.Search("", 10, nil); len(got) != 0 {
		t.Errorf("Search(\"\") = %v, want none", got)
	}
	if got := New(nil).Search("user", 10, nil); len(got) != 0 || New(nil).Len() != 0 {
		t.Errorf("an empty index found %v", got)
	}
	if testIndex.Len() != len(testDocs) {
		t.Errorf("Len() = %d, want %d", testIndex.Len(), len(testDocs))
	}
}

func TestSearchTiesKeepDocOrder(t *testing.T) {
	docs := []Doc{
		{Name: "a", Title: "Export report", Method: "GET", Path: "/a"},
		{Name: "b", Title: "Export report", Method: "GET", Path: "/b"},
		{Name: "c", Title: "Export report", Method: "GET", Path: "/c"},
	}
	x := New(docs)
	for i := 0; i < 20; i++ {
		got := top(x, docs, "export report", 3)
		if !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("Search(export report) = %v, want a, b, c (ties in doc order)", got)
		}
	}
}

func TestSearchDeterministic(t *testing.T) {
	want := testIndex.Search("create or update a user", 10, nil)
	for i := 0; i < 10; i++ {
		again := New(testDocs).Search("create or update a user", 10, nil)
		if !slices.Equal(want, again) {
			t.Fatalf("two indexes of the same docs disagree: %v and %v", want, again)
		}
	}
}

func TestSearchConcurrent(t *testing.T) {
	want := testIndex.Search("delete user", 5, nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if got := testIndex.Search("delete user", 5, nil); !slices.Equal(got, want) {
					t.Errorf("concurrent Search = %v, want %v", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestSearchLongQuery(t *testing.T) {
	q := strings.Repeat("user ", 100000)
	if got := testIndex.Search(q, 5, nil); len(got) == 0 || len(got) > 5 {
		t.Errorf("Search(500 KB query) gave %d results, want 1 to 5", len(got))
	}
}

func TestSummary(t *testing.T) {
	long := strings.Repeat("é", 300)
	for _, tt := range []struct {
		doc  Doc
		want string
	}{
		{Doc{Title: "Get a user", Description: "Returns a user."}, "Get a user"},
		{Doc{Description: "Returns a user.  It needs\nthe id. More."}, "Returns a user."},
		{Doc{Description: "Returns\n  a   user"}, "Returns a user"},
		{Doc{Method: "get", Path: "/users"}, "GET /users"},
		{Doc{Title: long}, strings.Repeat("é", 199) + "…"},
	} {
		got := Summary(tt.doc)
		if got != tt.want {
			t.Errorf("Summary(%+v) = %q, want %q", tt.doc, got, tt.want)
		}
		if utf8.RuneCountInString(got) > 200 {
			t.Errorf("Summary is %d characters, want at most 200", utf8.RuneCountInString(got))
		}
	}
}

func FuzzSearch(f *testing.F) {
	for _, s := range []string{
		"", "delete user", "get rid of server 42", "shut the thing down", "deleteUser",
		"ipv4 0abc1234 i-0123", "日本語", "\xff\xfe", strings.Repeat("a", 2000), "sign up up up",
		"{}/_-.", "SÉANCE fermer", "ⅰⅱ ½ ß",
	} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, q string, limit int) {
		limit = limit%60 - 5
		res := testIndex.Search(q, limit, nil)
		if len(res) > max(limit, 0) {
			t.Fatalf("Search(%q, %d) gave %d results", q, limit, len(res))
		}
		for i, r := range res {
			if math.IsNaN(r.Score) || math.IsInf(r.Score, 0) || r.Score <= 0 {
				t.Fatalf("Search(%q) score %v", q, r.Score)
			}
			if r.Doc < 0 || r.Doc >= testIndex.Len() {
				t.Fatalf("Search(%q) doc %d out of range", q, r.Doc)
			}
			if i > 0 && (r.Score > res[i-1].Score || r.Score == res[i-1].Score && r.Doc < res[i-1].Doc) {
				t.Fatalf("Search(%q) not sorted: %v", q, res)
			}
		}
		// A document built from the query must index and search too.
		d := []Doc{{Name: q, Title: q, Description: q, Path: q, Method: q, Tags: []string{q}, Params: []Param{{q, q}}}}
		New(d).Search(q, 3, nil)
	})
}

func TestSplitValues(t *testing.T) {
	for _, c := range []struct {
		in, rest string
		values   []string
		emails   int
	}{
		{`post "deploy finished" in #eng`, "post in #eng", []string{"deploy finished"}, 0},
		{"sign jane@acme.com up", "sign up", []string{"jane@acme.com"}, 1},
		{"star acme/widgets, please", "star please", []string{"acme/widgets"}, 0},
		{"label i-0abc with Owner=alice", "label i-0abc with Owner", []string{"alice"}, 0},
		{"make a namespace called team-blue now", "make a namespace now", []string{"team-blue"}, 0},
		{"it's \u201cquoted\u201d", "it's", []string{"quoted"}, 0},
		{`an "unclosed quote`, `an "unclosed quote`, nil, 0},
	} {
		rest, values, emails := splitValues(c.in)
		if rest != c.rest || !slices.Equal(values, c.values) || emails != c.emails {
			t.Errorf("splitValues(%q) = %q, %q, %d; want %q, %q, %d", c.in, rest, values, emails, c.rest, c.values, c.emails)
		}
	}
}

func TestNegatedWordsAreDropped(t *testing.T) {
	for _, in := range []string{"disable site 12 without deleting it", "stop it but don't delete it", "stop it, do not delete it"} {
		q := parseQuery(in)
		for _, g := range q.groups {
			if g.terms[0].stem == "delet" {
				t.Errorf("parseQuery(%q) searches for %q", in, g.terms[0].stem)
			}
		}
		if slices.Contains(q.methods, "DELETE") {
			t.Errorf("parseQuery(%q) hints DELETE", in)
		}
	}
}

func TestAbbreviationInName(t *testing.T) {
	docs := []Doc{
		{Name: "createEnvVars", Description: "Creates values."},
		{Name: "createSite", Description: "Creates a site."},
	}
	x := New(docs)
	r := x.Search("create an environment variable", 2, nil)
	if len(r) == 0 || docs[r[0].Doc].Name != "createEnvVars" {
		t.Errorf("create an environment variable: %v, want createEnvVars first", r)
	}
}
