package catalog

import (
	"slices"
	"sort"
	"strings"
	"unicode"
)

// MaxQuery is the longest query read, in bytes; the rest of a longer one is ignored. Queries
// come from agents and users, so they are bounded like any untrusted input.
const MaxQuery = 1000

// maxQueryGroups bounds the words of a query that are searched for.
const maxQueryGroups = 32

const (
	// idWeight is the weight of a number or identifier ("66", "i-0abc12", "ami-0abcd1234"):
	// it names a resource, rarely the operation, so it breaks ties at most.
	idWeight = 0.1
	// partWeight is the weight of the parts of a query word that is itself searched for
	// ("ipv" of "ipv4"), and of a compound beside its parts ("pullrequest").
	partWeight = 0.5
	// prefixWeight is the weight of an indexed word that shares a long prefix with a query
	// word the index lacks ("transcribe" → "transcription", "react" → "reaction").
	prefixWeight = 0.6
	// methodBoost multiplies the score of a tool whose method the query hints at ("delete"
	// → DELETE).
	methodBoost = 1.1
	// nameBonus is added when the query is exactly a tool's name.
	nameBonus = 100
)

// queryTerm is one stem to look up, with its weight.
type queryTerm struct {
	stem   string
	weight float64
}

// queryGroup is one word of the query (or phrase), with the stems that stand for it; a tool
// scores the best of them, so a word with many synonyms counts no more than one without.
type queryGroup struct {
	terms []queryTerm
}

// query is a parsed search request.
type query struct {
	groups  []queryGroup
	methods []string // hinted HTTP methods
	exact   string   // the whole query, lower case, for an exact name match
}

// parseQuery turns free text into weighted groups of stems.
func parseQuery(s string) query {
	s = cut(s, MaxQuery)
	q := query{exact: strings.ToLower(strings.TrimSpace(s))}
	s, values, emails := splitValues(s)
	words, compounds := queryWords(s)
	markNegated(words)
	q.addPhrases(words)
	// A question asks to read: "what models can I use?", "who attended?".
	if len(words) > 0 && questionWords[words[0].word] {
		q.methods = append(q.methods, "GET")
	}
	q.addWords(words)
	for _, c := range compounds {
		q.addGroup(queryGroup{terms: []queryTerm{{stem(c), partWeight}}})
	}
	q.addValues(values, emails)
	return q
}

// queryWords returns the words of the query with their stems, and the compounds searched
// for beside their parts. A word with digits is one word: a short one ("ipv4", "ec2",
// "mp3") is a name in its own right, a long one or one that starts with a digit is an
// identifier ("0abcd1234", "i-0456ef"), and its parts mean nothing alone. A camelCase word
// typed in a query ("pullRequest") is searched for by its parts and whole.
func queryWords(s string) (words []queryWord, compounds []string) {
	type word = queryWord
	var run []token
	flush := func() {
		if len(run) == 0 {
			return
		}
		last := run[len(run)-1]
		if !last.compound { // a run of one part
			for _, t := range run {
				words = append(words, word{word: t.word, stem: stem(t.word), pos: t.pos})
			}
		} else if hasDigit(last.word) {
			words = append(words, word{word: last.word, stem: last.word, pos: last.pos})
		} else {
			for _, t := range run[:len(run)-1] {
				words = append(words, word{word: t.word, stem: stem(t.word), pos: t.pos})
			}
			compounds = append(compounds, last.word)
		}
		run = run[:0]
	}
	tokenize(s, func(t token) {
		run = append(run, t)
		if t.last {
			flush()
		}
	})
	flush()
	return words, compounds
}

// markNegated marks the negated words used: a negated word is not what the request asks
// for ("take the site offline without deleting it", "keep it, don't terminate it").
func markNegated(words []queryWord) {
	for i := range words {
		if !negation(words, i) {
			continue
		}
		words[i].used = true
		for j := i + 1; j < len(words); j++ {
			if w := words[j].word; w != "t" && indexable(w) {
				words[j].used = true
				break
			}
		}
	}
}

// hint adds the methods group g hints at.
func (q *query) hint(g int) {
	for _, m := range vocabulary.groups[g].methods {
		if !slices.Contains(q.methods, m) {
			q.methods = append(q.methods, m)
		}
	}
}

// addGroup adds a group with terms, up to maxQueryGroups.
func (q *query) addGroup(g queryGroup) {
	if len(q.groups) < maxQueryGroups && len(g.terms) > 0 {
		q.groups = append(q.groups, g)
	}
}

// addPhrases adds a group for each phrase of the vocabulary in the words ("get rid of",
// "shut … down"), before the single words, and marks its words used.
func (q *query) addPhrases(words []queryWord) {
	for _, p := range vocabulary.phrases {
		for i := range words {
			at := phraseAt(words, i, p.stems)
			if at == nil {
				continue
			}
			for _, k := range at {
				words[k].used = true
			}
			q.hint(p.group)
			var g queryGroup
			for _, st := range vocabulary.groups[p.group].stems {
				g.terms = addTerm(g.terms, st, phraseWeight)
			}
			q.addGroup(g)
		}
	}
}

// phraseAt returns the positions of the unused words that spell the phrase of stems from
// words[i] on, each at most maxPhraseGap words after the one before; nil when the phrase is
// not there.
func phraseAt(words []queryWord, i int, stems []string) []int {
	if words[i].used || words[i].stem != stems[0] {
		return nil
	}
	at := []int{i}
	j := i
	for _, ps := range stems[1:] {
		found := -1
		for k := j + 1; k < len(words) && k <= j+maxPhraseGap+1; k++ {
			if !words[k].used && words[k].stem == ps {
				found = k
				break
			}
		}
		if found < 0 {
			return nil
		}
		at = append(at, found)
		j = found
	}
	return at
}

// addWords adds a group for each word left: the word and its synonyms, or a number or
// identifier alone. A request has one action: the words of one CRUD group count once ("make
// a new namespace" is one create, not two).
func (q *query) addWords(words []queryWord) {
	usedGroups := map[int]bool{}
	for _, w := range words {
		if w.used || !indexable(w.word) {
			continue
		}
		if gs := crudGroups(w.stem); len(gs) > 0 && allIn(gs, usedGroups) {
			continue
		}
		for _, gi := range crudGroups(w.stem) {
			usedGroups[gi] = true
		}
		if hasDigit(w.word) {
			weight := 1.0
			if isIdentifier(w.word) {
				weight = idWeight
			}
			q.addGroup(queryGroup{terms: []queryTerm{{w.stem, weight}}})
			continue
		}
		g := queryGroup{terms: []queryTerm{{w.stem, 1}}}
		for _, gi := range vocabulary.byStem[w.stem] {
			q.hint(gi)
			for _, st := range vocabulary.groups[gi].stems {
				g.terms = addTerm(g.terms, st, synonymWeight)
			}
		}
		q.addGroup(g)
	}
}

// addValues adds what the values taken out of the request say: an e-mail address that the
// tool takes one, and the words of values count like identifiers.
func (q *query) addValues(values []string, emails int) {
	if emails > 0 {
		q.addGroup(queryGroup{terms: []queryTerm{{stem("email"), emailWeight}}})
	}
	for _, v := range values {
		tokenize(v, func(t token) {
			if !t.compound && indexable(t.word) {
				q.addGroup(queryGroup{terms: []queryTerm{{stem(t.word), idWeight}}})
			}
		})
	}
}

// emailWeight is the weight of the word "email" for an e-mail address in a query.
const emailWeight = 0.5

// namingWords introduce the name of the resource a request is about ("called team-blue").
var namingWords = setOf("called named titled")

// splitValues takes the concrete values out of a request: quoted text ("post "deploy
// finished" in #eng"), e-mail addresses, paths and names with a slash ("acme/widgets",
// "/dev/sdf"), what follows "=" ("Owner=alice") and the name after "called" or "named". They name the data a tool works on, not
// what it does. It returns the rest of the text, the values, and the number of e-mail
// addresses.
func splitValues(s string) (rest string, values []string, emails int) {
	var b strings.Builder
	// Quoted text first.
	for len(s) > 0 {
		i := strings.IndexAny(s, "\"`“")
		if i < 0 {
			b.WriteString(s)
			break
		}
		open, size := s[i], 1
		closer := string(open)
		if open == 0xe2 { // “
			size, closer = len("“"), "”"
		}
		j := strings.Index(s[i+size:], closer)
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		values = append(values, s[i+size:i+size+j])
		s = s[i+size+j+len(closer):]
	}
	var kept []string
	fields := strings.Fields(b.String())
	for k := 0; k < len(fields); k++ {
		f := fields[k]
		word := strings.Trim(f, ".,;:!?()[]{}'")
		switch {
		case namingWords[strings.ToLower(word)] && k+1 < len(fields):
			// "a namespace called team-blue": the name is a value.
			k++
			values = append(values, fields[k])
		case strings.Contains(word, "@") && strings.Contains(word[strings.Index(word, "@"):], "."):
			emails++
			values = append(values, word)
		case strings.Contains(word, "/"):
			values = append(values, word)
		case strings.Contains(word, "="):
			key, value, _ := strings.Cut(word, "=")
			values = append(values, value)
			kept = append(kept, key)
		default:
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " "), values, emails
}

// queryWord is one word of a query, with its stem; used once a phrase or a negation took it.
type queryWord struct {
	word, stem string
	pos        int
	used       bool
}

// negators negate the next word; contractions ("don't", "can't") end in a "t" after one of
// negatedAuxiliaries.
var (
	negators           = setOf("not without never cannot dont doesnt didnt cant wont")
	negatedAuxiliaries = setOf("don doesn didn can won isn aren wasn weren shouldn wouldn couldn haven hasn")
)

// negation reports whether words[i] negates the word after it.
func negation(words []queryWord, i int) bool {
	w := words[i].word
	if negators[w] {
		return true
	}
	return w == "t" && i > 0 && negatedAuxiliaries[words[i-1].word]
}

// questionWords start a question, which asks to read.
var questionWords = setOf("what which who whom whose how when where is are does do did can was were")

// crudGroups returns the groups of stem that hint at a method (the CRUD verbs).
func crudGroups(stem string) []int {
	var out []int
	for _, g := range vocabulary.byStem[stem] {
		if len(vocabulary.groups[g].methods) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func allIn(groups []int, set map[int]bool) bool {
	for _, g := range groups {
		if !set[g] {
			return false
		}
	}
	return true
}

// maxPhraseGap is how many words may stand between the words of a phrase ("sign jane up").
const maxPhraseGap = 3

// isIdentifier reports whether a word with digits looks like an identifier or a number rather
// than a name: it starts with a digit, or has three digits or more, or is long.
func isIdentifier(w string) bool {
	digits := 0
	for _, r := range w {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	r0 := []rune(w)[0]
	return unicode.IsDigit(r0) || digits >= 3 || len(w) > 12
}

// addTerm adds a stem to terms, keeping the higher weight of a stem already there.
func addTerm(terms []queryTerm, s string, w float64) []queryTerm {
	for i := range terms {
		if terms[i].stem == s {
			terms[i].weight = max(terms[i].weight, w)
			return terms
		}
	}
	return append(terms, queryTerm{s, w})
}

// Search ranks the tools for query, best first, and returns at most limit of them, only those
// for which keep(i) is true (nil keeps all). Tools that match no word of the query are left
// out; equal scores keep the order of the docs given to New. Only the first MaxQuery bytes of
// query are read.
func (x *Index) Search(query string, limit int, keep func(i int) bool) []Result {
	if limit <= 0 || x.n == 0 {
		return nil
	}
	q := parseQuery(query)
	if len(q.groups) == 0 {
		return nil
	}
	scores := make([]float64, x.n)
	best := make([]float64, x.n) // the current group's best score per tool
	var touched []int32
	matched := map[int32]bool{} // the terms the query searched for
	for _, g := range q.groups {
		g = x.expand(g)
		touched = touched[:0]
		for _, t := range g.terms {
			x.scoreTerm(t.stem, t.weight, best, &touched, matched)
			if t.weight == 1 && len(t.stem) >= minPrefix && !hasDigit(t.stem) {
				if _, ok := x.terms[t.stem]; !ok {
					for _, s := range x.prefixMatches(t.stem) {
						x.scoreTerm(s, prefixWeight, best, &touched, matched)
					}
				}
				for _, s := range x.abbreviations(t.stem) {
					x.scoreTerm(s, abbrevWeight, best, &touched, matched)
				}
			}
		}
		for _, d := range touched {
			scores[d] += best[d]
			best[d] = 0
		}
	}

	var results []Result
	for i, s := range scores {
		if s <= 0 || (keep != nil && !keep(i)) {
			continue
		}
		s *= x.factor[i]
		// The share of the tool's name that the query's words (or their related words) make
		// up, smoothed: of two tools that match "create a namespace", createNamespace (2 of
		// its 3 name words, 3/4) is a better answer than createNamespacedSecret (2 of 4, 3/5).
		if n := len(x.nameTerms[i]); n > 0 {
			hit := 0
			for _, id := range x.nameTerms[i] {
				if matched[id] {
					hit++
				}
			}
			s *= float64(hit+1) / float64(n+1)
		}
		if slices.Contains(q.methods, x.methods[i]) {
			s *= methodBoost
		}
		if x.names[i] == q.exact {
			s += nameBonus
		}
		results = append(results, Result{Doc: i, Score: s})
	}
	sort.SliceStable(results, func(a, b int) bool { return results[a].Score > results[b].Score })
	if len(results) > limit {
		results = results[:limit]
	}
	return results
}

var (
	// wordnetWeight is the weight of a word related to a query word in WordNet.
	wordnetWeight = 0.4
	// maxWordnet bounds the WordNet words one query word adds.
	maxWordnet = 4
)

// expand adds to a group the words that WordNet relates to its query word, those that this
// index has (so that the rare senses of a word mostly find nothing to match), at most
// maxWordnet of them, most related first: its derived forms ("registrant" for "register"),
// and, when the index lacks the word itself, its synonyms ("purchase" for "buy").
func (x *Index) expand(g queryGroup) queryGroup {
	if len(g.terms) == 0 || g.terms[0].weight != 1 || hasDigit(g.terms[0].stem) {
		return g
	}
	e := wordnetLookup(g.terms[0].stem)
	candidates := e.derived
	_, known := x.terms[g.terms[0].stem]
	if !known {
		candidates = append(slices.Clip(candidates), e.related...)
	}
	if len(candidates) == 0 {
		return g
	}
	terms := slices.Clone(g.terms)
	added := 0
	for _, r := range candidates {
		if added == maxWordnet {
			break
		}
		if _, ok := x.terms[r]; !ok || slices.ContainsFunc(terms, func(t queryTerm) bool { return t.stem == r }) {
			continue
		}
		terms = append(terms, queryTerm{r, wordnetWeight})
		added++
	}
	return queryGroup{terms: terms}
}

// scoreTerm raises best[d] to the BM25F score of stem in each tool d that has it, and marks
// the stem matched.
func (x *Index) scoreTerm(stem string, weight float64, best []float64, touched *[]int32, matched map[int32]bool) {
	id, ok := x.terms[stem]
	if !ok {
		return
	}
	matched[id] = true
	idf := x.idf[id] * weight
	for _, p := range x.postings[id] {
		tf := float64(p.tf)
		s := idf * tf / (k1 + tf)
		if best[p.doc] == 0 {
			*touched = append(*touched, p.doc)
		}
		if s > best[p.doc] {
			best[p.doc] = s
		}
	}
}

// abbrevWeight is the weight of a name word that abbreviates a query word ("env" for
// "environment").
const abbrevWeight = 0.5

// abbreviations returns the words of tool names that abbreviate s by cutting it: "env" for
// "environ(ment)", "var" for "variabl(e)", "config" for "configur(ation)". They are at least
// 3 bytes long and 2 bytes shorter than s.
func (x *Index) abbreviations(s string) []string {
	var out []string
	for n := 3; n <= len(s)-2; n++ {
		if id, ok := x.terms[s[:n]]; ok && x.inName[id] {
			out = append(out, s[:n])
		}
	}
	return out
}

// minPrefix is the shortest query stem matched by prefix.
const minPrefix = 5

// maxPrefixMatches bounds the indexed words one query word may match by prefix.
const maxPrefixMatches = 8

// prefixMatches returns the indexed stems that share with s a prefix of at least minPrefix
// bytes and at most one byte shorter than the shorter of the two: "transcrib" and
// "transcript", "react" and "reaction". They catch the derived words that stemming leaves
// apart.
func (x *Index) prefixMatches(s string) []string {
	p := max(minPrefix, len(s)-1)
	if p > len(s) {
		return nil
	}
	prefix := s[:p]
	var out []string
	i := sort.SearchStrings(x.sorted, prefix)
	for ; i < len(x.sorted) && strings.HasPrefix(x.sorted[i], prefix); i++ {
		v := x.sorted[i]
		if v == s || len(v) > len(s)+4 {
			continue
		}
		out = append(out, v)
		if len(out) == maxPrefixMatches {
			break
		}
	}
	return out
}
