package catalog

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// token is one word of a text, lower-cased and not yet stemmed.
type token struct {
	word string
	// compound marks the whole of a run that was also split into parts: "pullrequest" beside
	// "pull" and "request", so that a name typed as one word still matches.
	compound bool
	// pos counts the parts before this token in the text (a compound shares the position of
	// its first part); phrases use it.
	pos int
	// last marks the last token of a run of letters and digits.
	last bool
}

// tokenize splits s into words: at every rune that is neither a letter nor a digit, at a
// lower-to-upper case change ("getUser"), at the end of an acronym ("HTTPResponse" → http,
// response) and between letters and digits ("v1beta1" → v, 1, beta, 1). A run that splits
// into several parts also yields its whole, lower-cased, as a compound token.
func tokenize(s string, emit func(token)) {
	tokenizeRaw(s, func(t token) {
		t.word = lower(t.word)
		emit(t)
	})
}

// tokenizeRaw is tokenize without lower-casing the words, for a caller that looks words up
// before it needs them in lower case.
func tokenizeRaw(s string, emit func(token)) {
	pos := 0
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			pos = splitRun(s[start:i], pos, emit)
			start = -1
		}
	}
	if start >= 0 {
		splitRun(s[start:], pos, emit)
	}
}

type runeClass uint8

const (
	classLower runeClass = iota
	classUpper
	classDigit
)

func classOf(r rune) runeClass {
	switch {
	case unicode.IsDigit(r):
		return classDigit
	case unicode.IsUpper(r):
		return classUpper
	}
	return classLower // lower-case letters and letters without case
}

// splitRun emits the parts of run (letters and digits only) from position pos, then the
// compound when there are several, and returns the next position.
func splitRun(run string, pos int, emit func(token)) int {
	first := pos
	start := 0
	var prev rune
	prevClass := runeClass(255)
	for i, r := range run {
		c := classOf(r)
		if i > 0 {
			cut := false
			switch {
			case (c == classDigit) != (prevClass == classDigit):
				cut = true
			case prevClass == classLower && c == classUpper:
				cut = true
			case prevClass == classUpper && c == classLower && i-utf8.RuneLen(prev) > start:
				// "HTTPResponse": the last capital starts the next word.
				j := i - utf8.RuneLen(prev)
				emit(token{word: run[start:j], pos: pos})
				pos++
				start = j
			}
			if cut {
				emit(token{word: run[start:i], pos: pos})
				pos++
				start = i
			}
		}
		prev, prevClass = r, c
	}
	pos++
	if pos-first == 1 {
		emit(token{word: run[start:], pos: pos - 1, last: true})
		return pos
	}
	emit(token{word: run[start:], pos: pos - 1})
	emit(token{word: run, compound: true, pos: first, last: true})
	return pos
}

// lower returns s in lower case, without copying a word that already is (most words of a
// description), which keeps indexing fast.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// stem reduces a lower-case word to its Snowball English stem. Words with digits and very
// long words are kept as they are.
func stem(w string) string {
	if len(w) > 40 || hasDigit(w) {
		return w
	}
	return english.Stem(w, true)
}

func hasDigit(w string) bool {
	for _, r := range w {
		if unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// stopWords are English function words and the filler of spoken requests ("please show me
// …"), dropped from queries and documents. Words that carry an API meaning are kept even when
// common stop lists drop them: "all", "up", "down", "off", "out", "on" and "new" mark lists and
// phrasal verbs ("shut down", "sign up").
var stopWords = setOf(`a about above after again against am an and any are as at be because
been before being below between both but by can could did do does doing don during few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just more most nor not now of once only or other our ours ourselves over own
s same she should so some such t than that the their theirs them themselves then there these they
this those through to too under until very was we were what when where which while who whom why
will with would you your yours yourself yourselves please want wants need needs someone
something thing things also via using use one two three four five six seven eight nine ten
hundred thousand`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
