package pgwire

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/weir-db/weir/types"
)

// PostgreSQL's binary formats count days and microseconds from 2000-01-01;
// Weir's datums from 1970-01-01.
const (
	pgEpochDays   = 10957           // days from 1970-01-01 to 2000-01-01
	pgEpochMicros = 946684800000000 // microseconds from 1970-01-01 to 2000-01-01
)

// Sign words of PostgreSQL's binary numeric.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
	// numericDscaleMask bounds the display scale.
	numericDscaleMask = 0x3FFF
	// numericBase is the base of numeric's digits.
	numericBase = 10000
)

// AppendBinary appends PostgreSQL's binary form of d (not nil) as a value of
// type t, as the type's send function produces it, without the length word:
//
//	bool                     1 byte, 0 or 1
//	smallint/integer/bigint  2/4/8 bytes, big-endian two's complement
//	real/double precision    4/8 bytes, IEEE 754, big-endian
//	numeric                  see appendNumeric
//	text, varchar, unknown   the UTF-8 bytes
//	bytea                    the bytes
//	date                     int32 days since 2000-01-01
//	timestamp[tz]            int64 microseconds since 2000-01-01 00:00 UTC
//	interval                 int64 microseconds, int32 days, int32 months
//	jsonb                    version byte 1, then the text
//
// A datum of the wrong Go type for t is an internal error (XX000); an
// integer or date out of the type's range is 22003 or 22008.
func AppendBinary(buf []byte, t types.Type, d types.Datum) ([]byte, error) {
	switch t.Family {
	case types.Bool:
		if v, ok := d.(bool); ok {
			if v {
				return append(buf, 1), nil
			}
			return append(buf, 0), nil
		}
	case types.Int2, types.Int4, types.Int8:
		if v, ok := d.(int64); ok {
			switch t.Family {
			case types.Int2:
				if v < math.MinInt16 || v > math.MaxInt16 {
					return buf, types.Errorf(types.CodeNumericValueOutOfRange, "smallint out of range")
				}
				return binary.BigEndian.AppendUint16(buf, uint16(v)), nil
			case types.Int4:
				if v < math.MinInt32 || v > math.MaxInt32 {
					return buf, types.Errorf(types.CodeNumericValueOutOfRange, "integer out of range")
				}
				return binary.BigEndian.AppendUint32(buf, uint32(v)), nil
			}
			return binary.BigEndian.AppendUint64(buf, uint64(v)), nil
		}
	case types.Float4:
		if v, ok := d.(float64); ok {
			return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(v))), nil
		}
	case types.Float8:
		if v, ok := d.(float64); ok {
			return binary.BigEndian.AppendUint64(buf, math.Float64bits(v)), nil
		}
	case types.Numeric:
		if v, ok := d.(types.Decimal); ok {
			if v.Scale < -numericDscaleMask || v.Scale > numericDscaleMask {
				return buf, types.Errorf(types.CodeNumericValueOutOfRange, "numeric scale %d out of range", v.Scale)
			}
			return appendNumeric(buf, v), nil
		}
	case types.Text, types.Varchar, types.Unknown:
		if v, ok := d.(string); ok {
			return append(buf, v...), nil
		}
	case types.Jsonb:
		if v, ok := d.(string); ok {
			return append(append(buf, 1), v...), nil
		}
	case types.Bytea:
		if v, ok := d.([]byte); ok {
			return append(buf, v...), nil
		}
	case types.Date:
		if v, ok := d.(types.DDate); ok {
			days := int64(v) - pgEpochDays
			if days < math.MinInt32 || days > math.MaxInt32 {
				return buf, types.Errorf(types.CodeDatetimeFieldOverflow, "date out of range")
			}
			return binary.BigEndian.AppendUint32(buf, uint32(int32(days))), nil
		}
	case types.Timestamp, types.TimestampTZ:
		if v, ok := d.(types.DTimestamp); ok {
			if v < math.MinInt64+pgEpochMicros {
				return buf, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range")
			}
			return binary.BigEndian.AppendUint64(buf, uint64(v-pgEpochMicros)), nil
		}
	case types.Interval:
		if v, ok := d.(types.DInterval); ok {
			buf = binary.BigEndian.AppendUint64(buf, uint64(v.Micros))
			buf = binary.BigEndian.AppendUint32(buf, uint32(v.Days))
			return binary.BigEndian.AppendUint32(buf, uint32(v.Months)), nil
		}
	}
	return buf, types.Errorf(types.CodeInternalError, "cannot encode %T as a binary %s", d, t)
}

// appendNumeric appends numeric's binary form: a header of four int16s
// (number of digits, weight, sign, display scale) and the digits, each an
// int16 in base 10000, most significant first. The value is
//
//	sum(digit[i] * 10000^(weight - i))
//
// Leading and trailing zero digits are left out; zero has no digits.
// Display scale is the number of decimal digits after the point.
func appendNumeric(buf []byte, d types.Decimal) []byte {
	var dec [40]byte
	neg, digits := decimalDigits(d, &dec)
	scale := d.Scale
	dscale := max(scale, 0)

	// Digit i of digits (0 is the most significant) stands for
	// 10^(len(digits)-1-i-scale); it belongs to base-10000 digit
	// floor(exp/4), at position exp mod 4 in it.
	var groups [12]int16 // 39 decimal digits span at most 11 groups
	n := len(digits)
	hiExp := n - 1 - int(scale)
	hiWeight := floorDiv4(hiExp)
	for i := range n {
		exp := hiExp - i
		w := floorDiv4(exp)
		groups[hiWeight-w] += int16(digits[i]-'0') * pow10[exp-4*w]
	}
	ng := 0
	if n > 0 {
		ng = hiWeight - floorDiv4(hiExp-(n-1)) + 1
	}
	// Strip zero groups: leading ones lower the weight.
	first, last := 0, ng
	for first < last && groups[first] == 0 {
		first++
	}
	for last > first && groups[last-1] == 0 {
		last--
	}
	weight := hiWeight - first
	sign := uint16(numericPos)
	if first == last {
		weight = 0
	} else if neg {
		sign = numericNeg
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(last-first))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(dscale))
	for _, g := range groups[first:last] {
		buf = binary.BigEndian.AppendUint16(buf, uint16(g))
	}
	return buf
}

var pow10 = [4]int16{1, 10, 100, 1000}

// floorDiv4 is floor(x / 4).
func floorDiv4(x int) int {
	if x >= 0 {
		return x / 4
	}
	return -((-x + 3) / 4)
}

// decimalDigits writes the decimal digits of |d.Coef|, without leading
// zeros (none for zero), into buf and returns them and the sign.
func decimalDigits(d types.Decimal, buf *[40]byte) (neg bool, digits []byte) {
	hi, lo := uint64(d.Coef.HighBits()), d.Coef.LowBits()
	if int64(hi) < 0 {
		neg = true
		// Two's complement negation, as unsigned 128 bits (so that the
		// smallest value negates to 2^127).
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	const e19 = 10_000_000_000_000_000_000
	i := len(buf)
	for hi != 0 || lo != 0 {
		var r uint64
		qhi := hi / e19
		qlo, rem := bits.Div64(hi%e19, lo, e19)
		hi, lo, r = qhi, qlo, rem
		// Emit r as 19 digits, except the last chunk, without padding.
		for k := 0; k < 19 && (r != 0 || hi != 0 || lo != 0); k++ {
			i--
			buf[i] = byte('0' + r%10)
			r /= 10
		}
	}
	return neg, buf[i:]
}
