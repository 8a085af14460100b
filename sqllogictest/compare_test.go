package sqllogictest

import (
	"crypto/md5"
	"encoding/hex"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// TestCompareResultsRandom checks compareResults on random results against
// expected output written the ways a test may write it.
func TestCompareResultsRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pool := []string{"1", "2", "10", "-3", "x", "NULL", "(empty)", "a b", "0.5"}
	for i := 0; i < 2000; i++ {
		ncols := 1 + rng.Intn(3)
		rows := make([][]string, rng.Intn(6))
		for r := range rows {
			rows[r] = make([]string, ncols)
			for c := range rows[r] {
				rows[r][c] = pool[rng.Intn(len(pool))]
			}
		}
		var rowLines, valueLines []string
		for _, row := range rows {
			rowLines = append(rowLines, strings.Join(row, " "))
			valueLines = append(valueLines, row...)
		}
		shuffled := func(s []string) []string {
			s = slices.Clone(s)
			rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
			return s
		}
		check := func(what string, expected []string, spec resultSpec, want bool) {
			t.Helper()
			if got := compareResults(rows, ncols, expected, spec).ok; got != want {
				t.Fatalf("%s: rows %q, expected %q, %+v: got ok=%v", what, rows, expected, spec, got)
			}
		}
		for _, mode := range []ResultMode{RowWise, ValueWise} {
			check("rows in order", rowLines, resultSpec{sortMode: NoSort, resultMode: mode}, true)
			check("values in order", valueLines, resultSpec{sortMode: NoSort, resultMode: mode}, true)
			check("rows shuffled", shuffled(rowLines), resultSpec{sortMode: RowSort, resultMode: mode}, true)
			check("values shuffled", shuffled(valueLines), resultSpec{sortMode: ValueSort, resultMode: mode}, true)
			if len(rowLines) > 0 {
				wrong := slices.Clone(rowLines)
				wrong[rng.Intn(len(wrong))] += " extra"
				check("a wrong row", wrong, resultSpec{sortMode: RowSort, resultMode: mode}, false)
				check("a missing row", rowLines[1:], resultSpec{sortMode: RowSort, resultMode: mode}, false)
			}
		}

		// The hash of the values in SQLite's order, the naive way.
		sortedRows := slices.Clone(rows)
		slices.SortFunc(sortedRows, func(a, b []string) int { return strings.Compare(strings.Join(a, "\x00"), strings.Join(b, "\x00")) })
		var text strings.Builder
		for _, row := range sortedRows {
			for _, v := range row {
				text.WriteString(v + "\n")
			}
		}
		sum := md5.Sum([]byte(text.String()))
		hash := formatHashLine(len(valueLines), hex.EncodeToString(sum[:]))
		check("hash", []string{hash}, resultSpec{sortMode: RowSort}, true)
		if len(valueLines) > 1 {
			check("over the threshold", []string{hash}, resultSpec{sortMode: RowSort, threshold: 1}, true)
			check("values over the threshold", valueLines, resultSpec{sortMode: RowSort, threshold: 1}, false)
		}
	}
}
