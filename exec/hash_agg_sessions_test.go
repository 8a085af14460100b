package exec

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// TestSessionMergeMatchesSessionWindow runs random append-only streams
// through an aggregation that merges sessions itself and through the
// SESSION window then the same aggregation, and requires the same view
// and the same late count after every message. It varies gaps and
// lateness, grouping by window_start, window_end or both (with
// window_start alone the planner groups window_end too), by a key or
// none, with and without a watermark, NULL times and values, every
// aggregate a merge folds (count, sum, avg, min, max, FILTER), both emit
// policies and early firing, small caches and restarts.
func TestSessionMergeMatchesSessionWindow(t *testing.T) {
	for seed := int64(0); seed < 80; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runSessionMerge(t, rand.New(rand.NewSource(seed)))
		})
	}
}

func runSessionMerge(t *testing.T, rng *rand.Rand) {
	gap := int64(1 + rng.Intn(6))
	lateness := int64(rng.Intn(3)) * int64(rng.Intn(4))
	ts := types.TTimestamp
	ws, we, k := col(4, ts), col(5, ts), col(1, types.TText)
	keys := []int{1}
	var groups []Expr
	windowGroup := -1
	timed := rng.Intn(5) > 0 // without a watermark nothing expires or closes
	switch rng.Intn(5) {
	case 0:
		groups, windowGroup = []Expr{k, ws, we}, 2
	case 1:
		groups, windowGroup = []Expr{ws, k, we}, 2 // window_start, with window_end hidden
	case 2:
		groups, windowGroup = []Expr{we, k}, 0
	case 3:
		groups, windowGroup, keys = []Expr{ws, we}, 1, nil // one session stream
	default:
		groups, timed = []Expr{k}, false // sessions only decide what is late
	}
	if !timed {
		windowGroup = -1
	}
	onClose := timed && rng.Intn(2) == 0
	early := onClose && rng.Intn(2) == 0
	aggs := fusionAggs(false) // merged groups fold no value multisets
	make1 := func(id uint32, h *StateHandle, appendOnly bool) *HashAgg {
		return &HashAgg{Groups: groups, Aggs: aggs, WindowGroup: windowGroup, EmitOnClose: onClose, EarlyFire: early,
			AllowLateness: lateness, AppendOnlyInput: appendOnly, GroupsID: id, ValuesID: id + 1, State: h}
	}
	st := newTestStore(t)
	hm, hw := &StateHandle{}, &StateHandle{}
	merged := make1(10, hm, true)
	merged.Session = &SessionMerge{TimeCol: 0, Keys: keys, Gap: gap, ID: 12}
	if rng.Intn(2) == 0 {
		merged.CacheGroups = 1 + rng.Intn(3) // evictions reload groups from state
	}
	sw := &SessionWindow{TimeCol: 0, Keys: keys, Gap: gap, AllowLateness: lateness, ID: 30, State: hw}
	windowed := make1(20, hw, false)
	pipes := [2]Pipeline{{merged}, {sw, windowed}}
	views := [2]viewState{{}, {}}
	push := func(m Message) {
		pushEpoch(t, st, hm, pipes[0], m, views[0])
		pushEpoch(t, st, hw, pipes[1], m, views[1])
		checkWindowIndex(t, merged, st)
		if got, want := views[0].String(), views[1].String(); got != want {
			t.Fatalf("gap %d lateness %d: merged sessions differ from the SESSION window\nmerged:\n%s\nSESSION:\n%s", gap, lateness, got, want)
		}
		if merged.Late != sw.Late+windowed.Late {
			t.Fatalf("late count %d merged, %d through the SESSION window", merged.Late, sw.Late+windowed.Late)
		}
		if rng.Intn(10) == 0 {
			merged.Reset() // as after a restart: caches are rebuilt from state
		}
	}
	front, wm := int64(0), int64(windowing.NoWatermark)
	for step := 0; step < 150; step++ {
		switch r := rng.Intn(8); {
		case r < 2 && timed:
			if next := front - int64(rng.Intn(8)); next > wm {
				wm = next
				w := wm
				push(Message{Watermark: &w})
			}
			continue
		case r == 2 && early:
			push(Message{Fire: true})
			continue
		}
		if c := fusionChunk(rng, &front, 10, 3*int(gap)+3, int(gap)+2); c != nil {
			push(Message{Chunk: c})
		}
	}
	if len(views[0]) == 0 {
		t.Fatal("no rows: the test checks nothing")
	}
}
