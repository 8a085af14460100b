package exec

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestAppendEncodedSkipping checks that columns AppendEncoded does not
// keep come out NULL, at the chunk's length, while the kept ones hold
// their values, also with rows appended as datums in between.
func TestAppendEncodedSkipping(t *testing.T) {
	ts := []types.Type{types.TInt8, types.TText, types.TTimestamp, types.TText}
	keep := []bool{true, false, true, false}
	cb := NewChunkBuilder(ts)
	var want []string
	for i := 0; i < 5; i++ {
		row := []types.Datum{int64(i), "skipped", types.DTimestamp(i * 10), nil}
		if i == 2 {
			cb.Append(Insert, row)
		} else if err := cb.AppendEncoded(Insert, types.AppendRow(nil, ts, row), keep); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprint([]types.Datum{int64(i), nil, types.DTimestamp(i * 10), nil}))
	}
	c := cb.Build()
	if c.Len() != 5 || int(c.Rec.NumRows()) != 5 {
		t.Fatalf("chunk of %d rows, record of %d", c.Len(), c.Rec.NumRows())
	}
	for i := 0; i < c.Len(); i++ {
		if got := fmt.Sprint(c.Row(i, nil)); got != want[i] {
			t.Fatalf("row %d: %s, want %s", i, got, want[i])
		}
	}
	for j := range ts {
		if c.Rec.Column(j).Len() != 5 {
			t.Fatalf("column %d has %d values", j, c.Rec.Column(j).Len())
		}
	}
}

// TestAppendHoldsBackNulls: Append holds back the NULLs of a column
// that has seen nothing else, and a column's first value must land after
// them. Random rows, with columns NULL always, NULL for a prefix, or
// NULL at random, in chunks built one after another by one builder,
// sometimes mixed with encoded rows, come out as they went in.
func TestAppendHoldsBackNulls(t *testing.T) {
	ts := []types.Type{types.TInt8, types.TText, types.TTimestamp, types.TText, types.TFloat8}
	rng := rand.New(rand.NewSource(7))
	cb := NewChunkBuilder(ts)
	for round := 0; round < 200; round++ {
		n := 1 + rng.Intn(40)
		if round%3 == 0 {
			cb.ReserveRows(rng.Intn(50))
		}
		// Per column: the first row that may hold a value (n: none).
		from := make([]int, len(ts))
		for j := range from {
			from[j] = rng.Intn(n + 1)
		}
		var want []string
		for i := 0; i < n; i++ {
			row := make([]types.Datum, len(ts))
			vals := []types.Datum{int64(i), fmt.Sprint("s", i), types.DTimestamp(i * 10), fmt.Sprint("t", round), float64(i) / 2}
			for j := range row {
				if i >= from[j] && rng.Intn(4) > 0 {
					row[j] = vals[j]
				}
			}
			if rng.Intn(10) == 0 {
				if err := cb.AppendEncoded(Delete, types.AppendRow(nil, ts, row), nil); err != nil {
					t.Fatal(err)
				}
				want = append(want, fmt.Sprint(Delete, row))
				continue
			}
			cb.Append(Insert, row)
			want = append(want, fmt.Sprint(Insert, row))
		}
		c := cb.Build()
		if c.Len() != n || int(c.Rec.NumRows()) != n {
			t.Fatalf("round %d: chunk of %d rows, record of %d, want %d", round, c.Len(), c.Rec.NumRows(), n)
		}
		for j := range ts {
			if c.Rec.Column(j).Len() != n {
				t.Fatalf("round %d: column %d has %d values, want %d", round, j, c.Rec.Column(j).Len(), n)
			}
		}
		for i := 0; i < n; i++ {
			if got := fmt.Sprint(c.Ops[i], c.Row(i, nil)); got != want[i] {
				t.Fatalf("round %d row %d: %s, want %s", round, i, got, want[i])
			}
		}
		c.Release()
	}
}
