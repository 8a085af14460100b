package types

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatText appends PostgreSQL's text output form of d (which must not be
// nil) to buf, as a server in DateStyle ISO and TimeZone UTC prints it.
func FormatText(buf []byte, t Type, d Datum) []byte {
	switch v := d.(type) {
	case bool:
		if v {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case float64:
		if t.Family == Float4 {
			return appendFloat(buf, v, 32)
		}
		return appendFloat(buf, v, 64)
	case Decimal:
		return append(buf, v.String()...)
	case string:
		return append(buf, v...)
	case []byte:
		buf = append(buf, `\x`...)
		return hex.AppendEncode(buf, v)
	case DDate:
		return appendDate(buf, v)
	case DTimestamp:
		buf = appendTimestamp(buf, v)
		if t.Family == TimestampTZ {
			buf = append(buf, "+00"...)
		}
		return buf
	case DInterval:
		return appendInterval(buf, v)
	}
	return fmt.Appendf(buf, "%v", d)
}

// TextString is FormatText as a string, with "NULL" for nil (for messages
// and tests; the wire sends NULL as a null field).
func TextString(t Type, d Datum) string {
	if d == nil {
		return "NULL"
	}
	return string(FormatText(nil, t, d))
}

// appendFloat prints the shortest decimal that reads back as v, in fixed
// notation when the decimal exponent is in [-4, 15) for double precision
// ([-4, 6) for real) and in exponent notation otherwise, as PostgreSQL 12+
// does.
func appendFloat(buf []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(buf, "NaN"...)
	case math.IsInf(v, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(v, -1):
		return append(buf, "-Infinity"...)
	case v == 0:
		if math.Signbit(v) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	e := strconv.FormatFloat(v, 'e', -1, bits)
	i := strings.LastIndexByte(e, 'e')
	exp, _ := strconv.Atoi(e[i+1:])
	hi := 15
	if bits == 32 {
		hi = 6
	}
	if exp >= -4 && exp < hi {
		return strconv.AppendFloat(buf, v, 'f', -1, bits)
	}
	return append(buf, e...)
}

func appendDate(buf []byte, d DDate) []byte {
	return time.Unix(int64(d)*86400, 0).UTC().AppendFormat(buf, "2006-01-02")
}

func appendTimestamp(buf []byte, ts DTimestamp) []byte {
	tm := time.UnixMicro(int64(ts)).UTC()
	buf = tm.AppendFormat(buf, "2006-01-02 15:04:05")
	if us := tm.Nanosecond() / 1000; us != 0 {
		frac := fmt.Sprintf(".%06d", us)
		buf = append(buf, strings.TrimRight(frac, "0")...)
	}
	return buf
}

func appendInterval(buf []byte, v DInterval) []byte {
	start := len(buf)
	part := func(n int64, unit string) {
		if n == 0 {
			return
		}
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		buf = strconv.AppendInt(buf, n, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if n != 1 && n != -1 {
			buf = append(buf, 's')
		}
	}
	part(int64(v.Months/12), "year")
	part(int64(v.Months%12), "mon")
	part(int64(v.Days), "day")
	if v.Micros != 0 || len(buf) == start {
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		us := v.Micros
		if us < 0 {
			buf = append(buf, '-')
			us = -us
		}
		h, m, s, f := us/3600e6, us/60e6%60, us/1e6%60, us%1e6
		buf = fmt.Appendf(buf, "%02d:%02d:%02d", h, m, s)
		if f != 0 {
			buf = append(buf, strings.TrimRight(fmt.Sprintf(".%06d", f), "0")...)
		}
	}
	return buf
}
