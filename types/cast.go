package types

import (
	"math"
	"time"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
)

// Cast converts d from type `from` to type `to` with PostgreSQL's rules
// (rounding, range checks, text forms). NULL casts to NULL.
func Cast(d Datum, from, to Type) (Datum, error) {
	if d == nil {
		return nil, nil
	}
	if from.Family == to.Family && to.Family != Numeric && to.Family != Varchar {
		return d, nil
	}
	switch to.Family {
	case Text, Jsonb:
		return string(FormatText(nil, from, d)), nil
	case Varchar:
		s := d
		if _, ok := d.(string); !ok {
			s = string(FormatText(nil, from, d))
		}
		if to.Width > 0 {
			// An explicit cast to varchar(n) truncates, as in PostgreSQL.
			r := []rune(s.(string))
			if int32(len(r)) > to.Width {
				return string(r[:to.Width]), nil
			}
		}
		return s, nil
	}
	if s, ok := d.(string); ok {
		return ParseText(to, s)
	}
	switch v := d.(type) {
	case int64:
		switch to.Family {
		case Int2, Int4, Int8:
			return CheckIntRange(to, v)
		case Oid, Regclass, Regtype:
			if v < 0 || v > 4294967295 {
				return nil, Errorf(CodeNumericValueOutOfRange, "OID out of range")
			}
			return v, nil
		case Float4, Float8:
			return float64(v), nil
		case Numeric:
			return FitNumeric(to, DecimalFromInt(v))
		case Bool:
			if from.Family == Int4 {
				return v != 0, nil
			}
		}
	case float64:
		switch to.Family {
		case Int2, Int4, Int8:
			if math.IsNaN(v) || math.IsInf(v, 0) || v >= 9.223372036854775807e18 || v < -9.223372036854775808e18 {
				return nil, Errorf(CodeNumericValueOutOfRange, "%s out of range", to)
			}
			return CheckIntRange(to, int64(math.RoundToEven(v)))
		case Float4:
			return float64(float32(v)), nil
		case Float8:
			return v, nil
		case Numeric:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, Errorf(CodeFeatureNotSupported, "cannot convert %v to numeric", v)
			}
			scale := to.Scale
			if to.Precision == 0 && scale == 0 {
				scale = floatScale(v)
			}
			n, err := decimal128.FromFloat64(v, 38, scale)
			if err != nil {
				return nil, Errorf(CodeNumericValueOutOfRange, "numeric field overflow")
			}
			return FitNumeric(to, Decimal{Coef: n, Scale: scale})
		}
	case Decimal:
		switch to.Family {
		case Int2, Int4, Int8:
			r := v.Rescale(0)
			if !r.Coef.FitsInPrecision(19) || r.Coef.BigInt().IsInt64() == false {
				return nil, Errorf(CodeNumericValueOutOfRange, "%s out of range", to)
			}
			return CheckIntRange(to, r.Coef.BigInt().Int64())
		case Float4, Float8:
			return v.Float64(), nil
		case Numeric:
			return FitNumeric(to, v)
		}
	case bool:
		if to.Family == Int4 {
			if v {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case DDate:
		switch to.Family {
		case Timestamp, TimestampTZ:
			return DTimestamp(int64(v) * 86400e6), nil
		}
	case DTimestamp:
		switch to.Family {
		case Timestamp, TimestampTZ:
			return v, nil
		case Date:
			return DDate(time.UnixMicro(int64(v)).UTC().Unix() / 86400), nil
		}
	}
	return nil, Errorf(CodeFeatureNotSupported, "cannot cast type %s to %s", from, to)
}

// floatScale is the number of decimal places in v's shortest form, capped
// so the result fits a numeric.
func floatScale(v float64) int32 {
	s := string(appendFloat(nil, v, 64))
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			n := int32(0)
			for j := i + 1; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
				n++
			}
			return min(n, 15)
		}
	}
	return 0
}

// CanCastImplicitly reports whether PostgreSQL converts from → to without an
// explicit cast (assignment and function argument coercion).
func CanCastImplicitly(from, to Type) bool {
	if from.Family == to.Family || from.Family == Unknown {
		return true
	}
	rank := func(t Type) int {
		switch t.Family {
		case Int2:
			return 1
		case Int4:
			return 2
		case Int8:
			return 3
		case Numeric:
			return 4
		case Float4:
			return 5
		case Float8:
			return 6
		}
		return 0
	}
	if rf, rt := rank(from), rank(to); rf > 0 && rt > 0 {
		return rf <= rt
	}
	oidLike := func(t Type) bool { return t.Family == Oid || t.Family == Regclass || t.Family == Regtype }
	switch {
	case oidLike(from) && (oidLike(to) || to.Family == Int8):
		return true
	case from.IsInteger() && oidLike(to):
		return true
	case from.IsString() && to.IsString():
		return true
	case from.Family == Date && to.IsTime():
		return true
	case from.IsTime() && to.IsTime():
		return true
	}
	return false
}
