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
	for j, t := range cb.types {
		types.AppendDatum(cb.b.Field(j), t, row[j])
	}
	cb.ops = append(cb.ops, op)
}

// AppendEncoded adds one row from its value encoding (types.AppendRow's)
// with its op, without making datums; the encoding may hold more columns
// than the chunk, which are ignored. Columns keep does not mark (when it
// is not nil) are left NULL.
func (cb *ChunkBuilder) AppendEncoded(op Op, buf []byte, keep []bool) error {
	if _, err := types.AppendRowTo(buf, cb.types, cb.b.Fields(), keep); err != nil {
		return err
	}
	cb.ops = append(cb.ops, op)
	return nil
}

// Len is the number of rows appended since the last Build.
func (cb *ChunkBuilder) Len() int { return len(cb.ops) }

// Build returns the chunk of the rows appended so far (nil if none) and
// resets the builder.
func (cb *ChunkBuilder) Build() *Chunk {
	if len(cb.ops) == 0 {
		return nil
	}
	c := &Chunk{Types: cb.types, Rec: cb.b.NewRecord(), Ops: cb.ops}
	cb.ops = nil
	return c
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
