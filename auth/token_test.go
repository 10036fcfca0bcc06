package auth

import (
	"regexp"
	"strings"
	"testing"
)

var tokenShape = regexp.MustCompile(`^jfn_rt_[A-Za-z0-9]{43,}$`)

func TestNewShape(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		tok, err := New()
		if err != nil {
			t.Fatalf("New() error = %v", err)
		}
		if !tokenShape.MatchString(tok) {
			t.Fatalf("New() = %q, does not match %s", tok, tokenShape)
		}
		if len(tok) != TokenLen {
			t.Fatalf("len(New()) = %d, want %d", len(tok), TokenLen)
		}
		if err := Check(tok); err != nil {
			t.Fatalf("Check(New()) = %v, want nil", err)
		}
		if seen[tok] {
			t.Fatalf("New() returned %q twice", tok)
		}
		seen[tok] = true
	}
}

func TestNewUsesWholeAlphabet(t *testing.T) {
	// 200 tokens × 43 random chars: every one of the 62 characters must appear, and no
	// character may dominate (a biased generator would skew the counts).
	counts := map[rune]int{}
	for i := 0; i < 200; i++ {
		tok, _ := New()
		for _, c := range tok[len(Prefix) : len(Prefix)+randomLen] {
			counts[c]++
		}
	}
	if len(counts) != 62 {
		t.Fatalf("random part used %d distinct characters, want 62", len(counts))
	}
	for c, n := range counts {
		// Expected 200*43/62 ≈ 139; 3× is far outside any plausible uniform deviation.
		if n > 3*139 {
			t.Errorf("character %q appeared %d times, want about 139", c, n)
		}
	}
}

func TestCheckRejects(t *testing.T) {
	good, _ := New()
	flip := []byte(good)
	i := len(Prefix) + 5
	if flip[i] == 'a' {
		flip[i] = 'b'
	} else {
		flip[i] = 'a'
	}
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"prefix only", Prefix},
		{"truncated", good[:len(good)-1]},
		{"extended", good + "a"},
		{"typo", string(flip)},
		{"wrong prefix", "jfn_xx_" + good[len(Prefix):]},
		{"uppercase prefix", strings.ToUpper(good[:len(Prefix)]) + good[len(Prefix):]},
		{"non alnum", good[:len(good)-7] + "-" + good[len(good)-6:]},
		{"space", " " + good[1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(tt.in); err != ErrInvalidToken {
				t.Errorf("Check(%q) = %v, want ErrInvalidToken", tt.in, err)
			}
		})
	}
}

func TestDisplayPrefix(t *testing.T) {
	tok, _ := New()
	got := DisplayPrefix(tok)
	if want := tok[:len(Prefix)+4] + ".."; got != want {
		t.Errorf("DisplayPrefix(%q) = %q, want %q", tok, got, want)
	}
	if got := DisplayPrefix("x"); got != "jfn_rt_.." {
		t.Errorf(`DisplayPrefix("x") = %q, want "jfn_rt_.."`, got)
	}
}

func TestHashIsSHA256(t *testing.T) {
	// Known answer: SHA-256("abc").
	h := Hash("abc")
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	const hexdigits = "0123456789abcdef"
	var got strings.Builder
	for _, b := range h {
		got.WriteByte(hexdigits[b>>4])
		got.WriteByte(hexdigits[b&15])
	}
	if got.String() != want {
		t.Errorf("Hash(abc) = %s, want %s", got.String(), want)
	}
}

func FuzzCheck(f *testing.F) {
	good, _ := New()
	f.Add(good)
	f.Add("")
	f.Add(Prefix)
	f.Add(good[:len(good)-1] + "A")
	f.Fuzz(func(t *testing.T, s string) {
		if Check(s) != nil {
			return
		}
		// Anything Check accepts must have the documented shape.
		if !tokenShape.MatchString(s) || len(s) != TokenLen {
			t.Fatalf("Check(%q) = nil for a value of the wrong shape", s)
		}
		if checksum(s[len(Prefix):len(Prefix)+randomLen]) != s[len(s)-checksumLen:] {
			t.Fatalf("Check(%q) = nil with a wrong checksum", s)
		}
	})
}
