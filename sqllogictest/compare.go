package sqllogictest

import (
	"fmt"
	"slices"
	"strings"
)

// renderValue gives a value's form in expected output: NULL for SQL NULL,
// (empty) for the empty string, otherwise the server's text as is.
func renderValue(v *string) string {
	switch {
	case v == nil:
		return "NULL"
	case *v == "":
		return "(empty)"
	default:
		return *v
	}
}

// normalize collapses runs of whitespace to one space and trims the ends, so
// that expected lines may align columns freely.
func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// resultSpec is what a query's results are compared under.
type resultSpec struct {
	sortMode   SortMode // never SortDefault
	resultMode ResultMode
	threshold  int // hash-threshold; 0 never hashes
}

// comparison is the verdict on a query's results. expected and actual are the
// two sides in the form they were compared, for a diff.
type comparison struct {
	ok       bool
	expected []string
	actual   []string
	note     string // explains how the sides were compared, when not obvious
}

// compareResults checks rendered result rows (all ncols wide) against the
// expected lines of a query.
//
// Rows are first ordered by the sort mode: rowsort orders rows by their
// values compared in column order (as SQLite's runner does), valuesort orders
// all values. If the expected output is one "N values hashing to <md5>" line,
// or the result holds more values than the hash threshold, the MD5 of the
// ordered values is compared. Otherwise lines are compared after whitespace
// normalization: one row per line (values joined by a space) in rowwise
// mode, one value per line in valuewise mode. The other layout is accepted
// as well when the number of expected lines fits it, since SQLite's corpus
// writes one value per line regardless. Under rowsort and valuesort the
// expected lines are sorted too, so a test need not list them in order.
func compareResults(rows [][]string, ncols int, expectedLines []string, spec resultSpec) comparison {
	ordered, values := orderResults(rows, spec.sortMode)
	expected := make([]string, len(expectedLines))
	for i, line := range expectedLines {
		expected[i] = normalize(line)
	}

	if len(expected) == 1 {
		if n, want, ok := parseHashLine(expected[0]); ok {
			got := hashValues(values)
			return comparison{
				ok:       n == len(values) && strings.EqualFold(want, got),
				expected: expected,
				actual:   []string{formatHashLine(len(values), got)},
			}
		}
	}
	if spec.threshold > 0 && len(values) > spec.threshold {
		actual := []string{formatHashLine(len(values), hashValues(values))}
		return comparison{
			ok:       slices.Equal(expected, actual),
			expected: expected,
			actual:   actual,
			note:     fmt.Sprintf("more than %d values (hash-threshold), so results are compared by hash", spec.threshold),
		}
	}

	if spec.sortMode == ValueSort {
		return compareValueSorted(values, expected)
	}
	rowLayout := func() comparison { return compareRowLines(ordered, expected, spec.sortMode) }
	valueLayout := func() comparison { return compareValueLines(ordered, expected, ncols, spec.sortMode) }
	primary, secondary := rowLayout, valueLayout
	secondaryFits := ncols > 1 && len(expected) == len(values)
	if spec.resultMode == ValueWise {
		primary, secondary = valueLayout, rowLayout
		secondaryFits = ncols > 1 && len(expected) == len(rows)
	}
	c := primary()
	if c.ok || !secondaryFits {
		return c
	}
	// Show the diff in the layout the test seems to use.
	return secondary()
}

// orderResults applies a sort mode, returning the rows and the flattened
// values in their compared order.
func orderResults(rows [][]string, mode SortMode) (ordered [][]string, values []string) {
	ordered = rows
	if mode == RowSort {
		ordered = slices.Clone(rows)
		slices.SortStableFunc(ordered, slices.Compare[[]string])
	}
	for _, row := range ordered {
		values = append(values, row...)
	}
	if mode == ValueSort {
		slices.Sort(values)
	}
	return ordered, values
}

func compareRowLines(rows [][]string, expected []string, mode SortMode) comparison {
	actual := make([]string, len(rows))
	for i, row := range rows {
		actual[i] = normalize(strings.Join(row, " "))
	}
	if mode == RowSort {
		actual = sortedCopy(actual)
		expected = sortedCopy(expected)
	}
	return comparison{ok: slices.Equal(actual, expected), expected: expected, actual: actual}
}

func compareValueLines(rows [][]string, expected []string, ncols int, mode SortMode) comparison {
	groups := make([][]string, len(rows))
	for i, row := range rows {
		groups[i] = make([]string, len(row))
		for j, v := range row {
			groups[i][j] = normalize(v)
		}
	}
	if mode == RowSort && ncols > 0 && len(expected)%ncols == 0 {
		// Sort the expected values as rows of ncols lines.
		var exp [][]string
		for i := 0; i < len(expected); i += ncols {
			exp = append(exp, expected[i:i+ncols])
		}
		slices.SortStableFunc(exp, slices.Compare[[]string])
		slices.SortStableFunc(groups, slices.Compare[[]string])
		expected = slices.Concat(exp...)
	}
	actual := slices.Concat(groups...)
	return comparison{ok: slices.Equal(actual, expected), expected: expected, actual: actual}
}

// compareValueSorted compares sorted values with sorted expected lines, one
// value per line. Failing that, it compares the whitespace-separated tokens
// of both sides, for expected output written several values to a line.
func compareValueSorted(values, expected []string) comparison {
	actual := make([]string, len(values))
	for i, v := range values {
		actual[i] = normalize(v)
	}
	actual = sortedCopy(actual)
	expected = sortedCopy(expected)
	c := comparison{ok: slices.Equal(actual, expected), expected: expected, actual: actual}
	if !c.ok && len(expected) != len(actual) {
		c.ok = slices.Equal(sortedCopy(tokens(actual)), sortedCopy(tokens(expected)))
	}
	return c
}

func tokens(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Fields(l)...)
	}
	return out
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
