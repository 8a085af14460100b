package exec

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
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
	// Keep marks the output columns read downstream (nil: all); the
	// others are NULL, so a row's copies copy only what is read.
	Keep []bool

	starts []int64
}

func (w *Hop) keep(i int) bool { return w.Keep == nil || i >= len(w.Keep) || w.Keep[i] }

// Process implements Operator.
func (w *Hop) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	if ts, ok := timeValues(c, w.TimeCol); ok {
		oc, err := w.copies(c, ts)
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

// copies is Process for a chunk whose rows all have a time: every row is
// in size/slide windows, so the output is one block of rows per window
// rank, earliest window first, each the input with its window bounds, in
// one chunk so the aggregation pre-aggregates all of it.
func (w *Hop) copies(c *Chunk, ts []arrow.Timestamp) (*Chunk, error) {
	n, k, in := c.Len(), int(w.Size/w.Slide), len(c.Types)
	total := n * k
	cols := make([]arrow.Array, in+2)
	defer func() {
		for _, a := range cols {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i := 0; i < in; i++ {
		a := c.Rec.Column(i)
		if !w.keep(i) || a.NullN() == a.Len() {
			cols[i] = nullColumn(a.DataType(), total)
			continue
		}
		parts := make([]arrow.Array, k)
		for j := range parts {
			parts[j] = a
		}
		var err error
		if cols[i], err = array.Concatenate(parts, memory.DefaultAllocator); err != nil {
			return nil, err
		}
	}
	tsType := arrow.FixedWidthTypes.Timestamp_us
	for b, end := range []int64{0, w.Size} {
		if !w.keep(in + b) {
			cols[in+b] = nullColumn(tsType, total)
			continue
		}
		tb := array.NewTimestampBuilder(memory.DefaultAllocator, tsType.(*arrow.TimestampType))
		tb.Reserve(total)
		for j := k - 1; j >= 0; j-- {
			back := int64(j)*w.Slide - end
			for _, t := range ts[:n] {
				tb.UnsafeAppend(arrow.Timestamp(windowing.TumbleStart(int64(t), w.Slide, w.Offset) - back))
			}
		}
		cols[in+b] = tb.NewArray()
		tb.Release()
	}
	fields := make([]arrow.Field, in+2)
	for i := range fields {
		fields[i] = arrow.Field{Name: "c" + itoa(i), Type: cols[i].DataType(), Nullable: true}
	}
	ops := make([]Op, 0, total)
	for j := 0; j < k; j++ {
		ops = append(ops, c.Ops...)
	}
	outTypes := append(append(make([]types.Type, 0, in+2), c.Types...), types.TTimestamp, types.TTimestamp)
	return &Chunk{Types: outTypes, Rec: array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(total)), Ops: ops}, nil
}
