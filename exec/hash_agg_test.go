package exec

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/vfs"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

func newTestStore(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(state.Options{Dir: "db", FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// naiveAgg recomputes the aggregate from the net multiset of input rows.
func naiveAgg(rows [][]types.Datum) map[string]string {
	type acc struct {
		n, cnt, sum int64
		min, max    *int64
		distinct    map[int64]bool
		filtered    int64
		small       *int64 // sum of values below 3
		over5       map[int64]bool
		smallSet    map[int64]bool
	}
	groups := map[string]*acc{}
	for _, r := range rows {
		g := r[0].(string)
		a := groups[g]
		if a == nil {
			a = &acc{distinct: map[int64]bool{}, over5: map[int64]bool{}, smallSet: map[int64]bool{}}
			groups[g] = a
		}
		a.n++
		if r[1] == nil {
			continue
		}
		v := r[1].(int64)
		a.cnt++
		a.sum += v
		if a.min == nil || v < *a.min {
			a.min = &v
		}
		if a.max == nil || v > *a.max {
			a.max = &v
		}
		a.distinct[v] = true
		if v > 5 {
			a.filtered++
			a.over5[v] = true
		}
		if v < 3 {
			a.smallSet[v] = true
			if a.small == nil {
				a.small = new(int64)
			}
			*a.small += v
		}
	}
	out := map[string]string{}
	for g, a := range groups {
		f := func(p *int64) string {
			if p == nil {
				return "NULL"
			}
			return fmt.Sprint(*p)
		}
		sum := "NULL"
		if a.cnt > 0 {
			sum = fmt.Sprint(a.sum)
		}
		smallDistinct := "NULL"
		if len(a.smallSet) > 0 {
			n := int64(0)
			for v := range a.smallSet {
				n += v
			}
			smallDistinct = fmt.Sprint(n)
		}
		out[g] = fmt.Sprintf("%s %d %d %s %s %s %d %d %s %d %d %s %s", g, a.n, a.cnt, sum, f(a.min), f(a.max), len(a.distinct), a.filtered, f(a.small), a.filtered,
			len(a.over5), smallDistinct, f(a.max))
	}
	return out
}

// TestHashAggDifferential feeds random changelogs (inserts, deletes and
// update pairs of previously inserted rows), or inserts only to an
// aggregation declared over append-only input, in random batch sizes and
// checks that the output changelog, applied, equals a naive recomputation.
func TestHashAggDifferential(t *testing.T) {
	for _, batch := range []int{1, 3, 1024} {
		for seed := int64(0); seed < 30; seed++ {
			// Odd seeds group by an expression, not a plain column, taking
			// the row-at-a-time path; seeds 20.. are append-only.
			t.Run(fmt.Sprintf("batch=%d/seed=%d", batch, seed), func(t *testing.T) {
				runAggDifferential(t, rand.New(rand.NewSource(seed)), batch, seed%2 == 1, seed >= 20)
			})
		}
	}
}

func runAggDifferential(t *testing.T, rng *rand.Rand, batch int, exprGroup, appendOnly bool) {
	st := newTestStore(t)
	h := &StateHandle{}
	inTypes := []types.Type{types.TText, types.TInt8}
	col := func(i int) Expr { return &ColRef{Idx: i, T: inTypes[i]} }
	_ = col
	group := col(0)
	if exprGroup {
		group = &Cast{E: col(0), T: types.TText}
	}
	// Two FILTER conditions, one shared by two aggregates as the engine
	// shares a condition written twice.
	over5 := &Call{Func: ">", Args: []Expr{col(1), &Const{V: int64(5), T: types.TInt8}}, T: types.TBool}
	under3 := &Call{Func: "<", Args: []Expr{col(1), &Const{V: int64(3), T: types.TInt8}}, T: types.TBool}
	agg := &HashAgg{
		Groups: []Expr{group},
		Aggs: []AggSpec{
			{Func: "count_star", T: types.TInt8},
			{Func: "count", Arg: col(1), T: types.TInt8},
			{Func: "sum", Arg: col(1), T: types.NumericOf(0)},
			{Func: "min", Arg: col(1), T: types.TInt8},
			{Func: "max", Arg: col(1), T: types.TInt8},
			{Func: "count", Arg: col(1), Distinct: true, T: types.TInt8},
			{Func: "count_star", Filter: over5, T: types.TInt8},
			{Func: "sum", Arg: col(1), Filter: under3, T: types.NumericOf(0)},
			{Func: "count", Arg: col(1), Filter: over5, T: types.TInt8},
			// DISTINCT over one argument: over append-only input, these
			// and the count above share value entries.
			{Func: "count", Arg: col(1), Distinct: true, Filter: over5, T: types.TInt8},
			{Func: "sum", Arg: col(1), Distinct: true, Filter: under3, T: types.NumericOf(0)},
			{Func: "max", Arg: col(1), Distinct: true, T: types.TInt8},
		},
		WindowGroup: -1, GroupsID: 10, ValuesID: 11, State: h, AppendOnlyInput: appendOnly,
	}
	if rng.Intn(2) == 0 {
		agg.CacheGroups = 1 + rng.Intn(4) // evictions reload groups and values from state
	}
	// Some runs store values one entry per aggregate, as before families
	// shared them; some of those restart able to share, and must keep
	// the layout their state has.
	upgrade := false
	switch rng.Intn(3) {
	case 0:
		agg.unshared = true
	case 1:
		agg.unshared, upgrade = true, true
	}
	outTypes := agg.OutTypes()
	view := map[string]int64{} // output multiset
	var live [][]types.Datum
	type change struct {
		op  Op
		row []types.Datum
	}
	var pending []change
	flush := func() {
		if len(pending) == 0 {
			return
		}
		b := st.NewBatch()
		h.Store = b
		cb := NewChunkBuilder(inTypes)
		for _, c := range pending {
			cb.Append(c.op, c.row)
		}
		out, err := agg.Process(Message{Chunk: cb.Build()})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out {
			c := m.Chunk
			for i := 0; i < c.Len(); i++ {
				row := c.Row(i, nil)
				var parts []string
				for j, d := range row {
					parts = append(parts, types.TextString(outTypes[j], d))
				}
				k := strings.Join(parts, " ")
				view[k] += c.Ops[i].Sign()
				if view[k] == 0 {
					delete(view, k)
				}
				if view[k] < 0 {
					t.Fatalf("output retracts a row it never emitted: %s", k)
				}
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		pending = pending[:0]
		if rng.Intn(8) == 0 {
			agg.Reset() // as after a restart: caches and filters are rebuilt from state
			if upgrade {
				agg.unshared = false
			}
		}
	}
	groups := []string{"a", "b", "c", "d"}
	for step := 0; step < 300; step++ {
		switch r := rng.Intn(10); {
		case r < 5 || len(live) == 0 || appendOnly:
			var v types.Datum = int64(rng.Intn(10))
			if rng.Intn(8) == 0 {
				v = nil
			}
			row := []types.Datum{groups[rng.Intn(len(groups))], v}
			live = append(live, row)
			pending = append(pending, change{Insert, row})
		case r < 8:
			i := rng.Intn(len(live))
			pending = append(pending, change{Delete, live[i]})
			live = append(live[:i], live[i+1:]...)
		default:
			i := rng.Intn(len(live))
			nw := []types.Datum{live[i][0], int64(rng.Intn(10))}
			pending = append(pending, change{UpdateDelete, live[i]}, change{UpdateInsert, nw})
			live[i] = nw
		}
		if len(pending) >= batch {
			flush()
		}
	}
	flush()
	want := naiveAgg(live)
	var got, exp []string
	for k, n := range view {
		if n != 1 {
			t.Fatalf("row %q has multiplicity %d", k, n)
		}
		got = append(got, k)
	}
	for _, v := range want {
		exp = append(exp, v)
	}
	sort.Strings(got)
	sort.Strings(exp)
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Fatalf("incremental result differs from recomputation\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
}

// TestWindowCloseAndLateness checks EMIT ON WINDOW CLOSE: nothing before
// the watermark passes window_end, final rows after, late rows counted and
// dropped, and state purged.
func TestWindowCloseAndLateness(t *testing.T) {
	st := newTestStore(t)
	h := &StateHandle{}
	inTypes := []types.Type{types.TTimestamp, types.TText}
	pipe := Pipeline{
		&Tumble{TimeCol: 0, Size: 10},
		&HashAgg{Groups: []Expr{&ColRef{Idx: 2, T: types.TTimestamp}, &ColRef{Idx: 1, T: types.TText}},
			Aggs: []AggSpec{{Func: "count_star", T: types.TInt8}}, WindowGroup: 0, WindowEndDelta: 10,
			EmitOnClose: true, GroupsID: 20, ValuesID: 21, State: h},
	}
	agg := pipe[1].(*HashAgg)
	push := func(m Message) []string {
		b := st.NewBatch()
		h.Store = b
		out, err := pipe.Push(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, o := range out {
			if o.Chunk == nil {
				continue
			}
			for i := 0; i < o.Chunk.Len(); i++ {
				r := o.Chunk.Row(i, nil)
				rows = append(rows, fmt.Sprintf("%s %d %s %d", o.Chunk.Ops[i], r[0], r[1], r[2]))
			}
		}
		return rows
	}
	rows := func(vals ...any) Message {
		cb := NewChunkBuilder(inTypes)
		for i := 0; i < len(vals); i += 2 {
			cb.Append(Insert, []types.Datum{types.DTimestamp(vals[i].(int)), vals[i+1]})
		}
		return Message{Chunk: cb.Build()}
	}
	wm := func(w int64) Message { return Message{Watermark: &w} }
	if got := push(rows(1, "a", 9, "a", 10, "b", 15, "a")); len(got) != 0 {
		t.Fatalf("emitted before close: %v", got)
	}
	if got := push(wm(9)); len(got) != 0 {
		t.Fatalf("emitted before the watermark reached window_end: %v", got)
	}
	if got := strings.Join(push(wm(10)), ";"); got != "+ 0 a 2" {
		t.Fatalf("at watermark 10 got %q", got)
	}
	push(rows(3, "a", 12, "b"))
	if agg.Late != 1 {
		t.Fatalf("late = %d, want 1", agg.Late)
	}
	if got := strings.Join(push(wm(25)), ";"); got != "+ 10 a 1;+ 10 b 2" {
		t.Fatalf("at watermark 25 got %q", got)
	}
	n := 0
	st.Scan(20, nil, func(k, v []byte) error {
		if k[0] != 0xff {
			n++
		}
		return nil
	})
	if n != 0 {
		t.Fatalf("%d window groups remain in state after every window closed", n)
	}
}

// TestHashAggIntegerGroups: groups of up to two integer columns are
// found by value in the local phase. NULL and 0 are different groups,
// as are (x, y) and (y, x); the result, applied from the output
// changelog, equals a naive count and sum per group.
func TestHashAggIntegerGroups(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		st := newTestStore(t)
		h := &StateHandle{}
		inTypes := []types.Type{types.TInt8, types.TTimestamp, types.TInt8}
		groups := []Expr{&ColRef{Idx: 0, T: types.TInt8}, &ColRef{Idx: 1, T: types.TTimestamp}}
		if seed%2 == 1 {
			groups = groups[:1]
		}
		agg := &HashAgg{
			Groups: groups,
			Aggs: []AggSpec{
				{Func: "count_star", T: types.TInt8},
				{Func: "sum", Arg: &ColRef{Idx: 2, T: types.TInt8}, T: types.NumericOf(0)},
			},
			WindowGroup: -1, GroupsID: 10, ValuesID: 11, State: h,
		}
		outTypes := agg.OutTypes()
		view := map[string]int64{}
		var live [][]types.Datum
		small := func() types.Datum {
			if rng.Intn(3) == 0 {
				return nil
			}
			return int64(rng.Intn(2))
		}
		for round := 0; round < 30; round++ {
			cb := NewChunkBuilder(inTypes)
			for n := rng.Intn(40); n > 0; n-- {
				if len(live) > 0 && rng.Intn(4) == 0 {
					i := rng.Intn(len(live))
					cb.Append(Delete, live[i])
					live = append(live[:i], live[i+1:]...)
					continue
				}
				row := []types.Datum{small(), small(), int64(rng.Intn(100))}
				if row[1] != nil {
					row[1] = types.DTimestamp(row[1].(int64))
				}
				cb.Append(Insert, row)
				live = append(live, row)
			}
			c := cb.Build()
			if c == nil {
				continue
			}
			b := st.NewBatch()
			h.Store = b
			out, err := agg.Process(Message{Chunk: c})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range out {
				for i := 0; i < m.Chunk.Len(); i++ {
					var parts []string
					for j, d := range m.Chunk.Row(i, nil) {
						parts = append(parts, types.TextString(outTypes[j], d))
					}
					view[strings.Join(parts, " ")] += m.Chunk.Ops[i].Sign()
				}
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		type acc struct{ n, sum int64 }
		naive := map[string]*acc{}
		for _, r := range live {
			var parts []string
			for j, g := range groups {
				parts = append(parts, types.TextString(g.Type(), r[j]))
			}
			k := strings.Join(parts, " ")
			if naive[k] == nil {
				naive[k] = &acc{}
			}
			naive[k].n++
			naive[k].sum += r[2].(int64)
		}
		var got, want []string
		for k, n := range view {
			if n != 0 {
				got = append(got, fmt.Sprintf("%s ×%d", k, n))
			}
		}
		for k, a := range naive {
			want = append(want, fmt.Sprintf("%s %d %d ×1", k, a.n, a.sum))
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("seed %d: got\n%s\nwant\n%s", seed, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// checkWindowIndex requires a windowed aggregation's window index to
// hold exactly the group keys its state holds, and its count of cached
// groups to be right: a group that vanished, or a window purged, must
// leave it, so memory stays bounded by the live windows.
func checkWindowIndex(t *testing.T, h *HashAgg, st *state.Store) {
	t.Helper()
	if !h.hot.indexed {
		return
	}
	var want []string
	if err := st.Scan(h.GroupsID, nil, func(k, _ []byte) error {
		if k[0] != 0xff {
			want = append(want, string(k))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	cached := 0
	for w, wg := range h.hot.windows {
		n := 0
		for k, g := range wg.keys {
			got = append(got, k)
			if g != nil {
				n++
			}
			if kw, _ := windowOf([]byte(k)); kw != w {
				t.Fatalf("group of window %d indexed under window %d", kw, w)
			}
		}
		if n != wg.cached {
			t.Fatalf("window %d counts %d cached groups, holds %d", w, wg.cached, n)
		}
		cached += n
	}
	if cached != h.hot.cachedN {
		t.Fatalf("%d cached groups counted, %d held", h.hot.cachedN, cached)
	}
	if len(h.hot.order) != len(h.hot.windows) {
		t.Fatalf("%d windows in order, %d indexed", len(h.hot.order), len(h.hot.windows))
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("window index holds %d group keys, state %d", len(got), len(want))
	}
}

// TestFilterKernelsSkipLateRows checks that a FILTER whose kernels fail
// on a late row, which the aggregation drops before any filter sees it,
// does not fail the chunk: the condition is evaluated row by row then.
func TestFilterKernelsSkipLateRows(t *testing.T) {
	st := newTestStore(t)
	h := &StateHandle{}
	ts := []types.Type{types.TTimestamp, types.TInt8}
	x := &ColRef{Idx: 1, T: types.TInt8}
	big := &Const{V: int64(1) << 62, T: types.TInt8}
	positive := &Call{Func: ">", Args: []Expr{&Call{Func: "*", Args: []Expr{x, big}, T: types.TInt8}, &Const{V: int64(0), T: types.TInt8}}, T: types.TBool}
	agg := &HashAgg{Groups: []Expr{&ColRef{Idx: 0, T: types.TTimestamp}}, WindowGroup: 0, WindowEndDelta: 10, WindowSize: 10,
		Aggs:     []AggSpec{{Func: "count_star", Filter: positive, T: types.TInt8}},
		GroupsID: 10, ValuesID: 11, State: h, AppendOnlyInput: true}
	view := viewState{}
	wm := int64(15)
	pushEpoch(t, st, h, Pipeline{agg}, Message{Watermark: &wm}, view)
	cb := NewChunkBuilder(ts)
	cb.Append(Insert, []types.Datum{types.DTimestamp(0), int64(4)}) // late: its window ended at 10; 4 << 62 overflows
	cb.Append(Insert, []types.Datum{types.DTimestamp(20), int64(1)})
	pushEpoch(t, st, h, Pipeline{agg}, Message{Chunk: cb.Build()}, view)
	if got, want := view.String(), "20 1"; got != want || agg.Late != 1 {
		t.Fatalf("view %q (want %q), late %d", got, want, agg.Late)
	}
}
