package pgwire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/weir-db/weir/types"
)

func mustDecimal(t testing.TB, s string) types.Decimal {
	t.Helper()
	d, err := types.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestBinaryGolden checks encodings against what PostgreSQL 15 sends for
// the same values (SELECT ... with binary result format).
func TestBinaryGolden(t *testing.T) {
	for _, tc := range []struct {
		typ  types.Type
		val  types.Datum
		want string
	}{
		{types.TNumeric, mustDecimal(t, "1.5"), "\x00\x02\x00\x00\x00\x00\x00\x01\x00\x01\x13\x88"},
		{types.TNumeric, mustDecimal(t, "12345678.000100"), "\x00\x03\x00\x01\x00\x00\x00\x06\x04\xd2\x16.\x00\x01"},
		{types.TNumeric, mustDecimal(t, "-0.00001"), "\x00\x01\xff\xfe@\x00\x00\x05\x03\xe8"},
		{types.TNumeric, mustDecimal(t, "0.000"), "\x00\x00\x00\x00\x00\x00\x00\x03"},
		{types.TNumeric, mustDecimal(t, "10000"), "\x00\x01\x00\x01\x00\x00\x00\x00\x00\x01"},
		{types.TNumeric, mustDecimal(t, "0.0001"), "\x00\x01\xff\xff\x00\x00\x00\x04\x00\x01"},
		{types.TNumeric, mustDecimal(t, "123456789012345678901234567890.12345678"),
			"\x00\n\x00\a\x00\x00\x00\b\x00\f\r\x80\x1e\xd2\x04\xd2\x16.#4\r\x80\x1e\xd2\x04\xd2\x16."},
		{types.TNumeric, mustDecimal(t, "0"), "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{types.TDate, types.DDate(10958), "\x00\x00\x00\x01"},
		{types.TDate, types.DDate(0), "\xff\xff\xd53"},
		{types.TTimestamp, types.DTimestamp(946684801000000), "\x00\x00\x00\x00\x00\x0fB@"},
		{types.TTimestampTZ, types.DTimestamp(0), "\xff\xfc\xa2\xfe\xc4\xc8 \x00"},
		{types.TInterval, types.DInterval{Months: 1, Days: 2, Micros: 3e6}, "\x00\x00\x00\x00\x00-\xc6\xc0\x00\x00\x00\x02\x00\x00\x00\x01"},
		{types.TInterval, types.DInterval{Months: -12, Micros: -3}, "\xff\xff\xff\xff\xff\xff\xff\xfd\x00\x00\x00\x00\xff\xff\xff\xf4"},
		{types.TJsonb, `{"a": 1}`, "\x01{\"a\": 1}"},
		{types.TFloat4, 1.5, "?\xc0\x00\x00"},
		{types.TBool, true, "\x01"},
		{types.TBytea, []byte("x"), "x"},
		{types.Type{Family: types.Varchar, Width: 5}, "héllo", "héllo"},
		{types.TInt2, int64(-2), "\xff\xfe"},
		{types.TInt4, int64(42), "\x00\x00\x00*"},
		{types.TInt8, int64(-1), "\xff\xff\xff\xff\xff\xff\xff\xff"},
		{types.TFloat8, -0.5, "\xbf\xe0\x00\x00\x00\x00\x00\x00"},
	} {
		name := fmt.Sprintf("%s %s", tc.typ, types.TextString(tc.typ, tc.val))
		got, err := AppendBinary(nil, tc.typ, tc.val)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s: encoded %q, want %q", name, got, tc.want)
		}
		back, err := DecodeBinary(tc.typ, []byte(tc.want))
		if err != nil {
			t.Errorf("%s: decoding: %v", name, err)
			continue
		}
		if !datumsEqual(back, tc.val) {
			t.Errorf("%s: decoded %v", name, types.TextString(tc.typ, back))
		}
	}
}

// TestDecodeNumericGolden: binary numerics PostgreSQL accepts, with the
// text it prints for them, and those it refuses.
func TestDecodeNumericGolden(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"\x00\x02\x00\x00\x00\x00\x00\x02\x00\x01\x13\x88", "1.50"},
		{"\x00\x02\x00\x01\x00\x00\x00\x02\x00\x01\x13\x88", "15000.00"},
		{"\x00\x02\x00\x01\x00\x00\x00\x00\x00\x01\x13\x88", "15000"},
		// Digits below the display scale are truncated, as PostgreSQL does.
		{"\x00\x01\xff\xfe\x00\x00\x00\x05\x00\x01", "0.00000"},
		{"\x00\x02\x00\x00\x40\x00\x00\x01\x00\x01\x13\x88", "-1.5"},
		{"\x00\x02\x00\x00\x40\x00\x00\x00\x00\x01\x13\x88", "-1"},
		// Leading and trailing zero digits are allowed.
		{"\x00\x03\x00\x01\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00", "7"},
		{"\x00\x00\x00\x05\x00\x00\x00\x02", "0.00"},
		// 38 digits fit.
		{"\x00\x0a\x00\x09\x00\x00\x00\x00\x00\x63" + strings.Repeat("\x27\x0f", 9), "99999999999999999999999999999999999999"},
	} {
		d, err := DecodeBinary(types.TNumeric, []byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := types.TextString(types.TNumeric, d); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in, code, msg string
	}{
		{"\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10", "22P03", `invalid digit in external "numeric" value`},
		{"\x00\x01\x00\x00\x01\x00\x00\x00\x27\x0f", "22P03", `invalid sign in external "numeric" value`},
		{"\x00\x01\x00\x00\x00\x00\x40\x00\x27\x0f", "22P03", `invalid scale in external "numeric" value`},
		{"\x00\x00\x00\x00\xc0\x00\x00\x00", "0A000", "numeric NaN and infinity are not supported"},
		{"\x00\x00\x00\x00\xd0\x00\x00\x00", "0A000", "numeric NaN and infinity are not supported"},
		{"\x00\x01\x00\x00\x00\x00\x00\x00", "08P01", "insufficient data left in message"},
		{"\x00\x00\x00\x00\x00\x00\x00", "08P01", "insufficient data left in message"},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x00", "22P03", "incorrect binary data format"},
		// 10^38 and up overflow.
		{"\x00\x01\x00\x09\x00\x00\x00\x00\x00\x64", "22003", "value overflows numeric format"},
		{"\x00\x01\x7f\xff\x00\x00\x00\x00\x00\x01", "22003", "value overflows numeric format"},
		{"\x00\x0a\x00\x09\x00\x00\x00\x01" + strings.Repeat("\x27\x0f", 9) + "\x03\xe7", "22003", "value overflows numeric format"},
	} {
		_, err := DecodeBinary(types.TNumeric, []byte(tc.in))
		if e := types.AsError(err); err == nil || e.Code != tc.code || e.Message != tc.msg {
			t.Errorf("%q: got %v, want %s %s", tc.in, err, tc.code, tc.msg)
		}
	}
}

func TestDecodeBinaryErrors(t *testing.T) {
	for _, tc := range []struct {
		typ       types.Type
		in        string
		code, msg string
	}{
		{types.TInt4, "\x00\x00\x00", "08P01", "insufficient data left in message"},
		{types.TInt4, "\x00\x00\x00\x00\x00", "22P03", "incorrect binary data format"},
		{types.TBool, "", "08P01", "insufficient data left in message"},
		{types.TText, "a\xffb", "22021", `invalid byte sequence for encoding "UTF8": 0xff`},
		{types.TText, "\xe2\x82", "22021", `invalid byte sequence for encoding "UTF8": 0xe2 0x82`},
		{types.TText, "a\x00", "22021", `invalid byte sequence for encoding "UTF8": 0x00`},
		{types.Type{Family: types.Varchar, Width: 2}, "abc", "22001", "value too long for type character varying(2)"},
		{types.TJsonb, "\x02{}", "22P03", "unsupported jsonb version number 2"},
		{types.TJsonb, "", "08P01", "insufficient data left in message"},
		{types.TDate, "\x7f\xff\xff\xff", "0A000", "infinite dates are not supported"},
		{types.TDate, "\x7f\xff\xff\xfe", "22008", "date out of range"},
		{types.TTimestamp, "\x7f\xff\xff\xff\xff\xff\xff\xff", "0A000", "infinite timestamps are not supported"},
		{types.TTimestamp, "\x7f\xff\xff\xff\xff\xff\xff\xfe", "22008", "timestamp out of range"},
		{types.TInterval, strings.Repeat("\x00", 15), "08P01", "insufficient data left in message"},
	} {
		_, err := DecodeBinary(tc.typ, []byte(tc.in))
		if e := types.AsError(err); err == nil || e.Code != tc.code || e.Message != tc.msg {
			t.Errorf("%s %q: got %v, want %s %s", tc.typ, tc.in, err, tc.code, tc.msg)
		}
	}
}

func TestAppendBinaryErrors(t *testing.T) {
	for _, tc := range []struct {
		typ  types.Type
		val  types.Datum
		code string
	}{
		{types.TInt2, int64(40000), "22003"},
		{types.TInt4, int64(math.MaxInt32 + 1), "22003"},
		{types.TInt4, "1", "XX000"},
		{types.TDate, types.DDate(math.MinInt32), "22008"},
		{types.TTimestamp, types.DTimestamp(math.MinInt64 + 5), "22008"},
	} {
		buf := []byte("keep")
		got, err := AppendBinary(buf, tc.typ, tc.val)
		if types.ErrorCode(err) != tc.code || err == nil {
			t.Errorf("%s %v: got %v, want %s", tc.typ, tc.val, err, tc.code)
		}
		if string(got) != "keep" {
			t.Errorf("%s %v: buffer changed to %q", tc.typ, tc.val, got)
		}
	}
}

// naiveNumeric encodes d as PostgreSQL's numeric_send would, the obvious
// way: pad the digit string to whole base-10000 digits on both sides of the
// point, cut it in fours, strip zero digits.
func naiveNumeric(d types.Decimal) []byte {
	s := d.String() // [-]int[.frac]
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	for len(intPart)%4 != 0 {
		intPart = "0" + intPart
	}
	dscale := len(frac)
	for len(frac)%4 != 0 {
		frac += "0"
	}
	all := intPart + frac
	var groups []int
	for i := 0; i < len(all); i += 4 {
		var g int
		fmt.Sscanf(all[i:i+4], "%d", &g)
		groups = append(groups, g)
	}
	weight := len(intPart)/4 - 1
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	sign := 0
	if len(groups) == 0 {
		weight = 0
	} else if neg {
		sign = numericNeg
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(groups)))
	out = binary.BigEndian.AppendUint16(out, uint16(int16(weight)))
	out = binary.BigEndian.AppendUint16(out, uint16(sign))
	out = binary.BigEndian.AppendUint16(out, uint16(dscale))
	for _, g := range groups {
		out = binary.BigEndian.AppendUint16(out, uint16(g))
	}
	return out
}

// randomDecimal makes a numeric of 0 to 38 random digits and scale 0 to 20.
func randomDecimal(rng *rand.Rand) types.Decimal {
	n := rng.IntN(39)
	var b strings.Builder
	if rng.IntN(2) == 0 {
		b.WriteByte('-')
	}
	for range n {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	digits := b.String()
	if strings.TrimPrefix(digits, "-") == "" {
		digits += "0"
	}
	d, err := types.ParseDecimal(digits)
	if err != nil {
		panic(err)
	}
	scale := int32(rng.IntN(21))
	d.Scale = scale // reinterpret the digits with this scale
	return d
}

// TestNumericAgainstNaive compares the numeric encoder with naiveNumeric,
// and checks the round trip, on random values.
func TestNumericAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		d := randomDecimal(rng)
		got, err := AppendBinary(nil, types.TNumeric, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveNumeric(d); !bytes.Equal(got, want) {
			t.Fatalf("case %d: %s (scale %d) encoded %x, want %x", i, d, d.Scale, got, want)
		}
		back, err := DecodeBinary(types.TNumeric, got)
		if err != nil {
			t.Fatalf("case %d: %s: %v", i, d, err)
		}
		if b := back.(types.Decimal); b.Scale != d.Scale || types.CompareDecimal(b, d) != 0 {
			t.Fatalf("case %d: %s came back as %s", i, d, b)
		}
	}
}

// roundTripTypes are the types the round trip tests cover, with a random
// value generator each.
var roundTripTypes = []struct {
	typ  types.Type
	rand func(*rand.Rand) types.Datum
}{
	{types.TBool, func(r *rand.Rand) types.Datum { return r.IntN(2) == 0 }},
	{types.TInt2, func(r *rand.Rand) types.Datum { return int64(int16(r.Uint32())) }},
	{types.TInt4, func(r *rand.Rand) types.Datum { return int64(int32(r.Uint32())) }},
	{types.TInt8, func(r *rand.Rand) types.Datum { return int64(r.Uint64()) }},
	{types.TFloat4, func(r *rand.Rand) types.Datum { return float64(math.Float32frombits(r.Uint32())) }},
	{types.TFloat8, func(r *rand.Rand) types.Datum { return math.Float64frombits(r.Uint64()) }},
	{types.TNumeric, func(r *rand.Rand) types.Datum { return randomDecimal(r) }},
	{types.TText, func(r *rand.Rand) types.Datum { return randomText(r) }},
	{types.TVarchar, func(r *rand.Rand) types.Datum { return randomText(r) }},
	{types.TUnknown, func(r *rand.Rand) types.Datum { return randomText(r) }},
	{types.TJsonb, func(r *rand.Rand) types.Datum { return `{"k": "` + randomText(r) + `"}` }},
	{types.TBytea, func(r *rand.Rand) types.Datum {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}},
	{types.TDate, func(r *rand.Rand) types.Datum { return types.DDate(int32(r.Uint32()) / 2) }},
	{types.TTimestamp, func(r *rand.Rand) types.Datum { return types.DTimestamp(int64(r.Uint64()) / 2) }},
	{types.TTimestampTZ, func(r *rand.Rand) types.Datum { return types.DTimestamp(int64(r.Uint64()) / 2) }},
	{types.TInterval, func(r *rand.Rand) types.Datum {
		return types.DInterval{Months: int32(r.Uint32()), Days: int32(r.Uint32()), Micros: int64(r.Uint64())}
	}},
}

func randomText(r *rand.Rand) string {
	runes := []rune{'a', 'z', ' ', 'é', '€', '😀', '"', '\\', '\n'}
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteRune(runes[r.IntN(len(runes))])
	}
	return b.String()
}

func TestBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range roundTripTypes {
		for range 2000 {
			d := tc.rand(rng)
			enc, err := AppendBinary(nil, tc.typ, d)
			if err != nil {
				t.Fatalf("%s %v: %v", tc.typ, d, err)
			}
			back, err := DecodeBinary(tc.typ, enc)
			if err != nil {
				t.Fatalf("%s %v: decoding %x: %v", tc.typ, d, enc, err)
			}
			if !datumsEqual(back, d) {
				t.Fatalf("%s: %#v came back as %#v", tc.typ, d, back)
			}
		}
	}
}

// datumsEqual compares datums of one family; NaNs are equal, and numerics
// must have the same scale too.
func datumsEqual(a, b types.Datum) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y))
	case types.Decimal:
		y, ok := b.(types.Decimal)
		return ok && x.Scale == y.Scale && types.CompareDecimal(x, y) == 0
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	return a == b
}

// FuzzDecodeBinary feeds arbitrary bytes to every type's decoder: it must
// not panic, and what it accepts must encode to bytes that decode to the
// same value.
func FuzzDecodeBinary(f *testing.F) {
	f.Add(uint8(types.Numeric), []byte("\x00\x02\x00\x00\x00\x00\x00\x01\x00\x01\x13\x88"))
	f.Add(uint8(types.Numeric), []byte("\x00\x01\xff\xfe\x00\x00\x00\x05\x00\x01"))
	f.Add(uint8(types.Numeric), []byte("\x00\x0a\x00\x09\x00\x00\x00\x00"+strings.Repeat("\x27\x0f", 10)))
	f.Add(uint8(types.Interval), []byte(strings.Repeat("\x01", 16)))
	f.Add(uint8(types.Jsonb), []byte("\x01{}"))
	f.Add(uint8(types.Text), []byte("h\xc3\xa9"))
	f.Add(uint8(types.Date), []byte("\x00\x00\x00\x01"))
	f.Add(uint8(types.Timestamp), []byte("\x00\x00\x00\x00\x00\x0fB@"))
	f.Fuzz(func(t *testing.T, family uint8, data []byte) {
		typ := types.Type{Family: types.Family(family % uint8(types.Jsonb+1))}
		d, err := DecodeBinary(typ, data)
		if err != nil {
			if _, ok := err.(*types.Error); !ok {
				t.Fatalf("%s: error %v is not a *types.Error", typ, err)
			}
			return
		}
		enc, err := AppendBinary(nil, typ, d)
		if err != nil {
			t.Fatalf("%s %q decoded to %#v, which does not encode: %v", typ, data, d, err)
		}
		back, err := DecodeBinary(typ, enc)
		if err != nil || !datumsEqual(back, d) {
			t.Fatalf("%s %q decoded to %#v, re-encoded %q, decoded to %#v (%v)", typ, data, d, enc, back, err)
		}
	})
}
