package exec

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Take builds a chunk of c's rows at idx, in that order, copying column
// by column without turning values into datums.
func Take(c *Chunk, idx []int) *Chunk {
	if len(idx) == 0 {
		return nil
	}
	if len(idx) == c.Len() {
		same := true
		for i, x := range idx {
			same = same && x == i
		}
		if same {
			c.Rec.Retain()
			return &Chunk{Types: c.Types, Rec: c.Rec, Ops: append([]Op(nil), c.Ops...)}
		}
	}
	cols := make([]arrow.Array, len(c.Types))
	for j := range c.Types {
		cols[j] = takeArray(c.Rec.Column(j), idx)
	}
	rec := array.NewRecord(c.Rec.Schema(), cols, int64(len(idx)))
	for _, a := range cols {
		a.Release()
	}
	ops := make([]Op, len(idx))
	for i, x := range idx {
		ops[i] = c.Ops[x]
	}
	return &Chunk{Types: c.Types, Rec: rec, Ops: ops}
}

// takeArray copies arr's values at idx into a new array of its type.
func takeArray(arr arrow.Array, idx []int) arrow.Array {
	if arr.NullN() == arr.Len() {
		// A column the query does not read travels as NULLs.
		return nullColumn(arr.DataType(), len(idx))
	}
	b := array.NewBuilder(memory.DefaultAllocator, arr.DataType())
	defer b.Release()
	b.Reserve(len(idx))
	switch a := arr.(type) {
	case *array.Boolean:
		takeValues[bool](a, b.(*array.BooleanBuilder), idx)
	case *array.Int16:
		takeValues[int16](a, b.(*array.Int16Builder), idx)
	case *array.Int32:
		takeValues[int32](a, b.(*array.Int32Builder), idx)
	case *array.Int64:
		takeValues[int64](a, b.(*array.Int64Builder), idx)
	case *array.Float32:
		takeValues[float32](a, b.(*array.Float32Builder), idx)
	case *array.Float64:
		takeValues[float64](a, b.(*array.Float64Builder), idx)
	case *array.Decimal128:
		takeValues[decimal128.Num](a, b.(*array.Decimal128Builder), idx)
	case *array.String:
		sb := b.(*array.StringBuilder)
		n := 0
		for _, i := range idx {
			n += a.ValueLen(i)
		}
		sb.ReserveData(n)
		takeValues[string](a, sb, idx)
	case *array.Binary:
		bb := b.(*array.BinaryBuilder)
		n := 0
		for _, i := range idx {
			n += a.ValueLen(i)
		}
		bb.ReserveData(n)
		takeValues[[]byte](a, bb, idx)
	case *array.Date32:
		takeValues[arrow.Date32](a, b.(*array.Date32Builder), idx)
	case *array.Timestamp:
		takeValues[arrow.Timestamp](a, b.(*array.TimestampBuilder), idx)
	case *array.MonthDayNanoInterval:
		takeValues[arrow.MonthDayNanoInterval](a, b.(*array.MonthDayNanoIntervalBuilder), idx)
	default:
		panic("exec.Take: unsupported array " + arr.DataType().String())
	}
	return b.NewArray()
}

// valueArray and valueBuilder are Arrow's typed arrays and builders.
type valueArray[T any] interface {
	IsNull(int) bool
	Value(int) T
}

type valueBuilder[T any] interface {
	AppendNull()
	Append(T)
}

func takeValues[T any](a valueArray[T], b valueBuilder[T], idx []int) {
	for _, i := range idx {
		if a.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(a.Value(i))
		}
	}
}
