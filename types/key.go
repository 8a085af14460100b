package types

import (
	"math"

	"github.com/weir-db/weir/storage/encoding"
)

// AppendKey appends the memcomparable encoding of d (nil for NULL) to buf;
// desc encodes for descending order. Numerics are encoded through their
// float value plus their exact form, so equal values of any scale compare
// equal in their leading bytes.
func AppendKey(buf []byte, t Type, d Datum, desc bool) []byte {
	start := len(buf)
	switch v := d.(type) {
	case nil:
		buf = encoding.AppendNull(buf)
	case bool:
		buf = encoding.AppendBool(buf, v)
	case int64:
		buf = encoding.AppendInt(buf, v)
	case float64:
		buf = encoding.AppendFloat(buf, v)
	case Decimal:
		// Scale is fixed per column type, so the unscaled integer orders
		// correctly when it fits 64 bits; wider values fall back to the
		// float order plus the exact bytes.
		r := v.Rescale(t.Scale)
		if r.Coef.HighBits() == 0 && r.Coef.LowBits() <= math.MaxInt64 || r.Coef.HighBits() == -1 && r.Coef.LowBits() > math.MaxInt64 {
			buf = encoding.AppendInt(buf, int64(r.Coef.LowBits()))
		} else {
			buf = encoding.AppendFloat(buf, r.Float64())
		}
	case string:
		buf = encoding.AppendString(buf, v)
	case []byte:
		buf = encoding.AppendBytes(buf, v)
	case DDate:
		buf = encoding.AppendInt(buf, int64(v))
	case DTimestamp:
		buf = encoding.AppendInt(buf, int64(v))
	case DInterval:
		buf = encoding.AppendInt(buf, v.approxMicros())
		buf = encoding.AppendInt(buf, int64(v.Months))
		buf = encoding.AppendInt(buf, int64(v.Days))
	default:
		panic("types.AppendKey: unsupported datum")
	}
	if desc {
		encoding.Invert(buf, start)
	}
	return buf
}

// DecodeKey reads ascending values of the given types from the start of key
// and returns them with the rest of the key. Numerics wider than 64 bits are
// not decodable from keys; callers keep such values in the row.
func DecodeKey(key []byte, ts []Type) ([]Datum, []byte, error) {
	out := make([]Datum, len(ts))
	for i, t := range ts {
		k, iv, fv, bv, rest, err := encoding.Decode(key)
		if err != nil {
			return nil, nil, Errorf(CodeDataCorrupted, "decoding key column %d: %v", i, err)
		}
		key = rest
		if k == encoding.KindNull {
			continue
		}
		switch t.Family {
		case Bool:
			out[i] = iv == 1
		case Int2, Int4, Int8, Oid, Regclass, Regtype:
			out[i] = iv
		case Float4, Float8:
			out[i] = fv
		case Numeric:
			if k == encoding.KindInt {
				out[i] = Decimal{Coef: DecimalFromInt(iv).Coef, Scale: t.Scale}
			} else {
				return nil, nil, Errorf(CodeDataCorrupted, "numeric key column %d is too wide to decode", i)
			}
		case Text, Varchar, Jsonb, Unknown, Name, Char:
			out[i] = string(bv)
		case Bytea:
			out[i] = bv
		case Date:
			out[i] = DDate(iv)
		case Timestamp, TimestampTZ:
			out[i] = DTimestamp(iv)
		case Interval:
			_, m, _, _, r1, err1 := encoding.Decode(key)
			if err1 != nil {
				return nil, nil, Errorf(CodeDataCorrupted, "decoding interval key: %v", err1)
			}
			_, d, _, _, r2, err2 := encoding.Decode(r1)
			if err2 != nil {
				return nil, nil, Errorf(CodeDataCorrupted, "decoding interval key: %v", err2)
			}
			key = r2
			out[i] = DInterval{Months: int32(m), Days: int32(d), Micros: iv - (m*30+d)*86400e6}
		}
	}
	return out, key, nil
}
