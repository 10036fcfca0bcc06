package openapi

import "testing"

func TestPortablePattern(t *testing.T) {
	tests := []struct {
		in, want string // want "" means dropped
	}{
		{`^[a-z]+$`, `^[a-z]+$`},
		{`^\d{3}-\d{4}$`, `^\d{3}-\d{4}$`},
		{`^[A-Z]{3}\-\d+$`, `^[A-Z]{3}-\d+$`},        // \- outside a class
		{`^[\w\-.]+@[\w\-]+$`, `^[\w\-.]+@[\w\-]+$`}, // \- inside a class is fine
		{`^\@\:\_$`, `^@:_$`},                        // identity escapes u-mode forbids
		{`^a\/b$`, `^a\/b$`},
		{`^{abc}$`, `^\{abc\}$`},                     // lone braces
		{`^a{2,}b{,3}$`, `^a{2,}b\{,3\}$`},           // {,3} is not a quantifier in ECMA
		{`^x]$`, `^x\]$`},                            // lone ]
		{`^[\u00C0-\u00FF]+$`, "^[\u00C0-\u00FF]+$"}, // \u escapes become characters
		{`^\u0041\u002D$`, `^A-$`},
		{`^\u{1F600}$`, "^\U0001F600$"},
		{`^\uD83D\uDE00$`, "^\U0001F600$"},
		{`^\pL+$`, `^\p{L}+$`},
		{`^\p{Lu}\P{Nd}$`, `^\p{Lu}\P{Nd}$`},
		{`(?P<year>\d{4})`, `(?<year>\d{4})`},
		{`(?<year>\d{4})`, `(?<year>\d{4})`},
		{`\Aabc\z`, `^abc$`},
		{`^\0$`, `^\x00$`},
		{`^\x41$`, `^\x41$`},
		{`a*?b+?`, `a*?b+?`},
		// Dropped.
		{`^(?!x).*$`, ""},      // lookahead: RE2 has none
		{`(?<=a)b`, ""},        // lookbehind
		{`(a)\1`, ""},          // backreference
		{`(?i)abc`, ""},        // inline flags
		{`^[[:alpha:]]+$`, ""}, // POSIX class
		{`^\x{41}$`, ""},       // RE2-only syntax
		{`^\p{Greek}$`, ""},    // script name without Script=
		{`^\Qa.b\E$`, ""},      // RE2-only quoting
		{`^a**$`, ""},          // nested quantifier
		{`*a`, ""},             // nothing to repeat
		{`^(a$`, ""},           // unbalanced
		{`^a)$`, ""},
		{`[]a]`, ""},    // ECMA and RE2 read [] differently
		{`[a-`, ""},     // unterminated class
		{`[\w-z]`, ""},  // range from a class escape
		{`a{1001}`, ""}, // RE2 repeat limit
		{`\c`, ""},
		{"\xff", ""}, // not UTF-8
	}
	for _, tt := range tests {
		if got := portablePattern(tt.in); got != tt.want {
			t.Errorf("portablePattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
