package types

import (
	"bytes"
	"math"
	"testing"
)

func TestFormatText(t *testing.T) {
	ts, _ := ParseText(TTimestamp, "2024-03-01 12:34:56.5")
	iv, _ := ParseInterval("1 day 02:03:04")
	for _, c := range []struct {
		t    Type
		d    Datum
		want string
	}{
		{TBool, true, "t"},
		{TInt8, int64(-42), "-42"},
		{TFloat8, 0.1, "0.1"},
		{TFloat8, 1e15, "1e+15"},
		{TFloat8, 123456789012345.0, "123456789012345"},
		{TFloat8, 1e-5, "1e-05"},
		{TFloat8, 0.0001, "0.0001"},
		{TFloat8, math.Inf(1), "Infinity"},
		{TFloat4, 1234567.0, "1.234567e+06"},
		{TFloat4, 123456.0, "123456"},
		{TTimestamp, ts, "2024-03-01 12:34:56.5"},
		{TTimestampTZ, ts, "2024-03-01 12:34:56.5+00"},
		{TInterval, iv, "1 day 02:03:04"},
		{TInterval, DInterval{Months: 14}, "1 year 2 mons"},
		{TInterval, DInterval{}, "00:00:00"},
		{TInterval, DInterval{Micros: -10e6}, "-00:00:10"},
		{TBytea, []byte{0xde, 0xad}, `\xdead`},
		{TDate, DDate(19723), "2024-01-01"},
	} {
		if got := TextString(c.t, c.d); got != c.want {
			t.Errorf("FormatText(%s, %v) = %q, want %q", c.t, c.d, got, c.want)
		}
	}
}

func TestParseText(t *testing.T) {
	for _, c := range []struct {
		t    Type
		in   string
		want string
		code string
	}{
		{TInt4, " 12 ", "12", ""},
		{TInt4, "abc", "", CodeInvalidTextRepresent},
		{TInt2, "40000", "", CodeNumericValueOutOfRange},
		{TInt8, "99999999999999999999", "", CodeNumericValueOutOfRange},
		{TBool, "yes", "t", ""},
		{TNumeric, "1.50", "1.50", ""},
		{TNumeric, "-0.001", "-0.001", ""},
		{TNumeric, "1e3", "1000", ""},
		{Type{Family: Numeric, Precision: 5, Scale: 2}, "3.14159", "3.14", ""},
		{Type{Family: Numeric, Precision: 3, Scale: 2}, "31.4", "", CodeNumericValueOutOfRange},
		{TFloat8, "nan", "NaN", ""},
		{TTimestamp, "2024-01-01T00:00:01", "2024-01-01 00:00:01", ""},
		{TTimestamp, "2024-01-01", "2024-01-01 00:00:00", ""},
		{TTimestamp, "yesterday-ish", "", CodeInvalidDatetimeFormat},
		{TInterval, "10 seconds", "00:00:10", ""},
		{TInterval, "10 second", "00:00:10", ""},
		{TInterval, "1 hour 30 minutes", "01:30:00", ""},
		{TInterval, "2 days", "2 days", ""},
		{TInterval, "1.5 minutes", "00:01:30", ""},
		{Type{Family: Varchar, Width: 3}, "abcd", "", CodeStringDataRightTrunc},
	} {
		d, err := ParseText(c.t, c.in)
		if c.code != "" {
			if ErrorCode(err) != c.code {
				t.Errorf("ParseText(%s, %q): error %v, want code %s", c.t, c.in, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseText(%s, %q): %v", c.t, c.in, err)
			continue
		}
		if got := TextString(c.t, d); got != c.want {
			t.Errorf("ParseText(%s, %q) = %q, want %q", c.t, c.in, got, c.want)
		}
	}
}

func TestCast(t *testing.T) {
	for _, c := range []struct {
		d        Datum
		from, to Type
		want     string
		code     string
	}{
		{int64(7), TInt8, TFloat8, "7", ""},
		{2.5, TFloat8, TInt4, "2", ""},
		{3.5, TFloat8, TInt4, "4", ""},
		{int64(70000), TInt8, TInt2, "", CodeNumericValueOutOfRange},
		{"12", TText, TInt8, "12", ""},
		{Decimal{Coef: DecimalFromInt(25).Coef, Scale: 1}, TNumeric, TInt8, "3", ""},
		{int64(5), TInt8, TText, "5", ""},
		{0.908, TFloat8, TNumeric, "0.908", ""},
	} {
		d, err := Cast(c.d, c.from, c.to)
		if c.code != "" {
			if ErrorCode(err) != c.code {
				t.Errorf("Cast(%v, %s, %s): %v, want %s", c.d, c.from, c.to, err, c.code)
			}
			continue
		}
		if err != nil || TextString(c.to, d) != c.want {
			t.Errorf("Cast(%v, %s, %s) = %v, %v; want %s", c.d, c.from, c.to, TextString(c.to, d), err, c.want)
		}
	}
}

func TestRowRoundTrip(t *testing.T) {
	ts := []Type{TBool, TInt8, TFloat8, NumericOf(2), TText, TBytea, TDate, TTimestamp, TInterval, TInt4}
	d, _ := ParseDecimal("-12.34")
	row := []Datum{true, int64(-5), 2.5, d, "héllo", []byte{0, 1}, DDate(3), DTimestamp(-7), DInterval{1, 2, 3}, nil}
	got, err := DecodeRow(AppendRow(nil, ts, row), ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range row {
		if (row[i] == nil) != (got[i] == nil) || row[i] != nil && Compare(row[i], got[i]) != 0 {
			t.Errorf("column %d: got %v want %v", i, got[i], row[i])
		}
	}
	if _, err := DecodeRow(AppendRow(nil, ts, row)[:5], ts, nil); ErrorCode(err) != CodeDataCorrupted {
		t.Errorf("truncated row: %v", err)
	}
}

func TestKeyOrderAndRoundTrip(t *testing.T) {
	ts := []Type{TText, TTimestamp}
	a := AppendKey(AppendKey(nil, TText, "a", false), TTimestamp, DTimestamp(5), false)
	b := AppendKey(AppendKey(nil, TText, "a", false), TTimestamp, DTimestamp(6), false)
	if bytes.Compare(a, b) >= 0 {
		t.Fatal("keys out of order")
	}
	got, rest, err := DecodeKey(b, ts)
	if err != nil || len(rest) != 0 || got[0] != "a" || got[1] != DTimestamp(6) {
		t.Fatalf("DecodeKey = %v %v %v", got, rest, err)
	}
	n1, _ := ParseDecimal("-1.5")
	n2, _ := ParseDecimal("2.25")
	k1, k2 := AppendKey(nil, NumericOf(2), n1, false), AppendKey(nil, NumericOf(2), n2, false)
	if bytes.Compare(k1, k2) >= 0 {
		t.Fatal("numeric keys out of order")
	}
}
