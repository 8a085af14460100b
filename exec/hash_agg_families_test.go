package exec

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestDistinctFamiliesShareValues checks the layouts of DISTINCT values
// over append-only input. Two DISTINCT counts of v (one under a FILTER on
// another column, so a value can reach the second count after the first)
// share one entry per group and value in new state, while a DISTINCT
// count of p keeps its own. State that already holds values one entry per
// aggregate keeps that layout after a restart, and a first epoch that is
// discarded (its layout marker with it) chooses again. All give the
// same rows.
func TestDistinctFamiliesShareValues(t *testing.T) {
	const want = "a 3 2 5;b 1 1 1"
	for _, c := range []struct {
		name      string
		before    bool // the first epoch runs without families
		discarded bool // a first epoch is discarded
		entries   int
		marker    bool
	}{
		{name: "new state", entries: 10, marker: true},
		{name: "state stored before families", before: true, entries: 13},
		{name: "first epoch discarded", discarded: true, entries: 10, marker: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newTestStore(t)
			h := &StateHandle{}
			in := []types.Type{types.TText, types.TInt8, types.TInt8}
			newAgg := func(unshared bool) *HashAgg {
				p := &ColRef{Idx: 2, T: types.TInt8}
				pOver5 := &Call{Func: ">", Args: []Expr{p, &Const{V: int64(5), T: types.TInt8}}, T: types.TBool}
				return &HashAgg{
					Groups: []Expr{&ColRef{Idx: 0, T: types.TText}},
					Aggs: []AggSpec{
						{Func: "count", Arg: &ColRef{Idx: 1, T: types.TInt8}, Distinct: true, T: types.TInt8},
						{Func: "count", Arg: &ColRef{Idx: 1, T: types.TInt8}, Distinct: true, Filter: pOver5, T: types.TInt8},
						{Func: "count", Arg: p, Distinct: true, T: types.TInt8},
					},
					WindowGroup: -1, GroupsID: 40, ValuesID: 41, State: h, AppendOnlyInput: true, unshared: unshared,
				}
			}
			rows := map[string]string{}
			push := func(agg *HashAgg, commit bool, vals ...any) {
				b := st.NewBatch()
				h.Store = b
				cb := NewChunkBuilder(in)
				for i := 0; i < len(vals); i += 3 {
					cb.Append(Insert, []types.Datum{vals[i], int64(vals[i+1].(int)), int64(vals[i+2].(int))})
				}
				out, err := agg.Process(Message{Chunk: cb.Build()})
				if err != nil {
					t.Fatal(err)
				}
				if !commit {
					if err := b.Close(); err != nil {
						t.Fatal(err)
					}
					agg.Reset() // as the runtime does after a failed epoch
					return
				}
				for _, m := range out {
					for i := 0; i < m.Chunk.Len(); i++ {
						if r := m.Chunk.Row(i, nil); m.Chunk.Ops[i].Sign() > 0 {
							rows[r[0].(string)] = fmt.Sprintf("%s %d %d %d", r[0], r[1], r[2], r[3])
						}
					}
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			agg := newAgg(c.before)
			if c.discarded {
				push(agg, false, "a", 5, 9, "c", 1, 1)
			}
			push(agg, true, "a", 1, 1, "a", 2, 9, "b", 1, 9)
			// A restart, able to share values now; v = 1 reaches the
			// filtered count.
			agg = newAgg(false)
			push(agg, true, "a", 1, 7, "a", 3, 1, "a", 2, 2)
			// Another restart: v = 1 is in the filtered count's state.
			agg = newAgg(false)
			push(agg, true, "a", 1, 8)
			var got []string
			for _, r := range rows {
				got = append(got, r)
			}
			sort.Strings(got)
			if strings.Join(got, ";") != want {
				t.Fatalf("rows %v, want %s", got, want)
			}
			entries := 0
			if err := st.Scan(41, nil, func(_, _ []byte) error { entries++; return nil }); err != nil {
				t.Fatal(err)
			}
			if entries != c.entries {
				t.Errorf("%d value entries, want %d", entries, c.entries)
			}
			_, err := st.Get(40, sharedValuesKey)
			if marker := err == nil; marker != c.marker {
				t.Errorf("layout marker present: %v, want %v", marker, c.marker)
			}
		})
	}
}
