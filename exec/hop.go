package exec

import (
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// Hop assigns each row to every HOP window holding it, appending
// window_start and window_end: a row is emitted once per window, Size/Slide
// times, with its op (a retraction retracts every copy). Rows with a NULL
// time belong to no window and are dropped.
type Hop struct {
	TimeCol             int
	Size, Slide, Offset int64 // microseconds

	starts []int64
}

// Process implements Operator.
func (w *Hop) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	if ts, ok := timeValues(c, w.TimeCol); ok {
		// Every row is in size/slide windows: one block of rows per
		// window rank, each the input with its window bounds, concatenated
		// into one chunk so the aggregation pre-aggregates all of it.
		k := w.Size / w.Slide
		parts := make([]*Chunk, 0, k)
		for j := k - 1; j >= 0; j-- {
			back := j * w.Slide
			parts = append(parts, withWindowCols(c, ts, w.Size, func(t int64) int64 {
				return windowing.TumbleStart(t, w.Slide, w.Offset) - back
			}))
		}
		oc, err := concatChunks(parts)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			return nil, err
		}
		return []Message{{Chunk: oc}}, nil
	}
	// NULL times: rows in no window are dropped, row by row.
	outTypes := append(append([]types.Type(nil), c.Types...), types.TTimestamp, types.TTimestamp)
	out := NewChunkBuilder(outTypes)
	row := make([]types.Datum, 0, len(outTypes))
	n := len(c.Types)
	for i := 0; i < c.Len(); i++ {
		row = c.Row(i, row)
		ts := row[w.TimeCol]
		if ts == nil {
			continue
		}
		w.starts = windowing.HopStarts(w.starts[:0], int64(ts.(types.DTimestamp)), w.Size, w.Slide, w.Offset)
		// Earliest window first, so output is ordered by window per row.
		for j := len(w.starts) - 1; j >= 0; j-- {
			s := w.starts[j]
			row = append(row[:n], types.DTimestamp(s), types.DTimestamp(s+w.Size))
			out.Append(c.Ops[i], row)
		}
	}
	if oc := out.Build(); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}
