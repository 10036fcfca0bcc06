package openapi

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A `pattern` must work in two regex dialects at once: ECMA-262 with the u
// flag (what ajv and the TypeScript SDK compile, and what JSON Schema
// specifies) and Go's RE2 (what the gateway's own validator compiles).
// portablePattern scans a pattern with ECMA-262's u-mode grammar, repairs the
// harmless differences and returns "" when the pattern cannot be expressed in
// both, so that the keyword is dropped rather than breaking the whole schema.
//
// Repairs: identity escapes that u-mode forbids (\-, \@, \_ outside a class)
// lose their backslash; lone {, } and ] are escaped; \uXXXX and \u{X} (which
// RE2 does not know) become the character itself; \pL becomes \p{L}; (?P<n>
// becomes (?<n>; \A and \z become ^ and $.
// Rejections: lookaround and backreferences (RE2 has none), inline flags such
// as (?i), POSIX classes, \x{...}, script names in \p{...}, and anything Go's
// regexp package does not compile.
func portablePattern(p string) string {
	out, ok := ecmaRepair(p)
	if !ok {
		return ""
	}
	if _, err := regexp.Compile(out); err != nil {
		return ""
	}
	return out
}

// generalCategories are the Unicode property names both dialects accept in
// \p{...}: ECMA-262 takes General_Category values (and Any) bare, RE2 takes
// the same short names; script names differ (ECMA needs Script=...).
var generalCategories = map[string]bool{
	"Any": true, "L": true, "Lu": true, "Ll": true, "Lt": true, "Lm": true, "Lo": true,
	"M": true, "Mn": true, "Mc": true, "Me": true, "N": true, "Nd": true, "Nl": true,
	"No": true, "P": true, "Pc": true, "Pd": true, "Ps": true, "Pe": true, "Pi": true,
	"Pf": true, "Po": true, "S": true, "Sm": true, "Sc": true, "Sk": true, "So": true,
	"Z": true, "Zs": true, "Zl": true, "Zp": true, "C": true, "Cc": true, "Cf": true,
	"Co": true, "Cs": true,
}

const syntaxChars = `^$\.*+?()[]{}|/`

// ecmaRepair scans p with ECMA-262's u-mode grammar and returns it with
// the repairs portablePattern lists; false when it has something rejected.
func ecmaRepair(p string) (string, bool) {
	if !utf8.ValidString(p) {
		return "", false
	}
	rs := []rune(p)
	var b strings.Builder
	groups := 0
	lastAtom := false // whether a quantifier may follow
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '\\':
			esc, atom, n, ok := ecmaEscape(rs, i, false)
			if !ok {
				return "", false
			}
			b.WriteString(esc)
			i += n - 1
			lastAtom = atom
		case '(':
			open, n, ok := ecmaGroup(string(rs[i+1:]))
			if !ok {
				return "", false
			}
			b.WriteString(open)
			i += n
			groups++
			lastAtom = false
		case ')':
			if groups == 0 {
				return "", false
			}
			groups--
			b.WriteByte(')')
			lastAtom = true
		case '|':
			b.WriteByte('|')
			lastAtom = false
		case '^', '$':
			b.WriteRune(c)
			lastAtom = false
		case '*', '+', '?':
			if !lastAtom {
				return "", false
			}
			b.WriteRune(c)
			if i+1 < len(rs) && rs[i+1] == '?' {
				b.WriteByte('?')
				i++
			}
			lastAtom = false
		case '{':
			if n, ok := quantifierLen(rs[i:]); ok {
				if !lastAtom {
					return "", false
				}
				b.WriteString(string(rs[i : i+n]))
				i += n - 1
				if i+1 < len(rs) && rs[i+1] == '?' {
					b.WriteByte('?')
					i++
				}
				lastAtom = false
				continue
			}
			b.WriteString(`\{`)
			lastAtom = true
		case '}':
			b.WriteString(`\}`)
			lastAtom = true
		case ']':
			b.WriteString(`\]`)
			lastAtom = true
		case '[':
			n, class, ok := ecmaClass(rs, i)
			if !ok {
				return "", false
			}
			b.WriteString(class)
			i += n - 1
			lastAtom = true
		default:
			b.WriteRune(c)
			lastAtom = true
		}
	}
	if groups != 0 {
		return "", false
	}
	return b.String(), true
}

// ecmaGroup reads the opening of a group, whose text after the "(" is rest:
// it returns the opening as written out, how many runes of rest it took,
// and false for a group neither dialect shares (lookaround, inline flags,
// comments, a bad name). A named group is written (?<name>.
func ecmaGroup(rest string) (open string, n int, ok bool) {
	switch {
	case strings.HasPrefix(rest, "?:"):
		return "(?:", 2, true
	case strings.HasPrefix(rest, "?P<"), strings.HasPrefix(rest, "?<") && !strings.HasPrefix(rest, "?<=") && !strings.HasPrefix(rest, "?<!"):
		start := strings.Index(rest, "<") + 1
		end := strings.IndexByte(rest[start:], '>')
		if end < 0 || !isGroupName(rest[start:start+end]) {
			return "", 0, false
		}
		return "(?<" + rest[start:start+end] + ">", utf8.RuneCountInString(rest[:start+end+1]), true
	case strings.HasPrefix(rest, "?"):
		return "", 0, false // lookaround, inline flags, comments
	default:
		return "(", 0, true
	}
}

func isGroupName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// quantifierLen returns the length of a {n}, {n,} or {n,m} quantifier at the
// start of rs.
func quantifierLen(rs []rune) (int, bool) {
	i := 1
	digits := func() int {
		n := 0
		for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return 0, false
	}
	if i < len(rs) && rs[i] == ',' {
		i++
		digits()
	}
	if i < len(rs) && rs[i] == '}' {
		return i + 1, true
	}
	return 0, false
}

// ecmaClass scans a character class starting at rs[i] == '['.
func ecmaClass(rs []rune, i int) (int, string, bool) {
	var b strings.Builder
	b.WriteByte('[')
	j := i + 1
	if j < len(rs) && rs[j] == '^' {
		b.WriteByte('^')
		j++
	}
	if j < len(rs) && rs[j] == ']' {
		// ECMA reads [] as an empty class, RE2 as a literal ']': they disagree.
		return 0, "", false
	}
	prevClassEscape := false // the previous item was \d, \w, ...
	prevDash := false        // the previous item was a range's '-'
	for ; j < len(rs); j++ {
		c := rs[j]
		switch c {
		case ']':
			b.WriteByte(']')
			return j - i + 1, b.String(), true
		case '\\':
			esc, _, n, ok := ecmaEscape(rs, j, true)
			if !ok {
				return 0, "", false
			}
			isClassEscape := len(esc) == 2 && strings.ContainsRune("dDwWsS", rune(esc[1])) ||
				strings.HasPrefix(esc, `\p`) || strings.HasPrefix(esc, `\P`)
			if isClassEscape && prevDash {
				return 0, "", false // a range ending in a class escape
			}
			b.WriteString(esc)
			j += n - 1
			prevClassEscape, prevDash = isClassEscape, false
			continue
		case '[':
			if j+1 < len(rs) && (rs[j+1] == ':' || rs[j+1] == '=' || rs[j+1] == '.') {
				return 0, "", false // POSIX class syntax
			}
			b.WriteString(`\[`)
		case '-':
			first := b.Len() == 1 || b.String() == "[^"
			if prevClassEscape && j+1 < len(rs) && rs[j+1] != ']' {
				return 0, "", false // a range starting at a class escape
			}
			b.WriteByte('-')
			prevClassEscape, prevDash = false, !first && j+1 < len(rs) && rs[j+1] != ']'
			continue
		default:
			b.WriteRune(c)
		}
		prevClassEscape, prevDash = false, false
	}
	return 0, "", false // unterminated class
}

// ecmaEscape reads the escape at rs[i] == '\\'. It returns the text to write,
// whether it is an atom a quantifier may follow, and how many runes it used.
func ecmaEscape(rs []rune, i int, inClass bool) (string, bool, int, bool) {
	if i+1 >= len(rs) {
		return "", false, 0, false
	}
	c := rs[i+1]
	switch {
	case strings.ContainsRune("dDwWsSfnrtv", c):
		return `\` + string(c), true, 2, true
	case c == 'b' || c == 'B':
		if inClass {
			return "", false, 0, false // backspace in ECMA, invalid in RE2
		}
		return `\` + string(c), false, 2, true
	case c == '0':
		if i+2 < len(rs) && rs[i+2] >= '0' && rs[i+2] <= '9' {
			return "", false, 0, false
		}
		return `\x00`, true, 2, true
	case c >= '1' && c <= '9':
		return "", false, 0, false // backreference
	case c == 'x':
		if i+3 < len(rs) && isHex(rs[i+2]) && isHex(rs[i+3]) {
			return string(rs[i : i+4]), true, 4, true
		}
		return "", false, 0, false
	case c == 'u':
		r, n, ok := unicodeEscape(rs, i)
		if !ok {
			return "", false, 0, false
		}
		return literalRune(r, inClass), true, n, true
	case c == 'p' || c == 'P':
		name, n := "", 0
		if i+2 < len(rs) && rs[i+2] == '{' {
			end := -1
			for k := i + 3; k < len(rs); k++ {
				if rs[k] == '}' {
					end = k
					break
				}
			}
			if end < 0 {
				return "", false, 0, false
			}
			name, n = string(rs[i+3:end]), end-i+1
		} else if i+2 < len(rs) {
			name, n = string(rs[i+2]), 3
		}
		if !generalCategories[name] {
			return "", false, 0, false
		}
		return `\` + string(c) + "{" + name + "}", true, n, true
	case c == 'A' && !inClass && i == 0:
		return "^", false, 2, true
	case c == 'z' && !inClass && i+2 == len(rs):
		return "$", false, 2, true
	case c == '-':
		if inClass {
			return `\-`, true, 2, true
		}
		return "-", true, 2, true
	case c < utf8.RuneSelf && strings.ContainsRune(syntaxChars, c):
		return `\` + string(c), true, 2, true
	case c < utf8.RuneSelf && !isAlnum(c):
		// An identity escape u-mode forbids (\@, \:, \_, \", \ ): the
		// character alone means the same in both dialects.
		return literalRune(c, inClass), true, 2, true
	default:
		return "", false, 0, false
	}
}

func isHex(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F'
}

func isAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// unicodeEscape reads \uXXXX (with a following low surrogate when XXXX is a
// high one) or \u{X...} at rs[i].
func unicodeEscape(rs []rune, i int) (rune, int, bool) {
	if i+2 < len(rs) && rs[i+2] == '{' {
		end := -1
		for k := i + 3; k < len(rs) && k < i+10; k++ {
			if rs[k] == '}' {
				end = k
				break
			}
		}
		if end < 0 {
			return 0, 0, false
		}
		v, err := strconv.ParseUint(string(rs[i+3:end]), 16, 32)
		if err != nil || v > utf8.MaxRune || utf16.IsSurrogate(rune(v)) {
			return 0, 0, false
		}
		return rune(v), end - i + 1, true
	}
	hex4 := func(at int) (rune, bool) {
		if at+6 > len(rs) || rs[at] != '\\' || rs[at+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(rs[at+2:at+6]), 16, 32)
		if err != nil {
			return 0, false
		}
		return rune(v), true
	}
	r, ok := hex4(i)
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	r2, ok := hex4(i + 6)
	if !ok {
		return 0, 0, false
	}
	dec := utf16.DecodeRune(r, r2)
	if dec == utf8.RuneError {
		return 0, 0, false
	}
	return dec, 12, true
}

// literalRune writes r so that both dialects read it as itself.
func literalRune(r rune, inClass bool) string {
	switch {
	case r < utf8.RuneSelf && strings.ContainsRune(syntaxChars, r), r == '-' && inClass:
		return `\` + string(r)
	case r < 0x20 || r == 0x7f:
		return `\x` + string(hexDigits[r>>4]) + string(hexDigits[r&0xF])
	default:
		return string(r)
	}
}
