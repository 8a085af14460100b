package types

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
)

// ParseText reads a value of type t from its PostgreSQL text form, as a
// string literal cast to t or a COPY field is read.
func ParseText(t Type, s string) (Datum, error) {
	switch t.Family {
	case Bool:
		return parseBool(s)
	case Int2, Int4, Int8:
		return parseInt(t, s)
	case Float4, Float8:
		return parseFloat(t, s)
	case Numeric:
		d, err := ParseDecimal(s)
		if err != nil {
			return nil, err
		}
		return FitNumeric(t, d)
	case Text, Jsonb, Unknown, Name:
		return s, nil
	case Char:
		if len(s) > 1 {
			return s[:1], nil
		}
		return s, nil
	case Oid:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v < 0 || v > 4294967295 {
			return nil, invalidInput(t, s)
		}
		return v, nil
	case Regclass, Regtype:
		// Names resolve against the catalog; the engine does that when it
		// compiles the cast. A number is an oid already.
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, Errorf(CodeUndefinedTable, "relation \"%s\" does not exist", s)
		}
		return v, nil
	case Varchar:
		if t.Width > 0 && int32(utf8.RuneCountInString(s)) > t.Width {
			return nil, Errorf(CodeStringDataRightTrunc, "value too long for type character varying(%d)", t.Width)
		}
		return s, nil
	case Bytea:
		if strings.HasPrefix(s, `\x`) {
			b, err := hex.DecodeString(s[2:])
			if err != nil {
				return nil, invalidInput(t, s)
			}
			return b, nil
		}
		return []byte(s), nil
	case Date:
		tm, err := time.Parse("2006-01-02", strings.TrimSpace(s))
		if err != nil {
			return nil, Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type date: %q", s)
		}
		return DDate(tm.Unix() / 86400), nil
	case Timestamp, TimestampTZ:
		return parseTimestamp(t, s)
	case Interval:
		return ParseInterval(s)
	}
	return nil, Errorf(CodeFeatureNotSupported, "cannot read values of type %s", t)
}

func invalidInput(t Type, s string) *Error {
	return Errorf(CodeInvalidTextRepresent, "invalid input syntax for type %s: %q", t, s)
}

func parseBool(s string) (Datum, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "tr", "tru", "true", "y", "ye", "yes", "on", "1":
		return true, nil
	case "f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0":
		return false, nil
	}
	return nil, invalidInput(TBool, s)
}

func parseInt(t Type, s string) (Datum, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, Errorf(CodeNumericValueOutOfRange, "value %q is out of range for type %s", s, t)
		}
		return nil, invalidInput(t, s)
	}
	return CheckIntRange(t, v)
}

// CheckIntRange fails when v does not fit t's width.
func CheckIntRange(t Type, v int64) (Datum, error) {
	switch t.Family {
	case Int2:
		if v < math.MinInt16 || v > math.MaxInt16 {
			return nil, Errorf(CodeNumericValueOutOfRange, "smallint out of range")
		}
	case Int4:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return nil, Errorf(CodeNumericValueOutOfRange, "integer out of range")
		}
	}
	return v, nil
}

func parseFloat(t Type, s string) (Datum, error) {
	trimmed := strings.TrimSpace(s)
	switch strings.ToLower(trimmed) {
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	bits := 64
	if t.Family == Float4 {
		bits = 32
	}
	v, err := strconv.ParseFloat(trimmed, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, Errorf(CodeNumericValueOutOfRange, "%q is out of range for type %s", s, t)
		}
		return nil, invalidInput(t, s)
	}
	return v, nil
}

// ParseDecimal reads a numeric literal, keeping the scale it is written
// with ("1.50" has scale 2).
func ParseDecimal(s string) (Decimal, error) {
	if d, ok := parseShortDecimal(s); ok {
		return d, nil
	}
	return parseDecimal(s)
}

// parseDecimal is ParseDecimal for every form.
func parseDecimal(s string) (Decimal, error) {
	str := strings.TrimSpace(s)
	mant, exp := str, 0
	if i := strings.IndexAny(str, "eE"); i >= 0 {
		e, err := strconv.Atoi(str[i+1:])
		if err != nil {
			return Decimal{}, invalidInput(TNumeric, s)
		}
		mant, exp = str[:i], e
	}
	neg := false
	if strings.HasPrefix(mant, "-") || strings.HasPrefix(mant, "+") {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" {
		return Decimal{}, invalidInput(TNumeric, s)
	}
	digits := intPart + frac
	for _, c := range digits {
		if c < '0' || c > '9' {
			return Decimal{}, invalidInput(TNumeric, s)
		}
	}
	scale := int32(len(frac) - exp)
	digits = strings.TrimLeft(digits, "0")
	if scale < 0 {
		digits += strings.Repeat("0", int(-scale))
		scale = 0
	}
	if len(digits) > 38 {
		return Decimal{}, Errorf(CodeNumericValueOutOfRange, "value %q overflows numeric", s)
	}
	var coef decimal128.Num
	for _, c := range digits {
		coef = coef.Mul(decimal128.FromI64(10)).Add(decimal128.FromI64(int64(c - '0')))
	}
	if neg {
		coef = coef.Negate()
	}
	return Decimal{Coef: coef, Scale: scale}, nil
}

// parseShortDecimal parses the plain form decimals are stored and
// exchanged in, [-]digits[.digits] with at most 18 digits, without
// allocating: numeric columns travel as text, so every value read from
// a chunk is parsed. ok is false for any other form, which ParseDecimal
// takes the long way.
func parseShortDecimal(s string) (d Decimal, ok bool) {
	i, neg := 0, false
	if len(s) > 0 && s[0] == '-' {
		i, neg = 1, true
	}
	var v int64
	digits, scale, point := 0, int32(0), false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
			digits++
			if point {
				scale++
			}
		case c == '.' && !point:
			point = true
		default:
			return Decimal{}, false
		}
	}
	if digits == 0 || digits > 18 {
		return Decimal{}, false
	}
	if neg {
		v = -v
	}
	return Decimal{Coef: decimal128.FromI64(v), Scale: scale}, true
}

// FitNumeric rounds d to t's scale and checks t's precision.
func FitNumeric(t Type, d Decimal) (Datum, error) {
	if t.Precision == 0 {
		// An unconstrained numeric keeps the scale the value has.
		return d, nil
	}
	r := d.Rescale(t.Scale)
	if !r.Coef.FitsInPrecision(t.Precision) {
		return nil, Errorf(CodeNumericValueOutOfRange, "numeric field overflow")
	}
	return r, nil
}

var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

var zoneLayouts = []string{"Z07:00", "Z07", "Z0700", " Z07:00", " Z07", " MST"}

func parseTimestamp(t Type, s string) (Datum, error) {
	str := strings.TrimSpace(s)
	for _, l := range timestampLayouts {
		if tm, err := time.Parse(l, str); err == nil {
			return DTimestamp(tm.UnixMicro()), nil
		}
		for _, z := range zoneLayouts {
			if tm, err := time.Parse(l+z, str); err == nil {
				if t.Family == Timestamp {
					// PostgreSQL ignores a zone in a timestamp without time zone.
					y, mo, d := tm.Date()
					h, mi, sec := tm.Clock()
					tm = time.Date(y, mo, d, h, mi, sec, tm.Nanosecond(), time.UTC)
				}
				return DTimestamp(tm.UnixMicro()), nil
			}
		}
	}
	return nil, Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type %s: %q", t, s)
}

var intervalUnits = map[string]DInterval{
	"microsecond": {Micros: 1}, "microseconds": {Micros: 1}, "us": {Micros: 1}, "usec": {Micros: 1}, "usecs": {Micros: 1},
	"millisecond": {Micros: 1e3}, "milliseconds": {Micros: 1e3}, "ms": {Micros: 1e3}, "msec": {Micros: 1e3}, "msecs": {Micros: 1e3},
	"second": {Micros: 1e6}, "seconds": {Micros: 1e6}, "sec": {Micros: 1e6}, "secs": {Micros: 1e6}, "s": {Micros: 1e6},
	"minute": {Micros: 60e6}, "minutes": {Micros: 60e6}, "min": {Micros: 60e6}, "mins": {Micros: 60e6}, "m": {Micros: 60e6},
	"hour": {Micros: 3600e6}, "hours": {Micros: 3600e6}, "hr": {Micros: 3600e6}, "hrs": {Micros: 3600e6}, "h": {Micros: 3600e6},
	"day": {Days: 1}, "days": {Days: 1}, "d": {Days: 1},
	"week": {Days: 7}, "weeks": {Days: 7}, "w": {Days: 7},
	"month": {Months: 1}, "months": {Months: 1}, "mon": {Months: 1}, "mons": {Months: 1},
	"year": {Months: 12}, "years": {Months: 12}, "y": {Months: 12}, "yr": {Months: 12}, "yrs": {Months: 12},
}

// ParseInterval reads PostgreSQL's interval input: "10 seconds",
// "1 day 02:00:00", "-5 minutes", "00:00:10", a bare number of seconds, and
// the "@ ... ago" form.
func ParseInterval(s string) (DInterval, error) {
	fields := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(fields) > 0 && fields[0] == "@" {
		fields = fields[1:]
	}
	ago := false
	if n := len(fields); n > 0 && fields[n-1] == "ago" {
		ago, fields = true, fields[:n-1]
	}
	if len(fields) == 0 {
		return DInterval{}, Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	var out DInterval
	bad := func() (DInterval, error) {
		return DInterval{}, Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			us, ok := parseClock(f)
			if !ok {
				return bad()
			}
			out.Micros += us
			continue
		}
		// A number, possibly glued to its unit ("10s").
		j := 0
		for j < len(f) && (f[j] == '-' || f[j] == '+' || f[j] == '.' || (f[j] >= '0' && f[j] <= '9')) {
			j++
		}
		num, unit := f[:j], f[j:]
		if num == "" {
			return bad()
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return bad()
		}
		if unit == "" && i+1 < len(fields) {
			if _, ok := intervalUnits[fields[i+1]]; ok {
				unit = fields[i+1]
				i++
			}
		}
		if unit == "" {
			unit = "second"
		}
		u, ok := intervalUnits[unit]
		if !ok {
			return bad()
		}
		switch {
		case u.Months != 0:
			whole := math.Trunc(n * float64(u.Months))
			out.Months += int32(whole)
			out.Days += int32(math.Round((n*float64(u.Months) - whole) * 30))
		case u.Days != 0:
			whole := math.Trunc(n * float64(u.Days))
			out.Days += int32(whole)
			out.Micros += int64(math.Round((n*float64(u.Days) - whole) * 86400e6))
		default:
			out.Micros += int64(math.Round(n * float64(u.Micros)))
		}
	}
	if ago {
		out = DInterval{Months: -out.Months, Days: -out.Days, Micros: -out.Micros}
	}
	return out, nil
}

// parseClock reads [-]hh:mm[:ss[.ffffff]] as microseconds.
func parseClock(f string) (int64, bool) {
	neg := strings.HasPrefix(f, "-")
	f = strings.TrimLeft(f, "+-")
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	us := (h*60 + m) * 60e6
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			return 0, false
		}
		us += int64(math.Round(sec * 1e6))
	}
	if neg {
		us = -us
	}
	return us, true
}
