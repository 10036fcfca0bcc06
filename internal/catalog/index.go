package catalog

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// Doc is what the index knows of one tool.
type Doc struct {
	Name, Title, Description string
	Tags                     []string
	Method, Path             string
	Params                   []Param
	// Fields are the properties nested inside the parameters (a body's "spec.replicas"), with
	// their descriptions; Values the enum values of the input ("end", "recover"). Both may be
	// empty.
	Fields []Param
	Values []string
}

// Param is one top-level argument of a tool.
type Param struct{ Name, Description string }

// Result is one search hit: Doc is the position of the tool in the docs given to New.
type Result struct {
	Doc   int
	Score float64
}

// field is a part of a Doc, searched with its own weight.
type field uint8

const (
	fieldName field = iota
	fieldTitle
	fieldTags
	fieldPath
	fieldMethod
	fieldParamName
	fieldDescription
	fieldParamDescription
	fieldLead
	fieldNested
	fieldNestedDescription
	fieldValues
	numFields
)

// fieldWeight says how much a word counts in each field: a word of the name or title says
// what the tool does, one among the many words of a long description says much less.
var fieldWeight = [numFields]float64{
	fieldName:             4,
	fieldTitle:            4,
	fieldTags:             1.5,
	fieldPath:             1.5,
	fieldMethod:           0.5,
	fieldParamName:        1,
	fieldDescription:      1,
	fieldParamDescription: 0.4,
	// fieldLead is the first sentence of the description, the real title of an operation
	// whose document has no summaries ("Launches the specified number of instances").
	fieldLead:              1.5,
	fieldNested:            0.5,
	fieldNestedDescription: 0.2,
	fieldValues:            0.7,
}

// fieldB is BM25's length normalisation per field: long descriptions are normalised, names
// hardly.
var fieldB = [numFields]float64{
	fieldName:              0.5,
	fieldTitle:             0.5,
	fieldTags:              0.3,
	fieldPath:              0.3,
	fieldMethod:            0,
	fieldParamName:         0.5,
	fieldDescription:       0.75,
	fieldParamDescription:  0.75,
	fieldLead:              0.5,
	fieldNested:            0.5,
	fieldNestedDescription: 0.75,
	fieldValues:            0.5,
}

// k1 is BM25's term-frequency saturation.
const k1 = 1.2

// maxFieldText bounds the text indexed from one field of one tool, so that a hostile document
// cannot make the index large; descriptions of tools are at most 1,024 characters anyway.
const maxFieldText = 4096

// maxParams bounds the parameters indexed per tool.
const maxParams = 200

// Index ranks a fixed set of tools for free-text queries. It is read-only after New, so any
// number of goroutines may call Search at once.
type Index struct {
	n        int
	terms    map[string]int32 // stem → term id
	sorted   []string         // the stems in order, for prefix matches
	postings [][]posting      // by term id
	idf      []float64        // by term id
	methods  []string         // by doc, upper case
	names    []string         // by doc, lower case
	factor   []float64        // by doc: less than 1 for deprecated tools
	// nameTerms are the term ids of the words of each tool's name (not its digits), for the
	// share of the name a query matches.
	nameTerms [][]int32
	// inName marks, by term id, the terms that some tool's name has, for abbreviations.
	inName []bool
}

// posting is one tool that has a term, with the term's BM25F pseudo-frequency there (the
// weighted, length-normalised count over all fields).
type posting struct {
	doc int32
	tf  float32
}

// occurrence counts a term in one field of one document, while New runs.
type occurrence struct {
	term  int32
	field field
	count uint32
}

// indexedWord is one word of a text as the index reads it.
type indexedWord struct {
	term     int32
	compound bool // the whole of a split run ("pullrequest"), not counted in the length
	digits   bool
}

// New indexes docs. The results of Search refer to docs by position.
func New(docs []Doc) *Index {
	x := &Index{
		n:         len(docs),
		terms:     map[string]int32{},
		methods:   make([]string, len(docs)),
		names:     make([]string, len(docs)),
		factor:    make([]float64, len(docs)),
		nameTerms: make([][]int32, len(docs)),
	}
	c := &fieldCounter{
		x:         x,
		wordTerms: map[string]int32{},
		cache:     map[string][]indexedWord{},
		starts:    make([]int, len(docs)+1),
		lengths:   make([][numFields]uint32, len(docs)),
	}
	for i, d := range docs {
		x.methods[i] = strings.ToUpper(d.Method)
		x.names[i] = strings.ToLower(d.Name)
		x.factor[i] = 1
		if deprecated(d) {
			x.factor[i] = deprecatedFactor
		}
		c.countDoc(i, d)
	}
	c.starts[len(docs)] = len(c.occ)

	df := x.setPostings(c, averageLengths(c.lengths))
	x.markNameTerms()
	x.setIDF(df)
	return x
}

// fieldCounter counts the words of each field of each tool while New runs: occ holds the
// occurrences of terms, tool i's from starts[i] to starts[i+1], and lengths the length of
// each field of each tool in words.
type fieldCounter struct {
	x *Index
	// wordTerms maps a word as the text spells it to its term id (-1 when it is not indexed),
	// since documents repeat their words a lot.
	wordTerms map[string]int32
	// cache holds the words of each text indexed so far: the tools of a document repeat
	// whole texts (parameter and property descriptions, lists of names).
	cache   map[string][]indexedWord
	occ     []occurrence
	starts  []int
	lengths [][numFields]uint32
	// seen[term] is the serial number of the field where the term was last counted, at[term]
	// its occurrence there: slices, not a map to clear, since New runs once per field.
	seen, at []int32
	serial   int32
}

// countDoc counts the words of each field of tool i.
func (c *fieldCounter) countDoc(i int, d Doc) {
	c.starts[i] = len(c.occ)
	c.add(i, fieldName, d.Name)
	c.add(i, fieldTitle, d.Title)
	c.add(i, fieldTags, strings.Join(d.Tags, " "))
	c.add(i, fieldPath, d.Path)
	c.add(i, fieldMethod, d.Method)
	names, descs := paramTexts(d.Params)
	c.add(i, fieldParamName, names)
	c.add(i, fieldParamDescription, descs)
	// The description's first sentence is also a field of its own.
	desc := cut(d.Description, maxFieldText)
	lead := c.read(desc[:leadEnd(desc)])
	c.count(i, fieldDescription, lead, c.read(desc[leadEnd(desc):]))
	c.count(i, fieldLead, lead)
	names, descs = paramTexts(d.Fields)
	c.add(i, fieldNested, names)
	c.add(i, fieldNestedDescription, descs)
	c.add(i, fieldValues, strings.Join(capped(d.Values, maxParams), " "))
}

// add counts the words of text in field f of tool i.
func (c *fieldCounter) add(i int, f field, text string) { c.count(i, f, c.read(text)) }

// read returns the words of a text, from the cache when the text was read before.
func (c *fieldCounter) read(text string) []indexedWord {
	text = cut(text, maxFieldText)
	words, ok := c.cache[text]
	if ok {
		return words
	}
	words = nil
	tokenizeRaw(text, func(t token) {
		id, ok := c.wordTerms[t.word]
		if !ok {
			id = c.x.termOf(lower(t.word))
			c.wordTerms[t.word] = id
			if id >= 0 && int(id) == len(c.seen) {
				c.seen = append(c.seen, 0)
				c.at = append(c.at, 0)
			}
		}
		if id < 0 {
			return
		}
		words = append(words, indexedWord{id, t.compound, hasDigit(t.word)})
	})
	c.cache[text] = words
	return words
}

// count counts words in field f of tool i.
func (c *fieldCounter) count(i int, f field, texts ...[]indexedWord) {
	c.serial++
	x := c.x
	for _, words := range texts {
		for _, w := range words {
			id := w.term
			if !w.compound {
				c.lengths[i][f]++
				if f == fieldName && !w.digits && !slices.Contains(x.nameTerms[i], id) {
					x.nameTerms[i] = append(x.nameTerms[i], id)
				}
			}
			if c.seen[id] == c.serial {
				c.occ[c.at[id]].count++
				continue
			}
			c.seen[id], c.at[id] = c.serial, int32(len(c.occ))
			c.occ = append(c.occ, occurrence{term: id, field: f, count: 1})
		}
	}
}

// averageLengths returns the average length of each field over the tools; 1 for a field
// no tool has.
func averageLengths(lengths [][numFields]uint32) [numFields]float64 {
	var total [numFields]float64
	for i := range lengths {
		for f := range numFields {
			total[f] += float64(lengths[i][f])
		}
	}
	var avg [numFields]float64
	for f := range numFields {
		avg[f] = 1
		if len(lengths) > 0 && total[f] > 0 {
			avg[f] = total[f] / float64(len(lengths))
		}
	}
	return avg
}

// setPostings lists the tools of each term with its BM25F pseudo-frequency there: the count
// in each field, weighted by the field and normalised by the field's length against avg. It
// returns the document frequency of each term, where a tool that has the term only in fields
// of little weight (nested properties, output) counts as that weight: a word that every
// output schema has is still rare where it says what a tool does.
func (x *Index) setPostings(c *fieldCounter, avg [numFields]float64) (df []float64) {
	x.postings = make([][]posting, len(x.terms))
	tf := make([]float64, len(x.terms))
	df = make([]float64, len(x.terms))
	presence := make([]float64, len(x.terms))
	var order []int32
	for i := range c.lengths {
		order = order[:0]
		for _, o := range c.occ[c.starts[i]:c.starts[i+1]] {
			w := fieldWeight[o.field]
			if w == 0 {
				continue
			}
			norm := 1 - fieldB[o.field] + fieldB[o.field]*float64(c.lengths[i][o.field])/avg[o.field]
			if tf[o.term] == 0 {
				order = append(order, o.term)
			}
			tf[o.term] += w * float64(o.count) / norm
			presence[o.term] = max(presence[o.term], min(1, w))
		}
		for _, id := range order {
			x.postings[id] = append(x.postings[id], posting{doc: int32(i), tf: float32(tf[id])})
			df[id] += presence[id]
			tf[id], presence[id] = 0, 0
		}
	}
	return df
}

// markNameTerms sets inName from the terms of the tools' names.
func (x *Index) markNameTerms() {
	x.inName = make([]bool, len(x.terms))
	for _, ids := range x.nameTerms {
		for _, id := range ids {
			x.inName[id] = true
		}
	}
}

// setIDF sets each term's inverse document frequency from its document frequency df, and
// the sorted list of stems.
func (x *Index) setIDF(df []float64) {
	x.idf = make([]float64, len(x.terms))
	x.sorted = make([]string, 0, len(x.terms))
	for s, id := range x.terms {
		df := df[id]
		x.idf[id] = math.Log(1 + (float64(x.n)-df+0.5)/(df+0.5))
		x.sorted = append(x.sorted, s)
	}
	sort.Strings(x.sorted)
}

// termOf returns the term id of a lower-case word, adding the term when it is new; -1 when the
// word is not indexed.
func (x *Index) termOf(w string) int32 {
	if !indexable(w) {
		return -1
	}
	s := stem(w)
	id, ok := x.terms[s]
	if !ok {
		id = int32(len(x.terms))
		x.terms[s] = id
	}
	return id
}

// leadEnd returns the end of the first sentence of s: after the first full stop, question or
// exclamation mark that white space follows, or len(s).
func leadEnd(s string) int {
	for i := 0; i < len(s)-1; i++ {
		switch s[i] {
		case '.', '!', '?':
			switch s[i+1] {
			case ' ', '\n', '\t', '\r':
				return i + 1
			}
		}
	}
	return len(s)
}

// capped returns at most the first n of s.
func capped(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Len returns the number of tools in the index.
func (x *Index) Len() int { return x.n }

// deprecatedFactor lowers deprecated tools, which an agent should find only when nothing
// current does the same.
const deprecatedFactor = 0.85

func deprecated(d Doc) bool {
	l := strings.ToLower(d.Name + " " + d.Title)
	if strings.Contains(l, "deprecated") {
		return true
	}
	desc := strings.TrimSpace(d.Description)
	return hasPrefixFold(desc, "deprecated") || hasPrefixFold(desc, "**deprecated")
}

// hasPrefixFold reports whether s begins with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// indexable reports whether a word is worth indexing: not a stop word, not a lone character.
func indexable(w string) bool {
	if len(w) < 2 {
		return false
	}
	return !stopWords[w]
}

// cut returns s cut to at most n bytes, at a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// paramTexts joins the names of the first maxParams of ps, and their descriptions (each cut to
// 512 bytes) up to about maxFieldText, as the texts of a name field and a description field.
func paramTexts(ps []Param) (names, descs string) {
	var nb, db strings.Builder
	for j, p := range ps {
		if j == maxParams {
			break
		}
		nb.WriteString(p.Name)
		nb.WriteByte(' ')
		if db.Len() < maxFieldText {
			db.WriteString(cut(p.Description, 512))
			db.WriteByte('\n')
		}
	}
	return nb.String(), db.String()
}
