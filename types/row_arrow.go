package types

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// AppendRowTo decodes the first len(ts) columns of a row's value encoding
// (see row.go) straight into builders made for ts, without making datums
// (the path log records take into chunks), and returns what follows.
// When keep is not nil, a column it does not mark is skipped and appended
// as NULL, or not at all when its builder is nil.
func AppendRowTo(buf []byte, ts []Type, bs []array.Builder, keep []bool) ([]byte, error) {
	for i, t := range ts {
		if len(buf) == 0 {
			return nil, rowCorrupt(i, len(ts))
		}
		if keep != nil && !keep[i] {
			var err error
			if buf, err = skipColumn(buf, t); err != nil {
				return nil, rowCorrupt(i, len(ts))
			}
			if bs[i] != nil {
				bs[i].AppendNull()
			}
			continue
		}
		tag := buf[0]
		buf = buf[1:]
		b := bs[i]
		if tag == 0 {
			b.AppendNull()
			continue
		}
		switch t.Family {
		case Bool:
			if len(buf) < 1 {
				return nil, rowCorrupt(i, len(ts))
			}
			b.(*array.BooleanBuilder).Append(buf[0] == 1)
			buf = buf[1:]
		case Int2, Int4, Int8, Date, Timestamp, TimestampTZ, Oid, Regclass, Regtype:
			v, n := binary.Varint(buf)
			if n <= 0 {
				return nil, rowCorrupt(i, len(ts))
			}
			buf = buf[n:]
			switch bb := b.(type) {
			case *array.Int16Builder:
				bb.Append(int16(v))
			case *array.Int32Builder:
				bb.Append(int32(v))
			case *array.Int64Builder:
				bb.Append(v)
			case *array.Date32Builder:
				bb.Append(arrow.Date32(v))
			case *array.TimestampBuilder:
				bb.Append(arrow.Timestamp(v))
			default:
				AppendDatum(b, t, v)
			}
		case Float4, Float8:
			if len(buf) < 8 {
				return nil, rowCorrupt(i, len(ts))
			}
			v := math.Float64frombits(binary.LittleEndian.Uint64(buf))
			buf = buf[8:]
			if bb, ok := b.(*array.Float32Builder); ok {
				bb.Append(float32(v))
			} else {
				b.(*array.Float64Builder).Append(v)
			}
		case Text, Varchar, Jsonb, Unknown, Bytea, Name, Char:
			l, n := binary.Uvarint(buf)
			if n <= 0 || uint64(len(buf)-n) < l {
				return nil, rowCorrupt(i, len(ts))
			}
			v := buf[n : n+int(l)]
			buf = buf[n+int(l):]
			switch bb := b.(type) {
			case *array.StringBuilder:
				bb.BinaryBuilder.Append(v)
			case *array.BinaryBuilder:
				bb.Append(v)
			default:
				return nil, rowCorrupt(i, len(ts))
			}
		default:
			// Numeric and interval: through a datum.
			row, rest, err := decodePrefix(buf, ts[i:i+1], tag)
			if err != nil {
				return nil, err
			}
			AppendDatum(b, t, row)
			buf = rest
		}
	}
	return buf, nil
}

// DecodeColumn reads column col of a row's value encoding, skipping the
// columns before it without decoding them.
func DecodeColumn(buf []byte, ts []Type, col int) (Datum, error) {
	for i := 0; i < col; i++ {
		var err error
		if buf, err = skipColumn(buf, ts[i]); err != nil {
			return nil, rowCorrupt(i, len(ts))
		}
	}
	if len(buf) == 0 {
		return nil, rowCorrupt(col, len(ts))
	}
	tag := buf[0]
	if tag == 0 {
		return nil, nil
	}
	switch t := ts[col]; t.Family {
	case Int2, Int4, Int8, Date, Timestamp, TimestampTZ, Oid, Regclass, Regtype:
		// The common case (event times, keys) without an intermediate row.
		v, n := binary.Varint(buf[1:])
		switch {
		case n <= 0:
			return nil, rowCorrupt(col, len(ts))
		case t.Family == Date:
			return DDate(v), nil
		case t.Family == Timestamp || t.Family == TimestampTZ:
			return DTimestamp(v), nil
		}
		return v, nil
	}
	d, _, err := decodePrefix(buf[1:], ts[col:col+1], tag)
	return d, err
}

// decodePrefix decodes one non-NULL column (its tag already read) and
// returns it with the rest of buf.
func decodePrefix(buf []byte, ts []Type, tag byte) (Datum, []byte, error) {
	rest, err := skipColumn(append([]byte{tag}, buf...), ts[0])
	if err != nil {
		return nil, nil, err
	}
	n := len(buf) - len(rest) + 1
	row, err := DecodeRow(append([]byte{tag}, buf[:n-1]...), ts, nil)
	if err != nil {
		return nil, nil, err
	}
	return row[0], buf[n-1:], nil
}

// skipColumn returns buf after one encoded column.
func skipColumn(buf []byte, t Type) ([]byte, error) {
	if len(buf) == 0 {
		return nil, errCorruptColumn
	}
	tag := buf[0]
	buf = buf[1:]
	if tag == 0 {
		return buf, nil
	}
	varints := 0
	switch t.Family {
	case Bool:
		if len(buf) < 1 {
			return nil, errCorruptColumn
		}
		return buf[1:], nil
	case Int2, Int4, Int8, Date, Timestamp, TimestampTZ, Oid, Regclass, Regtype:
		varints = 1
	case Float4, Float8:
		if len(buf) < 8 {
			return nil, errCorruptColumn
		}
		return buf[8:], nil
	case Numeric:
		if len(buf) < 16 {
			return nil, errCorruptColumn
		}
		buf, varints = buf[16:], 1
	case Text, Varchar, Jsonb, Unknown, Bytea, Name, Char:
		l, n := binary.Uvarint(buf)
		if n <= 0 || uint64(len(buf)-n) < l {
			return nil, errCorruptColumn
		}
		return buf[n+int(l):], nil
	case Interval:
		varints = 3
	default:
		return nil, errCorruptColumn
	}
	for ; varints > 0; varints-- {
		_, n := binary.Varint(buf)
		if n <= 0 {
			return nil, errCorruptColumn
		}
		buf = buf[n:]
	}
	return buf, nil
}

var errCorruptColumn = Errorf(CodeDataCorrupted, "corrupt row encoding")

func rowCorrupt(col, n int) error {
	return Errorf(CodeDataCorrupted, "corrupt row encoding (column %d of %d)", col, n)
}

// AppendRowFrom appends row i of cols (arrays made for ts) in AppendRow's
// encoding, without making datums for the fixed-width and text columns
// that views mostly hold.
func AppendRowFrom(buf []byte, ts []Type, cols []arrow.Array, i int) []byte {
	for c, arr := range cols {
		if arr.IsNull(i) {
			buf = append(buf, 0)
			continue
		}
		switch a := arr.(type) {
		case *array.Int64:
			buf = AppendRowInt(buf, a.Value(i))
		case *array.Int32:
			buf = AppendRowInt(buf, int64(a.Value(i)))
		case *array.Int16:
			buf = AppendRowInt(buf, int64(a.Value(i)))
		case *array.Timestamp:
			buf = AppendRowInt(buf, int64(a.Value(i)))
		case *array.Date32:
			buf = AppendRowInt(buf, int64(a.Value(i)))
		case *array.Float64:
			buf = binary.LittleEndian.AppendUint64(append(buf, 1), math.Float64bits(a.Value(i)))
		case *array.Binary:
			buf = binary.AppendUvarint(append(buf, 1), uint64(a.ValueLen(i)))
			buf = append(buf, a.Value(i)...)
		case *array.String:
			if ts[c].Family != Numeric {
				buf = AppendRowString(buf, a.Value(i))
				break
			}
			buf = AppendRow(buf, ts[c:c+1], []Datum{GetDatum(arr, ts[c], i)})
		default:
			buf = AppendRow(buf, ts[c:c+1], []Datum{GetDatum(arr, ts[c], i)})
		}
	}
	return buf
}
