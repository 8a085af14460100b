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
	n := c.Len()
	sb := array.NewTimestampBuilder(memory.DefaultAllocator, arrow.FixedWidthTypes.Timestamp_us.(*arrow.TimestampType))
	eb := array.NewTimestampBuilder(memory.DefaultAllocator, arrow.FixedWidthTypes.Timestamp_us.(*arrow.TimestampType))
	defer sb.Release()
	defer eb.Release()
	sb.Reserve(n)
	eb.Reserve(n)
	for _, t := range ts[:n] {
		s := start(int64(t))
		sb.UnsafeAppend(arrow.Timestamp(s))
		eb.UnsafeAppend(arrow.Timestamp(s + size))
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

// concatChunks joins chunks of the same schema into one.
func concatChunks(cs []*Chunk) (*Chunk, error) {
	if len(cs) == 1 {
		cs[0].Rec.Retain()
		return &Chunk{Types: cs[0].Types, Rec: cs[0].Rec, Ops: cs[0].Ops}, nil
	}
	ncols := len(cs[0].Types)
	cols := make([]arrow.Array, ncols)
	var ops []Op
	for _, c := range cs {
		ops = append(ops, c.Ops...)
	}
	for i := 0; i < ncols; i++ {
		parts := make([]arrow.Array, len(cs))
		nulls := true
		for j, c := range cs {
			parts[j] = c.Rec.Column(i)
			nulls = nulls && parts[j].NullN() == parts[j].Len()
		}
		if nulls {
			// A column the query does not read travels as NULLs.
			cols[i] = nullColumn(parts[0].DataType(), len(ops))
			continue
		}
		a, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			for _, done := range cols[:i] {
				done.Release()
			}
			return nil, err
		}
		cols[i] = a
	}
	rec := array.NewRecord(cs[0].Rec.Schema(), cols, int64(len(ops)))
	for _, a := range cols {
		a.Release()
	}
	return &Chunk{Types: cs[0].Types, Rec: rec, Ops: ops}, nil
}
