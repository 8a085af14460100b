package exec

import (
	"fmt"
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
