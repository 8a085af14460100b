package sqllogictest

import (
	"math/rand"
	"strings"
	"testing"
)

// TestLineDiff checks lineDiff on random inputs: its sides rebuild both
// inputs and its common lines are as many as a naive LCS finds.
func TestLineDiff(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	randLines := func() []string {
		lines := make([]string, rng.Intn(8))
		for i := range lines {
			lines[i] = string(rune('a' + rng.Intn(3)))
		}
		return lines
	}
	for i := 0; i < 2000; i++ {
		expected, actual := randLines(), randLines()
		var gotExpected, gotActual []string
		common := 0
		for _, l := range lineDiff(expected, actual) {
			prefix, text := l[:2], l[2:]
			switch prefix {
			case "  ":
				common++
				gotExpected = append(gotExpected, text)
				gotActual = append(gotActual, text)
			case "- ":
				gotExpected = append(gotExpected, text)
			case "+ ":
				gotActual = append(gotActual, text)
			default:
				t.Fatalf("bad diff line %q", l)
			}
		}
		if strings.Join(gotExpected, ",") != strings.Join(expected, ",") ||
			strings.Join(gotActual, ",") != strings.Join(actual, ",") {
			t.Fatalf("diff of %q and %q does not rebuild them: %q", expected, actual, lineDiff(expected, actual))
		}
		if want := naiveLCS(expected, actual); common != want {
			t.Fatalf("diff of %q and %q keeps %d common lines, LCS is %d", expected, actual, common, want)
		}
	}
}

func naiveLCS(a, b []string) int {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if a[0] == b[0] {
		return 1 + naiveLCS(a[1:], b[1:])
	}
	return max(naiveLCS(a[1:], b), naiveLCS(a, b[1:]))
}

func TestLineDiffTooLarge(t *testing.T) {
	big := make([]string, 3000)
	d := lineDiff(big, big)
	if len(d) != 6000 || d[0] != "- " || d[5999] != "+ " {
		t.Fatalf("large diff should list both sides, got %d lines", len(d))
	}
}
