package exec

import (
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// Tumble assigns each row to its tumbling window, appending window_start
// and window_end: start = floor((ts - offset) / size) * size + offset.
// Rows with a NULL time belong to no window and are dropped.
type Tumble struct {
	TimeCol      int
	Size, Offset int64 // microseconds
}

// Process implements Operator.
func (w *Tumble) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	if ts, ok := timeValues(c, w.TimeCol); ok {
		return []Message{{Chunk: withWindowCols(c, ts, w.Size, func(t int64) int64 { return windowing.TumbleStart(t, w.Size, w.Offset) })}}, nil
	}
	// NULL times: rows in no window are dropped, row by row.
	outTypes := append(append([]types.Type(nil), c.Types...), types.TTimestamp, types.TTimestamp)
	out := NewChunkBuilder(outTypes)
	row := make([]types.Datum, 0, len(outTypes))
	for i := 0; i < c.Len(); i++ {
		row = c.Row(i, row)
		ts := row[w.TimeCol]
		if ts == nil {
			continue
		}
		s := windowing.TumbleStart(int64(ts.(types.DTimestamp)), w.Size, w.Offset)
		row = append(row, types.DTimestamp(s), types.DTimestamp(s+w.Size))
		out.Append(c.Ops[i], row)
	}
	if oc := out.Build(); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}
