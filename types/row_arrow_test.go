package types

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// TestAppendRowToMatchesDatums: decoding a row's encoding straight into
// Arrow builders gives the same values as decoding it into datums and
// appending those, for every type and NULLs; DecodeColumn reads any one
// column alike.
func TestAppendRowToMatchesDatums(t *testing.T) {
	ts := []Type{TBool, TInt2, TInt4, TInt8, TFloat4, TFloat8, NumericOf(2), {Family: Numeric, Scale: -1}, TText, TBytea,
		TDate, TTimestamp, TInterval, TJsonb}
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 200; trial++ {
		d1, _ := ParseDecimal(fmt.Sprintf("%d.25", rng.Intn(1000)))
		d2, _ := ParseDecimal(fmt.Sprintf("-%d.125", rng.Intn(1000)))
		row := []Datum{rng.Intn(2) == 0, int64(rng.Intn(100)), int64(rng.Intn(1 << 20)), rng.Int63() - rng.Int63(),
			float64(rng.Intn(100)) / 4, rng.NormFloat64(), d1, d2, fmt.Sprint("s", rng.Intn(9)), []byte{byte(rng.Intn(256))},
			DDate(rng.Intn(20000)), DTimestamp(rng.Int63n(1 << 50)), DInterval{Months: 1, Days: int32(rng.Intn(30)), Micros: rng.Int63n(1e9)}, `{"a": 1}`}
		for i := range row {
			if rng.Intn(5) == 0 {
				row[i] = nil
			}
		}
		enc := AppendRow(nil, ts, row)
		a, b := builders(ts), builders(ts)
		if rest, err := AppendRowTo(enc, ts, a, nil); err != nil || len(rest) != 0 {
			t.Fatal(err, len(rest))
		}
		dec, err := DecodeRow(enc, ts, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range dec {
			AppendDatum(b[i], ts[i], d)
		}
		arrs := make([]arrow.Array, len(ts))
		for i := range ts {
			x, y := a[i].NewArray(), b[i].NewArray()
			arrs[i] = x
			if !array.Equal(x, y) {
				t.Fatalf("trial %d column %d (%s): direct %v, via datums %v", trial, i, ts[i], x, y)
			}
			c, err := DecodeColumn(enc, ts, i)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(c) != fmt.Sprint(dec[i]) {
				t.Fatalf("trial %d: DecodeColumn(%d) = %v, want %v", trial, i, c, dec[i])
			}
		}
		if back := AppendRowFrom(nil, ts, arrs, 0); string(back) != string(enc) {
			t.Fatalf("trial %d: AppendRowFrom encodes %x, AppendRow %x", trial, back, enc)
		}
	}
	if _, err := AppendRowTo([]byte{1, 0x80}, []Type{TInt8}, builders([]Type{TInt8}), nil); err == nil {
		t.Fatal("a truncated varint decoded")
	}
}

func builders(ts []Type) []array.Builder {
	out := make([]array.Builder, len(ts))
	for i, t := range ts {
		out[i] = array.NewBuilder(memory.DefaultAllocator, t.ArrowType())
	}
	return out
}
