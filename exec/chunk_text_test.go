package exec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/weir-db/weir/types"
)

// The chunk text notation of tests: one row per line, the op first
// (+ - U- U+), then the values separated by spaces; "." is NULL.
// Timestamps are written as integer microseconds.

func parseOp(s string) (Op, bool) {
	switch s {
	case "+":
		return Insert, true
	case "-":
		return Delete, true
	case "U-":
		return UpdateDelete, true
	case "U+":
		return UpdateInsert, true
	}
	return 0, false
}

func parseDatum(t *testing.T, typ types.Type, s string) types.Datum {
	t.Helper()
	if s == "." {
		return nil
	}
	switch typ.Family {
	case types.Timestamp, types.TimestampTZ:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("bad timestamp %q", s)
		}
		return types.DTimestamp(n)
	case types.Int2, types.Int4, types.Int8:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("bad integer %q", s)
		}
		return n
	case types.Text, types.Varchar:
		return s
	}
	t.Fatalf("the chunk notation has no form for %s", typ)
	return nil
}

func formatDatum(typ types.Type, d types.Datum) string {
	if d == nil {
		return "."
	}
	if ts, ok := d.(types.DTimestamp); ok {
		return strconv.FormatInt(int64(ts), 10)
	}
	return types.TextString(typ, d)
}

// textRow is one row of the notation.
type textRow struct {
	op  Op
	row []types.Datum
}

// parseChunkText reads rows typed by ts.
func parseChunkText(t *testing.T, ts []types.Type, text string) []textRow {
	t.Helper()
	var out []textRow
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		op, ok := parseOp(f[0])
		if !ok || len(f)-1 != len(ts) {
			t.Fatalf("bad chunk row %q: want an op and %d values", line, len(ts))
		}
		row := make([]types.Datum, len(ts))
		for i := range ts {
			row[i] = parseDatum(t, ts[i], f[i+1])
		}
		out = append(out, textRow{op, row})
	}
	return out
}

func buildChunk(ts []types.Type, rows []textRow) *Chunk {
	cb := NewChunkBuilder(ts)
	for _, r := range rows {
		cb.Append(r.op, r.row)
	}
	return cb.Build()
}

func formatRow(ts []types.Type, row []types.Datum) string {
	parts := make([]string, len(row))
	for i, d := range row {
		parts[i] = formatDatum(ts[i], d)
	}
	return strings.Join(parts, " ")
}

// formatChunk prints a chunk in the notation.
func formatChunk(c *Chunk) string {
	var b strings.Builder
	for i := 0; i < c.Len(); i++ {
		fmt.Fprintf(&b, "%s %s\n", c.Ops[i], formatRow(c.Types, c.Row(i, nil)))
	}
	return b.String()
}

// viewState is the multiset a changelog builds; apply checks the
// changelog's invariants on the way.
type viewState map[string]int64

func (v viewState) apply(t *testing.T, c *Chunk) {
	t.Helper()
	for i := 0; i < c.Len(); i++ {
		if c.Ops[i] == UpdateDelete && (i+1 >= c.Len() || c.Ops[i+1] != UpdateInsert) {
			t.Fatalf("U- at row %d is not followed by U+:\n%s", i, formatChunk(c))
		}
		if c.Ops[i] == UpdateInsert && (i == 0 || c.Ops[i-1] != UpdateDelete) {
			t.Fatalf("U+ at row %d does not follow U-:\n%s", i, formatChunk(c))
		}
		k := formatRow(c.Types, c.Row(i, nil))
		v[k] += c.Ops[i].Sign()
		if v[k] < 0 {
			t.Fatalf("changelog retracts a row it never emitted: %s", k)
		}
		if v[k] == 0 {
			delete(v, k)
		}
	}
}

func (v viewState) String() string {
	var rows []string
	for k, n := range v {
		for ; n > 0; n-- {
			rows = append(rows, k)
		}
	}
	sort.Strings(rows)
	return strings.Join(rows, "\n")
}

func TestChunkTextRoundTrip(t *testing.T) {
	ts := []types.Type{types.TTimestamp, types.TText, types.TInt8}
	in := "+ 1 a 4\nU- 5 b .\nU+ 5 b 3\n- 7 . 0\n"
	if got := formatChunk(buildChunk(ts, parseChunkText(t, ts, in))); got != in {
		t.Fatalf("got\n%s\nwant\n%s", got, in)
	}
}
