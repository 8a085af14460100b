package exec

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// TestWindowOperators runs the scripts in testdata/windows. Each script
// starts with a setup naming an operator chain over input rows (ts
// timestamp, k text, x bigint); commands then push chunks in the chunk
// notation, watermarks and timer firings, and print what comes out.
//
//	setup tumble size=10 [slide=5] [gap=10] [emit=close] [lateness=N] [early]
//	push          rows in; prints the output changes
//	watermark N   prints the output changes
//	fire          the runtime's EARLY EVERY timer; prints the output changes
//	view          the multiset the output changelog has built so far
//	late          late rows counted, and those handed to the late sink
//	state         the number of state entries (watermarks and counters aside)
//
// Every script runs with input batches of the whole chunk (whose output
// the script records), of 1 row and of 3 rows; for the small batches the
// test checks that the view after every command equals the whole-chunk
// run's and that every changelog keeps its invariants.
func TestWindowOperators(t *testing.T) {
	datadriven.Walk(t, filepath.Join("testdata", "windows"), func(t *testing.T, path string) {
		var views []string
		runWindowScript(t, path, 0, &views, true)
		for _, batch := range []int{1, 3} {
			t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
				runWindowScript(t, path, batch, &views, false)
			})
		}
	})
}

var windowInTypes = []types.Type{types.TTimestamp, types.TText, types.TInt8}

// windowHarness is one script run's operators and what they emitted.
type windowHarness struct {
	st    *state.Store
	h     *StateHandle
	pipe  Pipeline
	sink  *LateSink
	view  viewState
	ids   []uint32
	batch int
}

func col(i int, t types.Type) Expr { return &ColRef{Idx: i, T: t} }

func newWindowHarness(t *testing.T, d *datadriven.TestData, batch int) *windowHarness {
	w := &windowHarness{st: newTestStore(t), h: &StateHandle{}, sink: &LateSink{}, view: viewState{}, batch: batch}
	arg := func(name string, def int64) int64 {
		if !d.HasArg(name) {
			return def
		}
		var s string
		d.ScanArgs(t, name, &s)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s: bad %s", d.Pos, name)
		}
		return n
	}
	kind := d.CmdArgs[0].Key
	size, slide, gap := arg("size", 10), arg("slide", 5), arg("gap", 10)
	lateness := arg("lateness", 0)
	onClose := false
	if d.HasArg("emit") {
		var e string
		d.ScanArgs(t, "emit", &e)
		onClose = e == "close"
	}
	ts := types.TTimestamp
	aggs := func() []AggSpec {
		return []AggSpec{{Func: "count_star", T: types.TInt8}, {Func: "sum", Arg: col(2, types.TInt8), T: types.NumericOf(0)}}
	}
	windowAgg := func(groups []Expr, wg int, delta, size int64) *HashAgg {
		w.ids = append(w.ids, 20, 21)
		return &HashAgg{Groups: groups, Aggs: aggs(), WindowGroup: wg, WindowEndDelta: delta, WindowSize: size,
			EmitOnClose: onClose, AllowLateness: lateness, EarlyFire: d.HasArg("early"), AppendOnlyInput: !d.HasArg("retracting"),
			GroupsID: 20, ValuesID: 21, State: w.h, LateSink: w.sink}
	}
	switch kind {
	case "tumble":
		w.pipe = Pipeline{&Tumble{TimeCol: 0, Size: size},
			windowAgg([]Expr{col(3, ts), col(1, types.TText)}, 0, size, size)}
	case "hop":
		w.pipe = Pipeline{&Hop{TimeCol: 0, Size: size, Slide: slide},
			windowAgg([]Expr{col(3, ts), col(1, types.TText)}, 0, size, size)}
	case "session":
		w.ids = append(w.ids, 10)
		sw := &SessionWindow{TimeCol: 0, Keys: []int{1}, Gap: gap, AllowLateness: lateness, ID: 10, State: w.h, LateSink: w.sink}
		agg := windowAgg([]Expr{col(3, ts), col(4, ts), col(1, types.TText)}, 1, 0, 0)
		agg.AppendOnlyInput = false
		w.pipe = Pipeline{sw, agg}
	case "session-rows":
		w.ids = append(w.ids, 10)
		w.pipe = Pipeline{&SessionWindow{TimeCol: 0, Keys: []int{1}, Gap: gap, AllowLateness: lateness, ID: 10, State: w.h, LateSink: w.sink}}
	case "agg":
		w.ids = append(w.ids, 20, 21)
		x := col(2, types.TInt8)
		w.pipe = Pipeline{&HashAgg{Groups: []Expr{col(1, types.TText)}, WindowGroup: -1, GroupsID: 20, ValuesID: 21, State: w.h,
			AppendOnlyInput: !d.HasArg("retracting"),
			Aggs: []AggSpec{
				{Func: "count_star", T: types.TInt8},
				{Func: "count", Arg: x, T: types.TInt8},
				{Func: "sum", Arg: x, T: types.NumericOf(0)},
				{Func: "min", Arg: x, T: types.TInt8},
				{Func: "max", Arg: x, T: types.TInt8},
				{Func: "count", Arg: x, Distinct: true, T: types.TInt8},
				{Func: "sum", Arg: x, Distinct: true, T: types.NumericOf(0)},
				{Func: "count_star", Filter: &Call{Func: ">", Args: []Expr{x, &Const{V: int64(5), T: types.TInt8}}, T: types.TBool}, T: types.TInt8},
				{Func: "avg", Arg: x, T: types.NumericOf(0)},
			}}}
	default:
		t.Fatalf("%s: unknown setup %s", d.Pos, kind)
	}
	return w
}

// push runs one message through the pipeline in its own committed batch.
func (w *windowHarness) push(t *testing.T, m Message) string {
	b := w.st.NewBatch()
	w.h.Store = b
	out, err := w.pipe.Push(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	var s strings.Builder
	for _, o := range out {
		if o.Chunk != nil {
			w.view.apply(t, o.Chunk)
			s.WriteString(formatChunk(o.Chunk))
		}
	}
	return s.String()
}

func runWindowScript(t *testing.T, path string, batch int, views *[]string, record bool) {
	var w *windowHarness
	step := 0
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		var out string
		switch d.Cmd {
		case "setup":
			w = newWindowHarness(t, d, batch)
		case "push":
			rows := parseChunkText(t, windowInTypes, d.Input)
			for len(rows) > 0 {
				n := len(rows)
				if batch > 0 && batch < n {
					n = batch
					if rows[n-1].op == UpdateDelete {
						n++ // keep an update pair in one chunk
					}
				}
				out += w.push(t, Message{Chunk: buildChunk(windowInTypes, rows[:n])})
				rows = rows[n:]
			}
		case "watermark":
			n, err := strconv.ParseInt(d.CmdArgs[0].Key, 10, 64)
			if err != nil {
				t.Fatalf("%s: bad watermark", d.Pos)
			}
			out = w.push(t, Message{Watermark: &n})
		case "fire":
			out = w.push(t, Message{Fire: true})
		case "view":
			out = w.view.String() + "\n"
		case "late":
			var n int64
			for _, op := range w.pipe {
				switch o := op.(type) {
				case *HashAgg:
					n += o.Late
				case *SessionWindow:
					n += o.Late
				}
			}
			var lines []string
			for _, r := range w.sink.Rows {
				lines = append(lines, fmt.Sprintf("[%d, %d) %s\n", r.Window.Start, r.Window.End, formatRow(windowInTypes, r.Row[:3])))
			}
			sort.Strings(lines)
			out = fmt.Sprintf("late %d\n", n) + strings.Join(lines, "")
		case "state":
			n := 0
			for _, id := range w.ids {
				w.st.Scan(id, nil, func(k, _ []byte) error {
					if k[0] != 0xff {
						n++
					}
					return nil
				})
			}
			out = fmt.Sprintf("%d entries\n", n)
		default:
			t.Fatalf("%s: unknown command %s", d.Pos, d.Cmd)
		}
		if record {
			*views = append(*views, w.view.String())
		} else {
			if step >= len(*views) {
				t.Fatalf("%s: more commands than the recorded run", d.Pos)
			}
			if got, want := w.view.String(), (*views)[step]; got != want && d.Cmd != "late" && d.Cmd != "state" {
				t.Errorf("%s: with batches of %d the view differs from whole chunks\ngot:\n%s\nwant:\n%s", d.Pos, batch, got, want)
			}
		}
		step++
		if !record {
			if d.Cmd == "late" || d.Cmd == "state" {
				// Late rows and state do not depend on batching.
				return out
			}
			return d.Expected
		}
		return out
	})
}
