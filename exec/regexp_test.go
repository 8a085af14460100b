package exec

import "testing"

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
