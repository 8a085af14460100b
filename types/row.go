package types

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
)

// Row value encoding, used for log records and state values:
//
//	row    := column*            (one per declared column, in order)
//	column := 0x00               NULL
//	        | 0x01 payload
//	payload by family: bool 1 byte; integers, date, timestamp zig-zag
//	varint; floats 8 bytes little-endian IEEE; numeric 16 bytes (hi, lo)
//	then varint scale; text, bytea uvarint length then bytes; interval
//	varint months, varint days, varint micros.

// AppendRow appends the value encoding of row (typed by ts) to buf.
func AppendRow(buf []byte, ts []Type, row []Datum) []byte {
	for i, d := range row {
		if d == nil {
			buf = append(buf, 0)
			continue
		}
		buf = append(buf, 1)
		switch v := d.(type) {
		case bool:
			if v {
				buf = append(buf, 1)
			} else {
				buf = append(buf, 0)
			}
		case int64:
			buf = binary.AppendVarint(buf, v)
		case float64:
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		case Decimal:
			if ts[i].Precision > 0 {
				v = v.Rescale(ts[i].Scale)
			}
			buf = binary.LittleEndian.AppendUint64(buf, uint64(v.Coef.HighBits()))
			buf = binary.LittleEndian.AppendUint64(buf, v.Coef.LowBits())
			buf = binary.AppendVarint(buf, int64(v.Scale))
		case string:
			buf = binary.AppendUvarint(buf, uint64(len(v)))
			buf = append(buf, v...)
		case []byte:
			buf = binary.AppendUvarint(buf, uint64(len(v)))
			buf = append(buf, v...)
		case DDate:
			buf = binary.AppendVarint(buf, int64(v))
		case DTimestamp:
			buf = binary.AppendVarint(buf, int64(v))
		case DInterval:
			buf = binary.AppendVarint(buf, int64(v.Months))
			buf = binary.AppendVarint(buf, int64(v.Days))
			buf = binary.AppendVarint(buf, v.Micros)
		default:
			panic("types.AppendRow: unsupported datum")
		}
	}
	return buf
}

// AppendRowInt appends a non-null integer field as AppendRow lays out
// int64, DDate and DTimestamp datums, for writers that encode a row
// field by field without boxing datums.
func AppendRowInt(buf []byte, v int64) []byte { return binary.AppendVarint(append(buf, 1), v) }

// AppendRowString appends a non-null text field as AppendRow does.
func AppendRowString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(append(buf, 1), uint64(len(s)))
	return append(buf, s...)
}

// DecodeRow reads a row of the given types. Strings and byte slices are
// copied, so the row outlives buf.
func DecodeRow(buf []byte, ts []Type, row []Datum) ([]Datum, error) {
	row = row[:0]
	bad := func() ([]Datum, error) {
		return nil, Errorf(CodeDataCorrupted, "corrupt row encoding (column %d of %d)", len(row), len(ts))
	}
	for _, t := range ts {
		if len(buf) == 0 {
			return bad()
		}
		tag := buf[0]
		buf = buf[1:]
		if tag == 0 {
			row = append(row, nil)
			continue
		}
		switch t.Family {
		case Bool:
			if len(buf) < 1 {
				return bad()
			}
			row = append(row, buf[0] == 1)
			buf = buf[1:]
		case Int2, Int4, Int8, Date, Timestamp, TimestampTZ, Oid, Regclass, Regtype:
			v, n := binary.Varint(buf)
			if n <= 0 {
				return bad()
			}
			buf = buf[n:]
			switch t.Family {
			case Date:
				row = append(row, DDate(v))
			case Timestamp, TimestampTZ:
				row = append(row, DTimestamp(v))
			default:
				row = append(row, v)
			}
		case Float4, Float8:
			if len(buf) < 8 {
				return bad()
			}
			row = append(row, math.Float64frombits(binary.LittleEndian.Uint64(buf)))
			buf = buf[8:]
		case Numeric:
			if len(buf) < 16 {
				return bad()
			}
			hi, lo := int64(binary.LittleEndian.Uint64(buf)), binary.LittleEndian.Uint64(buf[8:])
			buf = buf[16:]
			s, n := binary.Varint(buf)
			if n <= 0 {
				return bad()
			}
			buf = buf[n:]
			row = append(row, Decimal{Coef: decimal128.New(hi, lo), Scale: int32(s)})
		case Text, Varchar, Jsonb, Unknown, Bytea, Name, Char:
			l, n := binary.Uvarint(buf)
			if n <= 0 || uint64(len(buf)-n) < l {
				return bad()
			}
			b := buf[n : n+int(l)]
			buf = buf[n+int(l):]
			if t.Family == Bytea {
				row = append(row, append([]byte{}, b...))
			} else {
				row = append(row, string(b))
			}
		case Interval:
			var vs [3]int64
			for j := range vs {
				v, n := binary.Varint(buf)
				if n <= 0 {
					return bad()
				}
				vs[j] = v
				buf = buf[n:]
			}
			row = append(row, DInterval{Months: int32(vs[0]), Days: int32(vs[1]), Micros: vs[2]})
		default:
			return bad()
		}
	}
	if len(buf) != 0 {
		return nil, Errorf(CodeDataCorrupted, "corrupt row encoding: %d trailing bytes", len(buf))
	}
	return row, nil
}
