package exec

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestTopNDifferential checks row_number, rank, dense_rank and plain
// ORDER BY ... LIMIT top-N against a naive ranking of the final input,
// for random changelogs (or append-only inputs, where the operator forgets
// rows that left the top) in random chunks and epochs. Some runs store
// their first half as state written before layouts were recorded did.
func TestTopNDifferential(t *testing.T) {
	ts := []types.Type{types.TInt8, types.TInt8, types.TInt8}
	for _, fn := range []string{"row_number", "rank", "dense_rank", ""} {
		for _, appendOnly := range []bool{false, true} {
			for _, desc := range []bool{false, true} {
				for seed := int64(0); seed < 8; seed++ {
					name := fmt.Sprintf("%s/appendonly=%v/desc=%v/%d", fn, appendOnly, desc, seed)
					t.Run(name, func(t *testing.T) {
						runTopN(t, rand.New(rand.NewSource(seed)), ts, fn, appendOnly, desc)
					})
				}
			}
		}
	}
}

func runTopN(t *testing.T, rng *rand.Rand, ts []types.Type, fn string, appendOnly, desc bool) {
	st := newTestStore(t)
	h := &StateHandle{}
	op := &TopN{Types: ts, Order: []OrderKey{{E: col(1, types.TInt8), Desc: desc, NullsFirst: desc}}, Func: fn,
		Limit: int64(1 + rng.Intn(3)), AppendOnlyInput: appendOnly, ID: 40, State: h}
	if rng.Intn(2) == 0 {
		op.CacheRows = 1 + rng.Intn(6) // evictions reload from state
	}
	if rng.Intn(3) == 0 {
		// An order key through a function, whose columns the operator
		// cannot tell: it decodes whole rows for the keys.
		same := func(a []types.Datum) (types.Datum, error) { return a[0], nil }
		op.Order[0].E = &FuncExpr{Name: "same", Fn: same, Args: []Expr{col(1, types.TInt8)}, T: types.TInt8}
	}
	if fn != "" {
		op.Partition = []Expr{col(0, types.TInt8)}
	} else {
		op.Offset = int64(rng.Intn(2))
	}
	op.legacyLayout = rng.Intn(3) == 0
	if rng.Intn(2) == 0 {
		defer func(n int) { topDiffPairScan = n }(topDiffPairScan)
		topDiffPairScan = 0 // diff indexes rows by identity
	}
	var live [][]types.Datum
	got := viewState{}
	for step := 0; step < 60; step++ {
		if step == 30 && op.legacyLayout {
			op.legacyLayout = false
			op.Reset() // a new binary over old state
		}
		b := st.NewBatch()
		h.Store = b
		cb := NewChunkBuilder(ts)
		for n := 1 + rng.Intn(5); n > 0; n-- {
			if !appendOnly && len(live) > 0 && rng.Intn(3) == 0 {
				i := rng.Intn(len(live))
				cb.Append(Delete, live[i])
				live = append(live[:i], live[i+1:]...)
				continue
			}
			var v types.Datum = int64(rng.Intn(6))
			if rng.Intn(8) == 0 {
				v = nil
			}
			row := []types.Datum{int64(rng.Intn(12)), v, int64(rng.Intn(3))}
			live = append(live, row)
			cb.Append(Insert, row)
		}
		out, err := op.Process(Message{Chunk: cb.Build()})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out {
			got.apply(t, m.Chunk)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if rng.Intn(6) == 0 {
			op.Reset() // as after a restart: caches and filters are rebuilt from state
		}
	}
	if want := naiveTopN(op, live); got.String() != want.String() {
		t.Fatalf("incremental top-N differs from naive ranking\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// naiveTopN ranks the live rows per partition by sorting them.
func naiveTopN(op *TopN, live [][]types.Datum) viewState {
	parts := map[string][][]types.Datum{}
	for _, r := range live {
		k := ""
		if len(op.Partition) > 0 {
			k = fmt.Sprint(r[0])
		}
		parts[k] = append(parts[k], r)
	}
	out := viewState{}
	ots := op.outTypes()
	for _, rows := range parts {
		ord := func(r []types.Datum) string {
			k, _ := op.orderKey(r)
			return string(k)
		}
		sort.Slice(rows, func(i, j int) bool {
			a, b := ord(rows[i]), ord(rows[j])
			if a != b {
				return a < b
			}
			return string(RowKey(op.Types, rows[i])) < string(RowKey(op.Types, rows[j]))
		})
		var rank, dense int64
		for i, r := range rows {
			if i == 0 || ord(r) != ord(rows[i-1]) {
				rank, dense = int64(i+1), dense+1
			}
			n := int64(i + 1)
			switch op.Func {
			case "rank":
				n = rank
			case "dense_rank":
				n = dense
			}
			if n <= op.Offset || n > op.Offset+op.Limit {
				continue
			}
			row := r
			if op.Func != "" {
				row = append(append([]types.Datum(nil), r...), n-op.Offset)
			}
			out[formatRow(ots, row)]++
		}
	}
	return out
}
