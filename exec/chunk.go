package exec

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/weir-db/weir/types"
)

// Op is a row's change kind.
type Op uint8

// Changelog ops. An UpdateDelete is always immediately followed by its
// UpdateInsert.
const (
	Insert Op = iota
	Delete
	UpdateDelete
	UpdateInsert
)

func (o Op) String() string { return [...]string{"+", "-", "U-", "U+"}[o] }

// Sign is +1 for ops that add a row, -1 for ops that remove one.
func (o Op) Sign() int64 {
	if o == Insert || o == UpdateInsert {
		return 1
	}
	return -1
}

// Chunk is a batch of changes: Arrow columns plus one op per row.
// Ownership: a chunk passed to an operator is borrowed for the call.
type Chunk struct {
	Types []types.Type
	Rec   arrow.Record
	Ops   []Op
}

// Len is the number of rows.
func (c *Chunk) Len() int { return len(c.Ops) }

// Row reads row i as datums into buf.
func (c *Chunk) Row(i int, buf []types.Datum) []types.Datum {
	buf = buf[:0]
	for j, t := range c.Types {
		buf = append(buf, types.GetDatum(c.Rec.Column(j), t, i))
	}
	return buf
}

// Release frees the chunk's Arrow memory.
func (c *Chunk) Release() {
	if c.Rec != nil {
		c.Rec.Release()
	}
}

// ChunkBuilder accumulates rows into a chunk.
type ChunkBuilder struct {
	types []types.Type
	b     *array.RecordBuilder
	ops   []Op
	// skip marks the columns AppendEncoded leaves out (not kept): they
	// are made NULL at Build, in one allocation each, and the builders
	// given to the decoder for them are nil.
	skip     []bool
	encoders []array.Builder
	// nulls counts, per column, the NULLs Append has seen while the
	// column held nothing else: they are appended only when a value
	// arrives, and a column that stays NULL is made at Build from a
	// shared all-NULL array. -1: the column's builder holds its rows.
	// Unread columns travel as NULLs through joins and projections, so
	// most of a wide row's columns never fill a buffer.
	nulls []int
	hint  int   // rows a column's builder reserves when it starts to fill
	data  []int // bytes of values a variable-width column's builder reserves then
}

// NewChunkBuilder makes a builder for rows of the given types.
func NewChunkBuilder(ts []types.Type) *ChunkBuilder {
	fields := make([]arrow.Field, len(ts))
	for i, t := range ts {
		fields[i] = arrow.Field{Name: "c" + itoa(i), Type: t.ArrowType(), Nullable: true}
	}
	return &ChunkBuilder{types: ts, b: array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))}
}

// Append adds one row with its op.
func (cb *ChunkBuilder) Append(op Op, row []types.Datum) {
	if cb.nulls == nil {
		cb.nulls = make([]int, len(cb.types))
		if len(cb.ops) > 0 {
			cb.fill() // rows came through AppendEncoded
		}
	}
	for j, t := range cb.types {
		if cb.skip != nil && cb.skip[j] {
			continue // NULL at Build, like the encoded rows' column
		}
		if cb.nulls[j] >= 0 {
			if row[j] == nil {
				cb.nulls[j]++
				continue
			}
			cb.startColumn(j)
		}
		types.AppendDatum(cb.b.Field(j), t, row[j])
	}
	cb.ops = append(cb.ops, op)
}

// ReserveRows says about how many rows the chunk will hold: a column's
// builder reserves that many when it starts to fill.
func (cb *ChunkBuilder) ReserveRows(n int) {
	cb.hint = n
	if cap(cb.ops) < n {
		cb.ops = append(make([]Op, 0, n), cb.ops...)
	}
}

// maxReservedData bounds what a hint reserves for one column's values.
const maxReservedData = 8 << 20

// ReserveData says about how many bytes of values each variable-width
// column i will hold (data[i]): its builder reserves that many when it
// starts to fill, instead of doubling its buffer step by step.
func (cb *ChunkBuilder) ReserveData(data []int) { cb.data = data }

// startColumn makes column j's builder hold its rows: the NULLs Append
// held back, then room for the rest.
func (cb *ChunkBuilder) startColumn(j int) {
	b := cb.b.Field(j)
	if cb.hint > cb.nulls[j] {
		b.Reserve(cb.hint)
	}
	if j < len(cb.data) && cb.data[j] > 0 {
		switch bb := b.(type) {
		case *array.StringBuilder:
			bb.ReserveData(cb.data[j])
		case *array.BinaryBuilder:
			bb.ReserveData(cb.data[j])
		}
	}
	b.AppendNulls(cb.nulls[j])
	cb.nulls[j] = -1
}

// fill starts every column Append has held back.
func (cb *ChunkBuilder) fill() {
	for j, n := range cb.nulls {
		if n >= 0 && (cb.skip == nil || !cb.skip[j]) {
			cb.startColumn(j)
		}
	}
}

// AppendEncoded adds one row from its value encoding (types.AppendRow's)
// with its op, without making datums; the encoding may hold more columns
// than the chunk, which are ignored. Columns keep does not mark (when it
// is not nil) are left NULL.
func (cb *ChunkBuilder) AppendEncoded(op Op, buf []byte, keep []bool) error {
	if cb.nulls != nil {
		cb.fill()
	}
	if keep != nil && cb.encoders == nil && len(cb.ops) == 0 {
		cb.skip = make([]bool, len(keep))
		cb.encoders = make([]array.Builder, len(keep))
		for i, k := range keep {
			cb.skip[i] = !k
			if k {
				cb.encoders[i] = cb.b.Field(i)
			}
		}
	}
	bs := cb.b.Fields()
	if cb.encoders != nil {
		bs = cb.encoders // keep is the same from row to row
	}
	if _, err := types.AppendRowTo(buf, cb.types, bs, keep); err != nil {
		return err
	}
	cb.ops = append(cb.ops, op)
	return nil
}

// Reserve makes room for rows more rows, and for data[i] more bytes of
// values in each variable-width column i (data may be nil), so appending
// them does not grow the buffers step by step.
func (cb *ChunkBuilder) Reserve(rows int, data []int) {
	for i := range cb.types {
		if cb.skip != nil && cb.skip[i] {
			continue
		}
		b := cb.b.Field(i)
		b.Reserve(rows)
		if i < len(data) && data[i] > 0 {
			switch bb := b.(type) {
			case *array.StringBuilder:
				bb.ReserveData(data[i])
			case *array.BinaryBuilder:
				bb.ReserveData(data[i])
			}
		}
	}
}

// dataBytes sets buf[i] to the bytes of values in c's column i when it
// is variable-width (0 otherwise), for ReserveData.
func dataBytes(c *Chunk, buf []int) []int {
	buf = append(buf[:0], make([]int, len(c.Types))...)
	for i := range c.Types {
		switch a := c.Rec.Column(i).(type) {
		case *array.String:
			buf[i] = len(a.ValueBytes())
		case *array.Binary:
			buf[i] = len(a.ValueBytes())
		}
	}
	return buf
}

// Len is the number of rows appended since the last Build.
func (cb *ChunkBuilder) Len() int { return len(cb.ops) }

// Build returns the chunk of the rows appended so far (nil if none) and
// resets the builder.
func (cb *ChunkBuilder) Build() *Chunk {
	if len(cb.ops) == 0 {
		return nil
	}
	if cb.skip == nil && !cb.heldBack() {
		c := &Chunk{Types: cb.types, Rec: cb.b.NewRecord(), Ops: cb.ops}
		cb.ops, cb.nulls = nil, nil
		return c
	}
	n := len(cb.ops)
	cols := make([]arrow.Array, len(cb.types))
	for i := range cols {
		if cb.skip != nil && cb.skip[i] || cb.nulls != nil && cb.nulls[i] >= 0 {
			cols[i] = nullColumn(cb.types[i].ArrowType(), n)
		} else {
			cols[i] = cb.b.Field(i).NewArray()
		}
	}
	rec := array.NewRecord(cb.b.Schema(), cols, int64(n))
	for _, a := range cols {
		a.Release()
	}
	c := &Chunk{Types: cb.types, Rec: rec, Ops: cb.ops}
	cb.ops, cb.skip, cb.encoders, cb.nulls = nil, nil, nil, nil
	return c
}

// heldBack reports whether some column holds only NULLs Append held back.
func (cb *ChunkBuilder) heldBack() bool {
	for _, n := range cb.nulls {
		if n >= 0 {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
