package exec

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/weir-db/weir/types"
)

// withWindowCols returns c's rows with window_start and window_end
// columns appended, computed from the time column's values by start; the
// input columns are shared, not copied. The time column must hold no
// NULLs.
func withWindowCols(c *Chunk, ts []arrow.Timestamp, size int64, start func(ts int64) int64) *Chunk {
	return withSpans(c, func(i int) (int64, int64) {
		s := start(int64(ts[i]))
		return s, s + size
	})
}

// withSpans returns c's rows with window_start and window_end columns
// appended, row i's from span(i); the input columns are shared.
func withSpans(c *Chunk, span func(i int) (start, end int64)) *Chunk {
	n := c.Len()
	sb := array.NewTimestampBuilder(memory.DefaultAllocator, arrow.FixedWidthTypes.Timestamp_us.(*arrow.TimestampType))
	eb := array.NewTimestampBuilder(memory.DefaultAllocator, arrow.FixedWidthTypes.Timestamp_us.(*arrow.TimestampType))
	defer sb.Release()
	defer eb.Release()
	sb.Reserve(n)
	eb.Reserve(n)
	for i := 0; i < n; i++ {
		s, e := span(i)
		sb.UnsafeAppend(arrow.Timestamp(s))
		eb.UnsafeAppend(arrow.Timestamp(e))
	}
	cols := make([]arrow.Array, 0, len(c.Types)+2)
	fields := make([]arrow.Field, 0, len(c.Types)+2)
	for i := range c.Types {
		cols = append(cols, c.Rec.Column(i))
		fields = append(fields, c.Rec.Schema().Field(i))
	}
	ws, we := sb.NewArray(), eb.NewArray()
	defer ws.Release()
	defer we.Release()
	cols = append(cols, ws, we)
	tsField := arrow.Field{Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true}
	tsField.Name = "c" + itoa(len(c.Types))
	fields = append(fields, tsField)
	tsField.Name = "c" + itoa(len(c.Types)+1)
	fields = append(fields, tsField)
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(n))
	outTypes := append(append(make([]types.Type, 0, len(c.Types)+2), c.Types...), types.TTimestamp, types.TTimestamp)
	return &Chunk{Types: outTypes, Rec: rec, Ops: c.Ops}
}

// timeValues returns the time column's values when it has no NULLs.
func timeValues(c *Chunk, col int) ([]arrow.Timestamp, bool) {
	a, ok := c.Rec.Column(col).(*array.Timestamp)
	if !ok || a.NullN() > 0 {
		return nil, false
	}
	return a.TimestampValues(), true
}
