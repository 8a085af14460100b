package exec

import (
	"fmt"
	"math/rand"
	"testing"

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
	ts := types.TTimestamp
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
	aggs := fusionAggs(true)
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
		if c := fusionChunk(rng, &front, 12, 3*int(size), 3); c != nil {
			push(Message{Chunk: c})
		}
	}
	if len(views[0]) == 0 {
		t.Fatal("no rows: the test checks nothing")
	}
}
