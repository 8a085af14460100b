package exec

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// regexpWindow lets a search skip the part of its input where no match
// can start. Go's matchers have no DFA, so their cost grows with the
// input searched: for a pattern whose top-level concatenation holds a
// literal after a part at most before bytes long (Nexmark q21's
// (&|^)channel_id=([^&]*): one byte), every match starts at most before
// bytes ahead of some occurrence of the literal, so at or after the first
// occurrence less before. The search runs on the input from there, with a
// copy of the pattern (inner) whose start-of-text assertions cannot match,
// since that point is not the start of the text. Patterns with multi-line
// ^ or word boundaries, which look at the byte before a position, get no
// window.
type regexpWindow struct {
	lit    string
	before int
	inner  *regexp.Regexp
}

// newRegexpWindow makes the window of pattern p (nil when there is none).
func newRegexpWindow(p string) *regexpWindow {
	tree, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil
	}
	tree = tree.Simplify()
	if tree.Op != syntax.OpConcat || looksBehind(tree) {
		return nil
	}
	before := 0
	for _, sub := range tree.Sub {
		if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0 {
			if before == 0 {
				return nil // the literal leads: nothing to skip a search can not skip already
			}
			noTextStart(tree)
			inner, err := regexp.Compile(tree.String())
			if err != nil {
				return nil
			}
			return &regexpWindow{lit: string(sub.Rune), before: before, inner: inner}
		}
		w := maxMatchBytes(sub)
		if w < 0 {
			return nil
		}
		before += w
	}
	return nil
}

// start returns where in s a search must begin (-1: s cannot match).
func (w *regexpWindow) start(s string) int {
	p := strings.Index(s, w.lit)
	if p < 0 {
		return -1
	}
	at := max(p-w.before, 0)
	for at > 0 && !utf8.RuneStart(s[at]) {
		at--
	}
	return at
}

// findSubmatchIndex is re's FindStringSubmatchIndex through the window.
func (w *regexpWindow) findSubmatchIndex(re *regexp.Regexp, s string) []int {
	at := w.start(s)
	switch {
	case at < 0:
		return nil
	case at == 0:
		return re.FindStringSubmatchIndex(s)
	}
	loc := w.inner.FindStringSubmatchIndex(s[at:])
	for i, x := range loc {
		if x >= 0 {
			loc[i] = x + at
		}
	}
	return loc
}

// matchString is re's MatchString through the window.
func (w *regexpWindow) matchString(re *regexp.Regexp, s string) bool {
	at := w.start(s)
	switch {
	case at < 0:
		return false
	case at == 0:
		return re.MatchString(s)
	}
	return w.inner.MatchString(s[at:])
}

// maxMatchBytes is the most bytes re can match (-1: no bound).
func maxMatchBytes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpNoMatch:
		return 0
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return utf8.UTFMax * len(re.Rune) // a fold may differ in width
		}
		return len(string(re.Rune))
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxMatchBytes(re.Sub[0])
	case syntax.OpRepeat:
		w := maxMatchBytes(re.Sub[0])
		if re.Max < 0 || w < 0 {
			return -1
		}
		return re.Max * w
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			w := maxMatchBytes(sub)
			switch {
			case w < 0:
				return -1
			case re.Op == syntax.OpConcat:
				total += w
			default:
				total = max(total, w)
			}
		}
		return total
	}
	return -1 // star, plus
}

// looksBehind reports whether re has an assertion that reads the byte
// before a position, other than start of text.
func looksBehind(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, sub := range re.Sub {
		if looksBehind(sub) {
			return true
		}
	}
	return false
}

// noTextStart makes re's start-of-text assertions match nothing.
func noTextStart(re *syntax.Regexp) {
	if re.Op == syntax.OpBeginText {
		re.Op = syntax.OpNoMatch
	}
	for _, sub := range re.Sub {
		noTextStart(sub)
	}
}
