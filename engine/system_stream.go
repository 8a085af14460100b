package engine

import (
	"encoding/binary"
	"sort"
	"strings"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// weir_catalog.watermarks and weir_catalog.view_operators: event time and
// lateness as psql sees them. Both read what the dataflows committed, so
// they agree with the views' rows.
func init() {
	registerSystemTable(&systemTable{
		name: "weir_catalog.watermarks", oid: 16201,
		cols: cols("name", types.TText, "kind", types.TText, "source", types.TText, "partition", types.TInt4,
			"max_event_time", types.TTimestamp, "watermark", types.TTimestamp),
		rows: watermarkRows,
	})
	registerSystemTable(&systemTable{
		name: "weir_catalog.view_operators", oid: 16202,
		cols: cols("view_name", types.TText, "operator_id", types.TInt4, "operator", types.TText, "late_rows", types.TInt8,
			"watermark", types.TTimestamp, "state_bytes", types.TInt8, "late_rows_into", types.TText),
		rows: viewOperatorRows,
	})
}

// flowsByName lists the running dataflows by view name.
func (e *Engine) flowsByName() []*dataflow {
	e.mu.Lock()
	out := make([]*dataflow, 0, len(e.flows))
	for _, f := range e.flows {
		out = append(out, f)
	}
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].view.Name < out[j].view.Name })
	return out
}

func timeDatum(t int64, ok bool) types.Datum {
	if !ok || t == windowing.NoWatermark {
		return nil
	}
	return types.DTimestamp(t)
}

// committedWatermark is the watermark a view last committed.
func (f *dataflow) committedWatermark() (int64, bool, error) {
	if f.plan.ProcTimeWatermark {
		best, ok := int64(windowing.NoWatermark), false
		for _, op := range f.ops {
			if op.counters != 0 {
				_, wm, err := f.readCounters(op.counters)
				if err != nil {
					return 0, false, err
				}
				best, ok = max(best, wm), ok || wm != windowing.NoWatermark
			}
		}
		return best, ok, nil
	}
	// The view's watermark is the least of its timed sources'.
	least, ok := int64(0), false
	for _, src := range f.sources {
		if src.tracker == nil {
			continue
		}
		wm, has := f.sourceWatermark(src)
		if !has {
			return 0, false, nil
		}
		if !ok || wm < least {
			least, ok = wm, true
		}
	}
	return least, ok, nil
}

// sourceWatermark is the watermark a view last committed for one source.
func (f *dataflow) sourceWatermark(src *flowSource) (int64, bool) {
	v, err := f.e.st.Get(progressTable, watermarkKey(f.view.ID, src.index))
	if err != nil {
		return 0, false
	}
	wm, n := binary.Varint(v)
	return wm, n > 0
}

// committedEventTime is the largest event time a view has committed from
// partition p of a source.
func (f *dataflow) committedEventTime(src *flowSource, p int) (int64, bool) {
	v, err := f.e.st.Get(progressTable, eventTimeKey(f.view.ID, src.index, p))
	if err != nil || len(v) != 8 {
		return 0, false
	}
	t := int64(binary.BigEndian.Uint64(v))
	return t, t != windowing.NoWatermark
}

// watermarkRows: per stream with a WATERMARK, one row per partition and
// one for the stream (the furthest any view reading it has got); per view
// over one, its own watermark.
func watermarkRows(sc *systemCtx) ([][]types.Datum, error) {
	flows := sc.e.flowsByName()
	var out [][]types.Datum
	for _, o := range sc.objects {
		if o.Kind != sql.RelStream || o.WatermarkCol < 0 {
			continue
		}
		n := max(o.Partitions, 1)
		maxSeen := make([]int64, n)
		seen := make([]bool, n)
		streamWM, hasWM := int64(windowing.NoWatermark), false
		for _, f := range flows {
			for _, src := range f.sources {
				if src.obj.Name != o.Name {
					continue
				}
				for p := 0; p < n; p++ {
					if t, ok := f.committedEventTime(src, p); ok && (!seen[p] || t > maxSeen[p]) {
						maxSeen[p], seen[p] = t, true
					}
				}
				if !f.plan.ProcTimeWatermark {
					if wm, ok := f.sourceWatermark(src); ok && wm > streamWM {
						streamWM, hasWM = wm, true
					}
				}
			}
		}
		all, allSeen := int64(windowing.NoWatermark), false
		for p := 0; p < n; p++ {
			out = append(out, []types.Datum{o.Name, "stream partition", nil, int64(p),
				timeDatum(maxSeen[p], seen[p]), timeDatum(maxSeen[p]-o.WatermarkDelay, seen[p])})
			if seen[p] {
				all, allSeen = max(all, maxSeen[p]), true
			}
		}
		out = append(out, []types.Datum{o.Name, "stream", nil, nil, timeDatum(all, allSeen), timeDatum(streamWM, hasWM)})
	}
	for _, f := range flows {
		wm, ok, err := f.committedWatermark()
		if err != nil {
			return nil, err
		}
		timed := false
		var names []string
		all, allSeen := int64(windowing.NoWatermark), false
		for _, src := range f.sources {
			names = append(names, src.obj.Name)
			timed = timed || src.tracker != nil
			for p := range src.offsets {
				if t, ok := f.committedEventTime(src, p); ok {
					all, allSeen = max(all, t), true
				}
			}
		}
		if !ok && !timed && !f.plan.ProcTimeWatermark {
			continue
		}
		kind := "materialized view"
		if f.plan.ProcTimeWatermark {
			kind = "materialized view (processing time)"
		}
		out = append(out, []types.Datum{f.view.Name, kind, strings.Join(names, ", "), nil, timeDatum(all, allSeen), timeDatum(wm, ok)})
	}
	return out, nil
}

// viewOperatorRows: one row per operator of each running view, source
// side first, then the view's own rows.
func viewOperatorRows(sc *systemCtx) ([][]types.Datum, error) {
	var out [][]types.Datum
	for _, f := range sc.e.flowsByName() {
		var into types.Datum
		if f.plan.Late != nil {
			into = f.plan.Late.Into
		}
		for i, op := range f.ops {
			var late, wm types.Datum
			if op.counters != 0 {
				l, w, err := f.readCounters(op.counters)
				if err != nil {
					return nil, err
				}
				wm = timeDatum(w, true)
				if op.window {
					late = l
				}
			}
			var lateInto types.Datum
			if op.window {
				lateInto = into
			}
			bytes, err := sc.e.stateBytes(op.ids...)
			if err != nil {
				return nil, err
			}
			out = append(out, []types.Datum{f.view.Name, int64(i), op.name, late, wm, bytes, lateInto})
		}
		bytes, err := sc.e.stateBytes(f.view.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, []types.Datum{f.view.Name, int64(len(f.ops)), "Materialize", nil, nil, bytes, nil})
	}
	return out, nil
}

// stateBytes sums the keys and values of state tables.
func (e *Engine) stateBytes(ids ...uint32) (int64, error) {
	var n int64
	for _, id := range ids {
		if err := e.st.Scan(id, nil, func(k, v []byte) error {
			n += int64(len(k) + len(v))
			return nil
		}); err != nil {
			return 0, err
		}
	}
	return n, nil
}
