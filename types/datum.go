package types

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
)

// Datum is one SQL value at run time. Its Go type follows the column's
// family:
//
//	NULL                          nil
//	boolean                       bool
//	smallint, integer, bigint     int64
//	real, double precision        float64
//	numeric                       Decimal
//	text, varchar, jsonb          string
//	bytea                         []byte
//	date                          Date
//	timestamp, timestamptz        DTimestamp
//	interval                      DInterval
//
// Operators work on Arrow columns; datums are for constants, keys, state
// and the edges of the system (wire, tests).
type Datum = any

// DTimestamp is microseconds since 1970-01-01 00:00:00 (UTC for timestamptz).
type DTimestamp int64

// DDate is days since 1970-01-01.
type DDate int32

// DInterval is PostgreSQL's interval: months, days and microseconds kept
// apart, as their lengths vary.
type DInterval struct {
	Months int32
	Days   int32
	Micros int64
}

// Decimal is a numeric value: an unscaled 128-bit integer and a scale.
type Decimal struct {
	Coef  decimal128.Num
	Scale int32
}

// DecimalFromInt makes a numeric with scale 0.
func DecimalFromInt(v int64) Decimal { return Decimal{Coef: decimal128.FromI64(v)} }

// Rescale returns d with the given scale, rounding half away from zero when
// digits are dropped.
func (d Decimal) Rescale(scale int32) Decimal {
	switch {
	case scale == d.Scale:
		return d
	case scale > d.Scale:
		if v, ok := d.small(); ok && scale-d.Scale <= 18 {
			// Within int64, without big.Int.
			if p, ok := mulSmall(v, pow10u[scale-d.Scale]); ok {
				return Decimal{Coef: decimal128.FromI64(p), Scale: scale}
			}
		}
		return Decimal{Coef: d.Coef.IncreaseScaleBy(scale - d.Scale), Scale: scale}
	default:
		return Decimal{Coef: d.Coef.ReduceScaleBy(d.Scale-scale, true), Scale: scale}
	}
}

// Float64 converts d to a float.
func (d Decimal) Float64() float64 { return d.Coef.ToFloat64(d.Scale) }

// String is PostgreSQL's text form of d.
func (d Decimal) String() string {
	hi, lo := d.Coef.HighBits(), d.Coef.LowBits()
	small := hi == 0 && lo < 1<<63 || hi == -1 && lo > 1<<63
	if !small || d.Scale < 0 || d.Scale > 30 {
		return d.Coef.ToString(d.Scale)
	}
	// The common case, a coefficient within int64, without big.Float.
	v := int64(lo)
	var buf [64]byte
	b := buf[:0]
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	digits := strconv.AppendInt(buf[32:32], v, 10)
	scale := int(d.Scale)
	if scale == 0 {
		return string(append(b, digits...))
	}
	if len(digits) <= scale {
		b = append(b, '0', '.')
		for i := len(digits); i < scale; i++ {
			b = append(b, '0')
		}
		return string(append(b, digits...))
	}
	b = append(b, digits[:len(digits)-scale]...)
	b = append(b, '.')
	return string(append(b, digits[len(digits)-scale:]...))
}

// CompareDecimal orders two numerics of any scales.
func CompareDecimal(a, b Decimal) int {
	if a.Scale == b.Scale {
		return a.Coef.Cmp(b.Coef)
	}
	if x, ok := a.small(); ok {
		if y, ok := b.small(); ok {
			// Compare x·10^(s−a.Scale) with y·10^(s−b.Scale) in 128 bits.
			if d := a.Scale - b.Scale; d > 0 && d <= 18 {
				return -cmpScaled(y, pow10u[d], x)
			} else if d < 0 && d >= -18 {
				return cmpScaled(x, pow10u[-d], y)
			}
		}
	}
	s := max(a.Scale, b.Scale)
	return a.Rescale(s).Coef.Cmp(b.Rescale(s).Coef)
}

// small returns d's coefficient when it fits int64.
func (d Decimal) small() (int64, bool) {
	hi, lo := d.Coef.HighBits(), d.Coef.LowBits()
	if hi == 0 && lo < 1<<63 || hi == -1 && lo >= 1<<63 {
		return int64(lo), true
	}
	return 0, false
}

// pow10u holds the powers of ten that fit uint64.
var pow10u = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// mulSmall is x·f when it fits int64.
func mulSmall(x int64, f uint64) (int64, bool) {
	neg := x < 0
	ux := uint64(x)
	if neg {
		ux = -ux
	}
	hi, lo := bits.Mul64(ux, f)
	if hi != 0 || lo > 1<<63 || lo == 1<<63 && !neg {
		return 0, false
	}
	if neg {
		return int64(-lo), true
	}
	return int64(lo), true
}

// cmpScaled compares x·f with y, f > 0, without overflow.
func cmpScaled(x int64, f uint64, y int64) int {
	switch {
	case x < 0 && y >= 0:
		return -1
	case x >= 0 && y < 0:
		return 1
	case x == 0:
		return -sign64(y)
	}
	neg := x < 0
	ux, uy := uint64(x), uint64(y)
	if neg {
		ux, uy = -ux, -uy
	}
	hi, lo := bits.Mul64(ux, f)
	c := 0
	switch {
	case hi != 0 || lo > uy:
		c = 1
	case lo < uy:
		c = -1
	}
	if neg {
		return -c
	}
	return c
}

func sign64(v int64) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// Compare orders two non-NULL datums of the same family. NULL handling is
// the caller's: SQL comparisons yield NULL, sorts place NULLs explicitly.
func Compare(a, b Datum) int {
	switch x := a.(type) {
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case int64:
		return cmp.Compare(x, b.(int64))
	case float64:
		return compareFloat(x, b.(float64))
	case Decimal:
		return CompareDecimal(x, b.(Decimal))
	case string:
		return cmp.Compare(x, b.(string))
	case []byte:
		return bytes.Compare(x, b.([]byte))
	case DDate:
		return cmp.Compare(x, b.(DDate))
	case DTimestamp:
		return cmp.Compare(x, b.(DTimestamp))
	case DInterval:
		return cmp.Compare(x.approxMicros(), b.(DInterval).approxMicros())
	}
	panic(fmt.Sprintf("types.Compare: unsupported datum %T", a))
}

// compareFloat orders floats as PostgreSQL does: NaN above everything, and
// equal to itself.
func compareFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x, y)
}

// approxMicros is the interval's length with PostgreSQL's 30-day months,
// which is how PostgreSQL compares intervals.
func (v DInterval) approxMicros() int64 {
	const day = 24 * 60 * 60 * 1e6
	return int64(v.Months)*30*day + int64(v.Days)*day + v.Micros
}

// Micros is the interval as a fixed duration (30-day months, 24-hour days),
// as windowing uses it.
func (v DInterval) FixedMicros() int64 { return v.approxMicros() }
