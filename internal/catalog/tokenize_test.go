package catalog

import (
	"slices"
	"testing"
)

func words(s string) (parts, compounds []string) {
	tokenize(s, func(t token) {
		if t.compound {
			compounds = append(compounds, t.word)
		} else {
			parts = append(parts, t.word)
		}
	})
	return parts, compounds
}

func TestTokenize(t *testing.T) {
	for _, tt := range []struct {
		in        string
		parts     []string
		compounds []string
	}{
		{"getUser", []string{"get", "user"}, []string{"getuser"}},
		{"getHTTPResponse", []string{"get", "http", "response"}, []string{"gethttpresponse"}},
		{"HTTPServer", []string{"http", "server"}, []string{"httpserver"}},
		{"readCoreV1NamespacedPodLog", []string{"read", "core", "v", "1", "namespaced", "pod", "log"}, []string{"readcorev1namespacedpodlog"}},
		{"v1beta1", []string{"v", "1", "beta", "1"}, []string{"v1beta1"}},
		{"/guilds/{guild_id}/members/{user_id}", []string{"guilds", "guild", "id", "members", "user", "id"}, nil},
		{"bulk_delete-messages.v2", []string{"bulk", "delete", "messages", "v", "2"}, []string{"v2"}},
		{"GET_RunInstances", []string{"get", "run", "instances"}, []string{"runinstances"}},
		{"Ünïcode wörds ÄBCdef", []string{"ünïcode", "wörds", "äb", "cdef"}, []string{"äbcdef"}},
		{"日本語 テスト", []string{"日本語", "テスト"}, nil},
		{"", nil, nil},
		{"--//{}", nil, nil},
	} {
		parts, compounds := words(tt.in)
		if !slices.Equal(parts, tt.parts) || !slices.Equal(compounds, tt.compounds) {
			t.Errorf("tokenize(%q) = %q + %q, want %q + %q", tt.in, parts, compounds, tt.parts, tt.compounds)
		}
	}
}

func TestTokenizePositions(t *testing.T) {
	var got []int
	tokenize("shut the serverOne down", func(t token) { got = append(got, t.pos) })
	// shut 0, the 1, server 2, one 3, serverone 2 (compound), down 4
	if want := []int{0, 1, 2, 3, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("positions = %v, want %v", got, want)
	}
}

func TestStem(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"launches", "launch"},
		{"instances", "instance"},
		{"deleting", "deleted"},
		{"messages", "message"},
		{"running", "run"},
		{"configured", "configure"},
	} {
		if stem(tt.a) != stem(tt.b) {
			t.Errorf("stem(%q) = %q, stem(%q) = %q; want the same", tt.a, stem(tt.a), tt.b, stem(tt.b))
		}
	}
	if stem("ipv4") != "ipv4" || stem("ec2") != "ec2" {
		t.Errorf("stem kept words with digits as %q, %q; want them unchanged", stem("ipv4"), stem("ec2"))
	}
	if stem("user") == stem("use") {
		t.Errorf("stem(user) = stem(use) = %q; want them apart", stem("user"))
	}
}

func TestParseQueryIdentifiers(t *testing.T) {
	q := parseQuery("stop i-0123abcd on ipv4 and 42")
	weights := map[string]float64{}
	for _, g := range q.groups {
		weights[g.terms[0].stem] = g.terms[0].weight
	}
	if weights["0123abcd"] != idWeight || weights["42"] != idWeight {
		t.Errorf("identifier weights = %v, want %v for 0123abcd and 42", weights, idWeight)
	}
	if weights["ipv4"] != 1 {
		t.Errorf("ipv4 weight = %v, want 1 (a name, not an identifier)", weights["ipv4"])
	}
	if _, ok := weights["abcd"]; ok {
		t.Errorf("the parts of an identifier were searched for: %v", weights)
	}
}

func TestParseQueryPhrases(t *testing.T) {
	for _, tt := range []struct {
		query  string
		method string
		want   string // a stem the phrase stands for
	}{
		{"get rid of the old server", "DELETE", stem("delete")},
		{"shut the server down", "", stem("stop")},
		{"sign jane up for the event", "", stem("subscribe")},
	} {
		q := parseQuery(tt.query)
		found := false
		for _, g := range q.groups {
			for _, term := range g.terms {
				found = found || term.stem == tt.want
			}
			if g.terms[0].stem == "get" || g.terms[0].stem == "sign" {
				t.Errorf("parseQuery(%q): a phrase word is also searched for alone: %v", tt.query, g.terms)
			}
		}
		if !found {
			t.Errorf("parseQuery(%q) = %+v, want the phrase to stand for %q", tt.query, q.groups, tt.want)
		}
		if tt.method != "" && !slices.Contains(q.methods, tt.method) {
			t.Errorf("parseQuery(%q) methods = %v, want %s", tt.query, q.methods, tt.method)
		}
	}
}

func TestParseQueryCapped(t *testing.T) {
	long := ""
	for i := 0; i < 500; i++ {
		long += "word" + string(rune('a'+i%26)) + " "
	}
	q := parseQuery(long)
	if len(q.groups) > maxQueryGroups {
		t.Errorf("parseQuery of %d bytes gave %d groups, want at most %d", len(long), len(q.groups), maxQueryGroups)
	}
}

func TestParseQueryOneAction(t *testing.T) {
	q := parseQuery("make a new namespace")
	if len(q.groups) != 2 {
		t.Errorf("parseQuery(make a new namespace) = %d groups %+v, want 2 (one create, namespace)", len(q.groups), q.groups)
	}
	q = parseQuery("post the report in the chat channel")
	if len(q.groups) != 4 {
		t.Errorf("parseQuery(post the report in the chat channel) = %d groups, want 4 (nouns are not merged)", len(q.groups))
	}
	if q := parseQuery("what models can I use?"); !slices.Contains(q.methods, "GET") {
		t.Errorf("parseQuery(what models can I use?) methods = %v, want GET for a question", q.methods)
	}
}
