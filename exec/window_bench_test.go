package exec

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// Benchmarks of windowed aggregation: count(*) per (window, key) over a
// stream of events with 1000 keys, event time advancing 1 ms per event
// with some disorder, in chunks of 4096 (one epoch each: the state batch
// commits per chunk, as the runtime does), the watermark 1 s behind the
// largest event time. Each reports the operators' events/s (one
// goroutine: per core) and, over the same events in the same run, a
// hand-written Go loop's (a map per window, purged at the watermark).

const (
	benchChunk = 4096
	benchKeys  = 1000
)

type benchEvents struct {
	ts   []int64
	keys []string
}

func makeBenchEvents(n int) benchEvents {
	rng := rand.New(rand.NewSource(1))
	ev := benchEvents{ts: make([]int64, n), keys: make([]string, n)}
	names := make([]string, benchKeys)
	for i := range names {
		names[i] = fmt.Sprintf("key%04d", i)
	}
	for i := 0; i < n; i++ {
		ev.ts[i] = int64(i)*1000 - int64(rng.Intn(500_000))
		ev.keys[i] = names[rng.Intn(benchKeys)]
	}
	return ev
}

// windowKind is how a benchmark assigns windows.
type windowKind int

const (
	tumbleWindows windowKind = iota
	hopWindows               // HOP, then the aggregation
	hopSlices                // the aggregation over HOP slices (views' plan)
)

// windowPipeline is Tumble or Hop, then a count per (window_start, key),
// or that count over HOP slices.
func windowPipeline(h *StateHandle, kind windowKind, onClose bool, size, slide int64) Pipeline {
	agg := &HashAgg{Groups: []Expr{col(3, types.TTimestamp), col(1, types.TText)}, Aggs: []AggSpec{{Func: "count_star", T: types.TInt8}},
		WindowGroup: 0, WindowEndDelta: size, WindowSize: size, EmitOnClose: onClose, AppendOnlyInput: true, GroupsID: 20, ValuesID: 21, State: h}
	switch kind {
	case hopWindows:
		return Pipeline{&Hop{TimeCol: 0, Size: size, Slide: slide}, agg}
	case hopSlices:
		agg.Hop = &HopSlices{TimeCol: 0, Size: size, Slide: slide}
		return Pipeline{agg}
	}
	return Pipeline{&Tumble{TimeCol: 0, Size: size}, agg}
}

// benchChunks cuts events [from, to) into input chunks, with the
// watermark after each.
func benchChunks(ev benchEvents, from, to int) ([]*Chunk, []int64) {
	var cs []*Chunk
	var wms []int64
	maxTs := int64(windowing.NoWatermark)
	for i := from; i < to; i += benchChunk {
		end := min(i+benchChunk, to)
		cb := NewChunkBuilder(windowInTypes)
		for j := i; j < end; j++ {
			cb.Append(Insert, []types.Datum{types.DTimestamp(ev.ts[j]), ev.keys[j], int64(j)})
			maxTs = max(maxTs, ev.ts[j])
		}
		cs = append(cs, cb.Build())
		wms = append(wms, maxTs-1_000_000)
	}
	return cs, wms
}

// runWindowBench pushes chunks through p, one epoch each: the chunk, the
// watermark, the commit.
func runWindowBench(b *testing.B, st *state.Store, h *StateHandle, p Pipeline, cs []*Chunk, wms []int64) {
	for i, c := range cs {
		batch := st.NewBatch()
		h.Store = batch
		if _, err := p.Push(Message{Chunk: c}); err != nil {
			b.Fatal(err)
		}
		wm := wms[i]
		if _, err := p.Push(Message{Watermark: &wm}); err != nil {
			b.Fatal(err)
		}
		if err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// handLoop computes the same counts with plain Go maps.
func handLoop(ev benchEvents, size, slide int64) int {
	type gk struct {
		start int64
		key   string
	}
	counts := map[gk]int64{}
	emitted := 0
	maxTs := int64(windowing.NoWatermark)
	var starts []int64
	for i := 0; i < len(ev.ts); i += benchChunk {
		end := min(i+benchChunk, len(ev.ts))
		for j := i; j < end; j++ {
			starts = windowing.HopStarts(starts[:0], ev.ts[j], size, slide, 0)
			for _, s := range starts {
				counts[gk{s, ev.keys[j]}]++
			}
			maxTs = max(maxTs, ev.ts[j])
		}
		wm := maxTs - 1_000_000
		for k := range counts {
			if k.start+size <= wm {
				emitted++
				delete(counts, k)
			}
		}
	}
	return emitted
}

func stateBytes(st *state.Store, ids ...uint32) int64 {
	var n int64
	for _, id := range ids {
		st.Scan(id, nil, func(k, v []byte) error {
			n += int64(len(k) + len(v))
			return nil
		})
	}
	return n
}

func openBenchStore(b *testing.B) *state.Store {
	st, err := state.Open(state.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func benchWindowAgg(b *testing.B, kind windowKind, onClose bool) {
	const size, slide = 10_000_000, 2_000_000 // 10 s windows; HOP every 2 s
	ev := makeBenchEvents(b.N)
	cs, wms := benchChunks(ev, 0, b.N)
	st := openBenchStore(b)
	h := &StateHandle{}
	p := windowPipeline(h, kind, onClose, size, slide)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	runWindowBench(b, st, h, p, cs, wms)
	opSecs := time.Since(start).Seconds()
	b.StopTimer()
	loopStart := time.Now()
	sl := int64(size)
	if kind != tumbleWindows {
		sl = slide
	}
	handLoop(ev, size, sl)
	loopSecs := time.Since(loopStart).Seconds()
	b.ReportMetric(float64(b.N)/opSecs, "events/s")
	b.ReportMetric(float64(b.N)/loopSecs, "loop-events/s")
}

func BenchmarkTumbleCount(b *testing.B)         { benchWindowAgg(b, tumbleWindows, false) }
func BenchmarkTumbleCountClose(b *testing.B)    { benchWindowAgg(b, tumbleWindows, true) }
func BenchmarkHopCount(b *testing.B)            { benchWindowAgg(b, hopWindows, false) }
func BenchmarkHopCountClose(b *testing.B)       { benchWindowAgg(b, hopWindows, true) }
func BenchmarkHopSlicesCount(b *testing.B)      { benchWindowAgg(b, hopSlices, false) }
func BenchmarkHopSlicesCountClose(b *testing.B) { benchWindowAgg(b, hopSlices, true) }

// BenchmarkWindowStateFlat runs a TUMBLE count over 10 million events
// and reports the operator's state bytes after 1, 5 and 10 million: the
// watermark purges closed windows, so state stays flat. Run it with
// -benchtime=1x.
func BenchmarkWindowStateFlat(b *testing.B) {
	const total = 10_000_000
	ev := makeBenchEvents(total)
	for i := 0; i < b.N; i++ {
		st := openBenchStore(b)
		h := &StateHandle{}
		p := windowPipeline(h, tumbleWindows, false, 10_000_000, 10_000_000)
		done := 0
		for _, at := range []int{1_000_000, 5_000_000, 10_000_000} {
			cs, wms := benchChunks(ev, done, at)
			runWindowBench(b, st, h, p, cs, wms)
			done = at
			b.ReportMetric(float64(stateBytes(st, 20, 21)), fmt.Sprintf("stateB@%dM", at/1_000_000))
		}
	}
}
