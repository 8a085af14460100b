package types

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/decimal128"
)

// GetDatum reads row i of an Arrow column holding values of type t.
func GetDatum(arr arrow.Array, t Type, i int) Datum {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		return Decimal{Coef: a.Value(i), Scale: t.Scale}
	case *array.String:
		if t.Family == Numeric {
			d, err := ParseDecimal(a.Value(i))
			if err != nil {
				panic(fmt.Sprintf("types.GetDatum: numeric column holds %q", a.Value(i)))
			}
			return d
		}
		// Value aliases the array's buffer; a datum may outlive the
		// chunk (operator caches, subscribers), and must not pin it.
		return strings.Clone(a.Value(i))
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...)
	case *array.Date32:
		return DDate(a.Value(i))
	case *array.Timestamp:
		return DTimestamp(a.Value(i))
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		return DInterval{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
	}
	panic(fmt.Sprintf("types.GetDatum: unsupported array %T", arr))
}

// AppendDatum appends d (nil for NULL) to a builder made for type t.
func AppendDatum(b array.Builder, t Type, d Datum) {
	if d == nil {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		bb.Append(d.(bool))
	case *array.Int16Builder:
		bb.Append(int16(d.(int64)))
	case *array.Int32Builder:
		bb.Append(int32(d.(int64)))
	case *array.Int64Builder:
		bb.Append(d.(int64))
	case *array.Float32Builder:
		bb.Append(float32(d.(float64)))
	case *array.Float64Builder:
		bb.Append(d.(float64))
	case *array.Decimal128Builder:
		bb.Append(d.(Decimal).Rescale(t.Scale).Coef)
	case *array.StringBuilder:
		if dec, ok := d.(Decimal); ok {
			bb.Append(dec.String())
			return
		}
		bb.Append(d.(string))
	case *array.BinaryBuilder:
		bb.Append(d.([]byte))
	case *array.Date32Builder:
		bb.Append(arrow.Date32(d.(DDate)))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(d.(DTimestamp)))
	case *array.MonthDayNanoIntervalBuilder:
		v := d.(DInterval)
		bb.Append(arrow.MonthDayNanoInterval{Months: v.Months, Days: v.Days, Nanoseconds: v.Micros * 1000})
	default:
		panic(fmt.Sprintf("types.AppendDatum: unsupported builder %T", b))
	}
}

// ZeroDecimal is numeric 0 with the given scale.
func ZeroDecimal(scale int32) Decimal { return Decimal{Coef: decimal128.Num{}, Scale: scale} }
