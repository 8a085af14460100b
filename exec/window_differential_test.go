package exec

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// TestWindowDifferential checks every window kind under every emit policy
// against a naive recomputation, for random out-of-order streams cut into
// random batches, with watermarks and timer firings in random places.
//
// For TUMBLE and HOP the model decides lateness itself (a (row, window)
// pair is late when the window's end plus the allowed lateness is at or
// below the watermark when the row arrives) and the late rows must match
// exactly. For SESSION, whose lateness depends on the sessions formed, the
// test checks the correctness contract: the output equals sessions
// recomputed over the rows minus exactly the late ones, and each late row
// missed a window that had expired.
func TestWindowDifferential(t *testing.T) {
	policies := []struct {
		name     string
		onClose  bool
		early    bool
		lateness int64
	}{
		{"update", false, false, 0},
		{"close", true, false, 0},
		{"close-lateness", true, false, 7},
		{"close-early", true, true, 0},
		{"close-early-lateness", true, true, 4},
	}
	for _, kind := range []string{"tumble", "hop", "hop-slices", "session"} {
		for _, pol := range policies {
			for seed := int64(0); seed < 15; seed++ {
				t.Run(fmt.Sprintf("%s/%s/%d", kind, pol.name, seed), func(t *testing.T) {
					runWindowDifferential(t, rand.New(rand.NewSource(seed)), kind, pol.onClose, pol.early, pol.lateness)
				})
			}
		}
	}
}

// pushEpoch runs m through p as one epoch over st (h is the state
// handle p's operators use) and applies what comes out to view.
func pushEpoch(t *testing.T, st *state.Store, h *StateHandle, p Pipeline, m Message, view viewState) {
	t.Helper()
	b := st.NewBatch()
	h.Store = b
	out, err := p.Push(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if o.Chunk != nil {
			view.apply(t, o.Chunk)
		}
	}
}

type diffRow struct {
	ts int64
	k  string
	x  int64
}

func runWindowDifferential(t *testing.T, rng *rand.Rand, kind string, onClose, early bool, lateness int64) {
	const size, slide, gap = 10, 5, 6
	st := newTestStore(t)
	h := &StateHandle{}
	sink := &LateSink{}
	ts := types.TTimestamp
	agg := &HashAgg{Aggs: []AggSpec{{Func: "count_star", T: types.TInt8}, {Func: "sum", Arg: col(2, types.TInt8), T: types.NumericOf(0)},
		{Func: "max", Arg: col(2, types.TInt8), T: types.TInt8}},
		EmitOnClose: onClose, AllowLateness: lateness, EarlyFire: early, AppendOnlyInput: kind != "session",
		GroupsID: 20, ValuesID: 21, State: h, LateSink: sink}
	var pipe Pipeline
	switch kind {
	case "tumble":
		agg.Groups, agg.WindowGroup, agg.WindowEndDelta, agg.WindowSize = []Expr{col(3, ts), col(1, types.TText)}, 0, size, size
		pipe = Pipeline{&Tumble{TimeCol: 0, Size: size}, agg}
	case "hop":
		agg.Groups, agg.WindowGroup, agg.WindowEndDelta, agg.WindowSize = []Expr{col(3, ts), col(1, types.TText)}, 0, size, size
		pipe = Pipeline{&Hop{TimeCol: 0, Size: size, Slide: slide}, agg}
	case "hop-slices":
		// HOP computed by the aggregation itself: no late rows to route,
		// but the late count must still match.
		agg.Groups, agg.WindowGroup, agg.WindowEndDelta, agg.WindowSize = []Expr{col(3, ts), col(1, types.TText)}, 0, size, size
		agg.Hop, agg.LateSink = &HopSlices{TimeCol: 0, Size: size, Slide: slide}, nil
		pipe = Pipeline{agg}
	case "session":
		agg.Groups, agg.WindowGroup = []Expr{col(3, ts), col(4, ts), col(1, types.TText)}, 1
		pipe = Pipeline{&SessionWindow{TimeCol: 0, Keys: []int{1}, Gap: gap, AllowLateness: lateness, ID: 10, State: h, LateSink: sink}, agg}
	}
	if kind != "session" && rng.Intn(2) == 0 {
		agg.CacheGroups = 1 + rng.Intn(3) // evictions reload groups from state
	}
	view := viewState{}
	push := func(m Message) {
		pushEpoch(t, st, h, pipe, m, view)
		checkWindowIndex(t, agg, st)
	}
	// The model, for TUMBLE and HOP: accepted and late (row, window) pairs.
	type pair struct {
		r     diffRow
		start int64
	}
	var all []diffRow
	var accepted, late []pair
	windowsOf := func(tsv int64) []int64 {
		if kind == "tumble" {
			return []int64{windowing.TumbleStart(tsv, size, 0)}
		}
		return windowing.HopStarts(nil, tsv, size, slide, 0)
	}
	wm := int64(windowing.NoWatermark)
	maxSeen := int64(0)
	var pending []diffRow
	flushRows := func() {
		if len(pending) == 0 {
			return
		}
		cb := NewChunkBuilder(windowInTypes)
		for _, r := range pending {
			cb.Append(Insert, []types.Datum{types.DTimestamp(r.ts), r.k, r.x})
			all = append(all, r)
			if kind != "session" {
				for _, s := range windowsOf(r.ts) {
					if s+size+lateness <= wm {
						late = append(late, pair{r, s})
					} else {
						accepted = append(accepted, pair{r, s})
					}
				}
			}
		}
		push(Message{Chunk: cb.Build()})
		pending = pending[:0]
	}
	for step := 0; step < 200; step++ {
		switch r := rng.Intn(20); {
		case r < 14:
			// Mostly near the front, sometimes well behind it.
			tsv := maxSeen + int64(rng.Intn(6)) - 2
			if rng.Intn(5) == 0 {
				tsv = maxSeen - int64(rng.Intn(30))
			}
			maxSeen = max(maxSeen, tsv)
			pending = append(pending, diffRow{ts: tsv, k: []string{"a", "b", "c"}[rng.Intn(3)], x: int64(step)})
			if rng.Intn(4) == 0 {
				flushRows()
			}
		case r < 18:
			flushRows()
			if next := maxSeen - int64(rng.Intn(5)); next > wm {
				wm = next
				w := wm
				push(Message{Watermark: &w})
			}
		default:
			flushRows()
			push(Message{Fire: true})
		}
	}
	flushRows()
	push(Message{Fire: true})

	// What the view must hold: windows over the accepted rows; under EMIT
	// ON WINDOW CLOSE only closed ones, unless early firings show the open
	// ones too (the last firing came after the last row).
	type group struct {
		n, sum, hi int64
	}
	groups := map[[2]int64]map[string]*group{}
	add := func(start, end int64, r diffRow) {
		w := [2]int64{start, end}
		if groups[w] == nil {
			groups[w] = map[string]*group{}
		}
		g := groups[w][r.k]
		if g == nil {
			g = &group{hi: r.x}
			groups[w][r.k] = g
		}
		g.n++
		g.sum += r.x
		g.hi = max(g.hi, r.x)
	}
	if kind == "session" {
		lateX := map[int64]bool{}
		for _, l := range sink.Rows {
			if l.Window.End+lateness > wm {
				t.Errorf("row %v was called late, but its window %v had not expired at watermark %d", l.Row, l.Window, wm)
			}
			lateX[l.Row[2].(int64)] = true
		}
		byKey := map[string][]diffRow{}
		for _, r := range all {
			if !lateX[r.x] {
				byKey[r.k] = append(byKey[r.k], r)
			}
		}
		for _, rows := range byKey {
			sort.Slice(rows, func(i, j int) bool { return rows[i].ts < rows[j].ts })
			// Naively: consecutive rows at most gap apart share a session.
			for i := 0; i < len(rows); {
				j := i + 1
				for j < len(rows) && rows[j].ts-rows[j-1].ts <= gap {
					j++
				}
				for _, r := range rows[i:j] {
					add(rows[i].ts, rows[j-1].ts+gap, r)
				}
				i = j
			}
		}
	} else {
		for _, p := range accepted {
			add(p.start, p.start+size, p.r)
		}
		var want, got []string
		for _, p := range late {
			want = append(want, fmt.Sprintf("[%d, %d) %d", p.start, p.start+size, p.r.x))
		}
		for _, l := range sink.Rows {
			got = append(got, fmt.Sprintf("[%d, %d) %d", l.Window.Start, l.Window.End, l.Row[2].(int64)))
		}
		sort.Strings(want)
		sort.Strings(got)
		if kind != "hop-slices" && strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("late rows differ\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	want := viewState{}
	for w, byKey := range groups {
		if onClose && !early && w[1] > wm {
			continue
		}
		for k, g := range byKey {
			var row string
			if kind == "session" {
				row = fmt.Sprintf("%d %d %s %d %d %d", w[0], w[1], k, g.n, g.sum, g.hi)
			} else {
				row = fmt.Sprintf("%d %s %d %d %d", w[0], k, g.n, g.sum, g.hi)
			}
			want[row]++
		}
	}
	if got, exp := view.String(), want.String(); got != exp {
		t.Fatalf("view differs from the recomputation (watermark %d)\ngot:\n%s\nwant:\n%s", wm, got, exp)
	}
	if n := agg.Late; kind != "session" && n != int64(len(late)) {
		t.Errorf("late count %d, want %d", n, len(late))
	}
}
