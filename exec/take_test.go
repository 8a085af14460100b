package exec

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestTake checks that taking rows by index copies exactly those rows,
// nulls and ops included, for every column type chunks carry.
func TestTake(t *testing.T) {
	ts := []types.Type{types.TBool, types.TInt2, types.TInt4, types.TInt8, types.TFloat4, types.TFloat8,
		types.NumericOf(2), types.TText, types.TBytea, types.TDate, types.TTimestamp, types.TInterval}
	rng := rand.New(rand.NewSource(1))
	cb := NewChunkBuilder(ts)
	var rows [][]types.Datum
	for i := 0; i < 50; i++ {
		row := []types.Datum{i%2 == 0, int64(i), int64(i * 3), int64(-i), float64(i) / 2, float64(i) * 1.5,
			types.Decimal{}, fmt.Sprint("s", i), []byte{byte(i)}, types.DDate(i), types.DTimestamp(i * 1000), types.DInterval{Days: int32(i)}}
		d, _ := types.ParseDecimal(fmt.Sprintf("%d.25", i))
		row[6] = d
		if rng.Intn(4) == 0 {
			row[rng.Intn(len(row))] = nil
		}
		rows = append(rows, row)
		cb.Append(Op(rng.Intn(2)), row)
	}
	c := cb.Build()
	for trial := 0; trial < 20; trial++ {
		var idx []int
		for i := 0; i < c.Len(); i++ {
			if rng.Intn(3) == 0 {
				idx = append(idx, i)
			}
		}
		got := Take(c, idx)
		if len(idx) == 0 {
			if got != nil {
				t.Fatal("taking no rows made a chunk")
			}
			continue
		}
		for j, i := range idx {
			want := formatRow(ts, c.Row(i, nil))
			if have := formatRow(ts, got.Row(j, nil)); have != want || got.Ops[j] != c.Ops[i] {
				t.Fatalf("row %d (from %d): got %s %s, want %s %s", j, i, got.Ops[j], have, c.Ops[i], want)
			}
		}
	}
}
