package pgwire

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow/decimal128"

	"github.com/weir-db/weir/types"
)

// errBinaryTrailing is DecodeBinary's complaint about bytes left after the
// value; Bind names the parameter in it, as PostgreSQL does.
var errBinaryTrailing = types.Errorf("22P03", "incorrect binary data format")

// DecodeBinary reads a value of type t from PostgreSQL's binary form (see
// AppendBinary), as the type's receive function does: too few bytes is 08P01
// "insufficient data left in message", too many 22P03 "incorrect binary data
// format", and a malformed value 22P03 or the type's own error (22021 for
// text that is not UTF-8, 22003 for a numeric beyond Weir's 38 digits).
// NaN and infinite numerics, and infinite dates and timestamps, which Weir
// cannot hold, are 0A000. The result does not alias b.
func DecodeBinary(t types.Type, b []byte) (types.Datum, error) {
	fixed := func(n int) error {
		switch {
		case len(b) < n:
			return protocolViolation("insufficient data left in message")
		case len(b) > n:
			return errBinaryTrailing
		}
		return nil
	}
	switch t.Family {
	case types.Bool:
		if err := fixed(1); err != nil {
			return nil, err
		}
		return b[0] != 0, nil
	case types.Int2:
		if err := fixed(2); err != nil {
			return nil, err
		}
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case types.Int4:
		if err := fixed(4); err != nil {
			return nil, err
		}
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	case types.Int8:
		if err := fixed(8); err != nil {
			return nil, err
		}
		return int64(binary.BigEndian.Uint64(b)), nil
	case types.Float4:
		if err := fixed(4); err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case types.Float8:
		if err := fixed(8); err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case types.Numeric:
		d, err := decodeNumeric(b)
		if err != nil {
			return nil, err
		}
		return types.FitNumeric(t, d)
	case types.Text, types.Varchar, types.Unknown:
		if err := checkText(b); err != nil {
			return nil, err
		}
		return types.ParseText(t, string(b))
	case types.Jsonb:
		if len(b) < 1 {
			return nil, protocolViolation("insufficient data left in message")
		}
		if b[0] != 1 {
			return nil, types.Errorf("22P03", "unsupported jsonb version number %d", b[0])
		}
		if err := checkText(b[1:]); err != nil {
			return nil, err
		}
		return types.ParseText(t, string(b[1:]))
	case types.Bytea:
		return append([]byte{}, b...), nil
	case types.Date:
		if err := fixed(4); err != nil {
			return nil, err
		}
		days := int64(int32(binary.BigEndian.Uint32(b)))
		if days == math.MinInt32 || days == math.MaxInt32 {
			return nil, types.Errorf(types.CodeFeatureNotSupported, "infinite dates are not supported")
		}
		days += pgEpochDays
		if days > math.MaxInt32 {
			return nil, types.Errorf(types.CodeDatetimeFieldOverflow, "date out of range")
		}
		return types.DDate(days), nil
	case types.Timestamp, types.TimestampTZ:
		if err := fixed(8); err != nil {
			return nil, err
		}
		us := int64(binary.BigEndian.Uint64(b))
		if us == math.MinInt64 || us == math.MaxInt64 {
			return nil, types.Errorf(types.CodeFeatureNotSupported, "infinite timestamps are not supported")
		}
		if us > math.MaxInt64-pgEpochMicros {
			return nil, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range")
		}
		return types.DTimestamp(us + pgEpochMicros), nil
	case types.Interval:
		if err := fixed(16); err != nil {
			return nil, err
		}
		return types.DInterval{
			Micros: int64(binary.BigEndian.Uint64(b)),
			Days:   int32(binary.BigEndian.Uint32(b[8:])),
			Months: int32(binary.BigEndian.Uint32(b[12:])),
		}, nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "binary format is not supported for type %s", t)
}

// maxDecimalDigits is how many decimal digits a types.Decimal holds.
const maxDecimalDigits = 38

var bigNumericBase = big.NewInt(numericBase)

// decodeNumeric reads numeric's binary form (see appendNumeric). As in
// PostgreSQL, digits beyond the display scale are truncated away.
func decodeNumeric(b []byte) (types.Decimal, error) {
	if len(b) < 8 {
		return types.Decimal{}, protocolViolation("insufficient data left in message")
	}
	ndigits := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	switch {
	case len(b) < 8+2*ndigits:
		return types.Decimal{}, protocolViolation("insufficient data left in message")
	case len(b) > 8+2*ndigits:
		return types.Decimal{}, errBinaryTrailing
	}
	switch sign {
	case numericPos, numericNeg:
	case numericNaN, numericPInf, numericNInf:
		return types.Decimal{}, types.Errorf(types.CodeFeatureNotSupported, "numeric NaN and infinity are not supported")
	default:
		return types.Decimal{}, types.Errorf("22P03", `invalid sign in external "numeric" value`)
	}
	if dscale&numericDscaleMask != dscale {
		return types.Decimal{}, types.Errorf("22P03", `invalid scale in external "numeric" value`)
	}
	digits := make([]int, ndigits)
	for i := range digits {
		d := int(int16(binary.BigEndian.Uint16(b[8+2*i:])))
		if d < 0 || d >= numericBase {
			return types.Decimal{}, types.Errorf("22P03", `invalid digit in external "numeric" value`)
		}
		digits[i] = d
	}
	// Drop the digits that the display scale truncates: digit i covers
	// decimal exponents 4*(weight-i) .. 4*(weight-i)+3, and is wholly
	// below the scale when 4*(weight-i)+3 < -dscale.
	for len(digits) > 0 && 4*(weight-len(digits)+1)+3 < -dscale {
		digits = digits[:len(digits)-1]
	}
	// Leading zero digits carry nothing.
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	if len(digits) == 0 {
		return types.Decimal{Scale: int32(dscale)}, nil
	}
	// The value is big enough to overflow once its leading digit stands at
	// 10^(4*weight) with 4*weight+dscale >= 38; bail out before building
	// a huge number.
	if 4*weight+dscale >= maxDecimalDigits {
		return types.Decimal{}, errNumericOverflow
	}
	// coef = sum(digit[i] * 10000^(len-1-i)) * 10^(4*(weight-len+1) + dscale),
	// the last factor dividing (truncating) when its exponent is negative.
	coef := new(big.Int)
	for _, d := range digits {
		coef.Mul(coef, bigNumericBase)
		coef.Add(coef, big.NewInt(int64(d)))
	}
	exp := 4*(weight-len(digits)+1) + dscale
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
	if exp >= 0 {
		coef.Mul(coef, p)
	} else {
		coef.Quo(coef, p)
	}
	if coef.Cmp(maxDecimalCoef) > 0 {
		return types.Decimal{}, errNumericOverflow
	}
	if sign == numericNeg {
		coef.Neg(coef)
	}
	return types.Decimal{Coef: decimal128.FromBigInt(coef), Scale: int32(dscale)}, nil
}

var (
	errNumericOverflow = types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
	// maxDecimalCoef is the largest coefficient of 38 digits.
	maxDecimalCoef = func() *big.Int {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(maxDecimalDigits), nil)
		return p.Sub(p, big.NewInt(1))
	}()
)

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// checkText checks that b is text PostgreSQL would accept in a UTF8
// database: valid UTF-8 without NUL bytes. Its complaint names the bytes of
// the first bad character, as PostgreSQL's does.
func checkText(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c != 0 && c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if c != 0 && (r != utf8.RuneError || size > 1) {
			i += size
			continue
		}
		return invalidUTF8(b[i:])
	}
	return nil
}

// invalidUTF8 is PostgreSQL's 22021 error for text starting with a bad
// character: it shows as many bytes as the lead byte announces.
func invalidUTF8(b []byte) error {
	n := 1
	switch c := b[0]; {
	case c&0xE0 == 0xC0:
		n = 2
	case c&0xF0 == 0xE0:
		n = 3
	case c&0xF8 == 0xF0:
		n = 4
	}
	n = min(n, len(b))
	msg := make([]byte, 0, 5*n)
	for i, c := range b[:n] {
		if i > 0 {
			msg = append(msg, ' ')
		}
		msg = append(msg, '0', 'x', hexDigit(c>>4), hexDigit(c&0xf))
	}
	return types.Errorf("22021", `invalid byte sequence for encoding "UTF8": %s`, msg)
}

func hexDigit(c byte) byte { return "0123456789abcdef"[c] }

// isBinaryTrailing reports whether err is DecodeBinary's complaint about
// trailing bytes.
func isBinaryTrailing(err error) bool { return errors.Is(err, errBinaryTrailing) }
