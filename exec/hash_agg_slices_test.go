package exec

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// TestHopSlicesMatchHop runs random append-only streams through an
// aggregation over HOP slices and through HOP then the same aggregation,
// and requires the same changelog (as a view) and the same late count
// after every message. It varies what TestWindowDifferential holds
// fixed: window sizes, slides and offsets, grouping by window_start,
// window_end, both or neither, with and without window semantics, NULL
// times and values, every aggregate the local
// phase folds (count, sum, avg, min, max, DISTINCT, FILTER), and both
// emit policies.
func TestHopSlicesMatchHop(t *testing.T) {
	for seed := int64(0); seed < 60; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runHopSlices(t, rand.New(rand.NewSource(seed)))
		})
	}
}

func runHopSlices(t *testing.T, rng *rand.Rand) {
	slide := int64(1 + rng.Intn(5))
	size := slide * int64(1+rng.Intn(4))
	offset := int64(rng.Intn(int(slide)))
	onClose := rng.Intn(2) == 0
	ts, in := types.TTimestamp, []types.Type{types.TTimestamp, types.TText, types.TInt8, types.NumericOf(2)}
	ws, we := col(4, ts), col(5, ts)
	var groups []Expr
	windowGroup, delta := 0, size
	switch rng.Intn(5) {
	case 0:
		groups = []Expr{ws, col(1, types.TText)}
	case 1:
		groups, delta = []Expr{col(1, types.TText), we}, 0
		windowGroup = 1
	case 2:
		groups = []Expr{col(1, types.TText), ws, we}
		windowGroup = 1
	case 3:
		// Over a stream without a watermark the window columns are plain
		// group columns: nothing expires.
		groups, windowGroup = []Expr{col(1, types.TText), we}, -1
	default:
		// No window column at all: each row counts once per window.
		groups, windowGroup = []Expr{col(1, types.TText)}, -1
	}
	onClose = onClose && windowGroup >= 0 // as the planner requires
	positive := &Call{Func: ">", Args: []Expr{col(2, types.TInt8), &Const{V: int64(3), T: types.TInt8}}, T: types.TBool}
	aggs := []AggSpec{
		{Func: "count_star", T: types.TInt8},
		{Func: "count", Arg: col(2, types.TInt8), T: types.TInt8},
		{Func: "sum", Arg: col(3, in[3]), T: in[3]},
		{Func: "avg", Arg: col(2, types.TInt8), T: types.NumericOf(0)},
		{Func: "min", Arg: col(3, in[3]), T: in[3]},
		{Func: "max", Arg: col(2, types.TInt8), T: types.TInt8},
		{Func: "count", Arg: col(2, types.TInt8), Distinct: true, T: types.TInt8},
		{Func: "sum", Arg: col(2, types.TInt8), Filter: positive, T: types.TInt8},
	}
	make1 := func(id uint32, h *StateHandle) *HashAgg {
		return &HashAgg{Groups: groups, Aggs: aggs, WindowGroup: windowGroup, WindowEndDelta: delta, WindowSize: size,
			EmitOnClose: onClose, AppendOnlyInput: true, GroupsID: id, ValuesID: id + 1, State: h}
	}
	st := newTestStore(t)
	hs, hh := &StateHandle{}, &StateHandle{}
	sliced := make1(10, hs)
	sliced.Hop = &HopSlices{TimeCol: 0, Size: size, Slide: slide, Offset: offset}
	hopped := make1(20, hh)
	if rng.Intn(2) == 0 {
		sliced.CacheGroups = 1 + rng.Intn(3) // evictions reload groups from state
	}
	pipes := [2]Pipeline{{sliced}, {&Hop{TimeCol: 0, Size: size, Slide: slide, Offset: offset}, hopped}}
	views := [2]viewState{{}, {}}
	push := func(m Message) {
		pushEpoch(t, st, hs, pipes[0], m, views[0])
		pushEpoch(t, st, hh, pipes[1], m, views[1])
		checkWindowIndex(t, sliced, st)
		if got, want := views[0].String(), views[1].String(); got != want {
			t.Fatalf("size %d slide %d offset %d: slices differ from HOP\nslices:\n%s\nHOP:\n%s", size, slide, offset, got, want)
		}
		if sliced.Late != hopped.Late {
			t.Fatalf("late count %d over slices, %d over HOP", sliced.Late, hopped.Late)
		}
		if rng.Intn(10) == 0 {
			sliced.Reset() // as after a restart: the cache and index are rebuilt from state
		}
	}
	front, wm := int64(0), int64(windowing.NoWatermark)
	for step := 0; step < 120; step++ {
		if rng.Intn(4) == 0 {
			if next := front - int64(rng.Intn(6)); next > wm {
				wm = next
				w := wm
				push(Message{Watermark: &w})
			}
			continue
		}
		cb := NewChunkBuilder(in)
		for n := rng.Intn(12); n > 0; n-- {
			var tv types.Datum = types.DTimestamp(front - int64(rng.Intn(3*int(size)+1)))
			front += int64(rng.Intn(3))
			if rng.Intn(15) == 0 {
				tv = nil
			}
			var x, d types.Datum = int64(rng.Intn(8)), types.Decimal{Coef: decimal128.FromI64(int64(rng.Intn(2000) - 1000)), Scale: 2}
			if rng.Intn(6) == 0 {
				x = nil
			}
			if rng.Intn(6) == 0 {
				d = nil
			}
			cb.Append(Insert, []types.Datum{tv, []string{"a", "b", "c"}[rng.Intn(3)], x, d})
		}
		if c := cb.Build(); c != nil {
			push(Message{Chunk: c})
		}
	}
	if len(views[0]) == 0 {
		t.Fatal("no rows: the test checks nothing")
	}
}
