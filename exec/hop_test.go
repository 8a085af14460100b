package exec

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// TestHopCopies checks Hop's output for chunks whose rows all have a
// time against a row-by-row statement of it: per window rank, earliest
// window first, every input row with its window's bounds and its op; the
// columns Keep leaves out are NULL, the others intact.
func TestHopCopies(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	ts := []types.Type{types.TTimestamp, types.TInt8, types.TText, types.TInt8}
	for round := 0; round < 100; round++ {
		slide := int64(1+rng.Intn(5)) * 1000
		size := slide * int64(1+rng.Intn(5))
		offset := int64(rng.Intn(int(slide)))
		h := &Hop{TimeCol: 0, Size: size, Slide: slide, Offset: offset}
		if round%2 == 1 {
			h.Keep = make([]bool, len(ts)+2)
			for i := range h.Keep {
				h.Keep[i] = rng.Intn(2) == 0
			}
		}
		cb := NewChunkBuilder(ts)
		var rows [][]types.Datum
		var ops []Op
		for i, n := 0, 1+rng.Intn(30); i < n; i++ {
			row := []types.Datum{types.DTimestamp(rng.Int63n(40_000) - 20_000), int64(i), fmt.Sprint("r", i), nil}
			if rng.Intn(3) == 0 {
				row[2] = nil
			}
			op := []Op{Insert, Delete}[rng.Intn(2)]
			cb.Append(op, row)
			rows, ops = append(rows, row), append(ops, op)
		}
		c := cb.Build()
		out, err := h.Process(Message{Chunk: c})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for j := size/slide - 1; j >= 0; j-- {
			for i, row := range rows {
				start := windowing.TumbleStart(int64(row[0].(types.DTimestamp)), slide, offset) - j*slide
				r := append(append([]types.Datum(nil), row...), types.DTimestamp(start), types.DTimestamp(start+size))
				for x := range r {
					if h.Keep != nil && !h.Keep[x] {
						r[x] = nil
					}
				}
				want = append(want, fmt.Sprint(ops[i], r))
			}
		}
		oc := out[0].Chunk
		if oc.Len() != len(want) || int(oc.Rec.NumRows()) != len(want) {
			t.Fatalf("round %d: %d rows (record %d), want %d", round, oc.Len(), oc.Rec.NumRows(), len(want))
		}
		for i := range want {
			if got := fmt.Sprint(oc.Ops[i], oc.Row(i, nil)); got != want[i] {
				t.Fatalf("round %d (size %d slide %d offset %d keep %v) row %d: %s, want %s", round, size, slide, offset, h.Keep, i, got, want[i])
			}
		}
	}
}
