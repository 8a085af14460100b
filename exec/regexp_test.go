package exec

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// TestRegexpRequiredLiteral checks the literal every match must contain,
// and that the prefilter never rejects a string the matcher accepts.
func TestRegexpRequiredLiteral(t *testing.T) {
	cases := []struct{ pattern, must string }{
		{`(&|^)channel_id=([^&]*)`, "channel_id="},
		{`abc`, "abc"},
		{`a(bcd)+e`, "bcd"},
		{`(ab)?cd`, "cd"},
		{`(ab)*`, ""},
		{`ab|cd`, ""},
		{`(?i)abc`, ""},
		{`x{2,3}yz`, "yz"},
		{`^/([^/]+)/`, "/"},
	}
	inputs := []string{"", "abc", "ABC", "xxyz", "abcdbcde", "cd", "ab", "&channel_id=5", "q?channel_id=", "/a/b/", "zzz"}
	for _, c := range cases {
		re, err := compileRegexp(c.pattern, "")
		if err != nil {
			t.Fatal(err)
		}
		if re.must != c.must {
			t.Errorf("%s: required literal %q, want %q", c.pattern, re.must, c.must)
		}
		for _, s := range inputs {
			if re.MatchString(s) && !re.mayMatch(s) {
				t.Errorf("%s: the prefilter rejects %q, which matches", c.pattern, s)
			}
		}
	}
}

// TestRegexpWindow checks that searching from where a match can start
// finds what searching the whole input finds, for patterns with a literal
// after a bounded part (start-of-text assertions, alternations, classes,
// case folding, multi-byte runes) and random inputs built from their
// pieces.
func TestRegexpWindow(t *testing.T) {
	patterns := []struct {
		p      string
		window bool
	}{
		{`(&|^)channel_id=([^&]*)`, true},
		{`(a|^)bc(d*)`, true},
		{`x?y{1,2}lit(.*)`, true},
		{`(?i:a|b)lit`, true},
		{`[^/]/lit`, true},
		{`é?lit(é+)`, true},
		{`(\Ab|c)lit$`, true},
		{`lit(a)`, false},       // the literal leads
		{`a*lit`, false},        // unbounded before it
		{`(?m)(^|x)lit`, false}, // multi-line ^ looks behind
		{`\blit`, false},
	}
	pieces := []string{"lit", "channel_id=", "&", "a", "b", "c", "bc", "d", "x", "y", "/", "é", "\n", "B", "LIT", "=", "1"}
	rng := rand.New(rand.NewSource(1))
	for _, c := range patterns {
		re, err := compileRegexp(c.p, "")
		if err != nil {
			t.Fatal(err)
		}
		if (re.window != nil) != c.window {
			t.Fatalf("%s: window %v, want %v", c.p, re.window != nil, c.window)
		}
		for i := 0; i < 3000; i++ {
			var b strings.Builder
			for n := rng.Intn(12); n > 0; n-- {
				b.WriteString(pieces[rng.Intn(len(pieces))])
			}
			s := b.String()
			if got, want := re.findSubmatchIndex(s), re.FindStringSubmatchIndex(s); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s on %q: window finds %v, the whole input %v", c.p, s, got, want)
			}
			if got, want := re.matchString(s), re.MatchString(s); got != want {
				t.Fatalf("%s on %q: window matches %v, the whole input %v", c.p, s, got, want)
			}
		}
	}
}
