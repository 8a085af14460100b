package exec

import (
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
)

// TestNullColumn: placeholders are all NULL at the asked length, for
// each type, and one handed out before the shared array grew stays
// whole after.
func TestNullColumn(t *testing.T) {
	check := func(a arrow.Array, typ arrow.DataType, n int) {
		t.Helper()
		if a.Len() != n || a.NullN() != n || !arrow.TypeEqual(a.DataType(), typ) {
			t.Fatalf("nullColumn(%s, %d): %s of length %d with %d NULLs", typ, n, a.DataType(), a.Len(), a.NullN())
		}
		for i := 0; i < n; i++ {
			if !a.IsNull(i) {
				t.Fatalf("nullColumn(%s, %d): row %d is not NULL", typ, n, i)
			}
		}
	}
	typs := []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean, arrow.FixedWidthTypes.Timestamp_us}
	for _, typ := range typs {
		early := nullColumn(typ, 10)
		check(early, typ, 10)
		for _, n := range []int{1, 4096, 4097, 50_000, 3} {
			a := nullColumn(typ, n)
			check(a, typ, n)
			a.Release()
		}
		check(early, typ, 10)
		early.Release()
	}
}

// TestCompileRegexpLast: the last-pattern shortcut tells patterns and
// flags apart.
func TestCompileRegexpLast(t *testing.T) {
	for _, c := range []struct {
		pattern, flags, s string
		want              bool
	}{
		{"ab+c", "", "xABBCx", false},
		{"ab+c", "i", "xABBCx", true},
		{"ab+c", "i", "xABBCx", true},
		{"ab+c", "", "xABBCx", false},
		{"ab+d", "", "xabbdx", true},
		{"ab+c", "", "xabbdx", false},
	} {
		re, err := compileRegexp(c.pattern, c.flags)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.matchString(c.s); got != c.want {
			t.Fatalf("compileRegexp(%q, %q) on %q: %v, want %v", c.pattern, c.flags, c.s, got, c.want)
		}
	}
}
