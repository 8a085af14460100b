package encoding

import (
	"bytes"
	"math"
	"math/rand"
	"sort"
	"testing"
)

func TestIntOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	vals := []int64{math.MinInt64, -1, 0, 1, math.MaxInt64}
	for i := 0; i < 200; i++ {
		vals = append(vals, rng.Int63()-rng.Int63())
	}
	checkOrder(t, len(vals), func(i int) []byte { return AppendInt(nil, vals[i]) },
		func(i, j int) bool { return vals[i] < vals[j] })
	for _, v := range vals {
		k, got, _, _, rest, err := Decode(AppendInt(nil, v))
		if err != nil || k != KindInt || got != v || len(rest) != 0 {
			t.Fatalf("round trip %d: got %d %v", v, got, err)
		}
	}
}

func TestFloatOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -1e300, -1.5, -1e-300, 0, 1e-300, 2.5, 1e300, math.Inf(1)}
	checkOrder(t, len(vals), func(i int) []byte { return AppendFloat(nil, vals[i]) },
		func(i, j int) bool { return vals[i] < vals[j] })
	nan := AppendFloat(nil, math.NaN())
	if bytes.Compare(nan, AppendFloat(nil, math.Inf(1))) <= 0 {
		t.Fatal("NaN must sort above +Inf")
	}
	if !bytes.Equal(AppendFloat(nil, math.Copysign(0, -1)), AppendFloat(nil, 0)) {
		t.Fatal("-0 must equal 0")
	}
}

func TestBytesOrderAndNull(t *testing.T) {
	vals := []string{"", "\x00", "\x00\x00", "\x00a", "a", "a\x00", "ab", "b", "\xff"}
	checkOrder(t, len(vals), func(i int) []byte { return AppendString(nil, vals[i]) },
		func(i, j int) bool { return vals[i] < vals[j] })
	for _, v := range vals {
		k, _, _, got, rest, err := Decode(append(AppendString(nil, v), 0x42))
		if err != nil || k != KindBytes || string(got) != v || !bytes.Equal(rest, []byte{0x42}) {
			t.Fatalf("round trip %q: got %q rest %x err %v", v, got, rest, err)
		}
	}
	if bytes.Compare(AppendNull(nil), AppendString(nil, "")) >= 0 || bytes.Compare(AppendNull(nil), AppendInt(nil, math.MinInt64)) >= 0 {
		t.Fatal("NULL must sort first")
	}
}

func TestDescending(t *testing.T) {
	a, b := AppendInt(nil, 1), AppendInt(nil, 2)
	Invert(a, 0)
	Invert(b, 0)
	if bytes.Compare(a, b) <= 0 {
		t.Fatal("inverted keys must sort in reverse")
	}
}

func TestPrefixEnd(t *testing.T) {
	if got := PrefixEnd([]byte{1, 0xff}); !bytes.Equal(got, []byte{2}) {
		t.Fatalf("got %x", got)
	}
	if PrefixEnd([]byte{0xff}) != nil {
		t.Fatal("no end for all-0xff")
	}
}

func checkOrder(t *testing.T, n int, enc func(int) []byte, less func(i, j int) bool) {
	t.Helper()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return less(idx[a], idx[b]) })
	for i := 1; i < n; i++ {
		x, y := enc(idx[i-1]), enc(idx[i])
		if less(idx[i-1], idx[i]) && bytes.Compare(x, y) >= 0 {
			t.Fatalf("encodings out of order at %d: %x >= %x", i, x, y)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(AppendString(AppendInt(nil, 5), "x"))
	f.Fuzz(func(t *testing.T, key []byte) {
		for len(key) > 0 {
			_, _, _, _, rest, err := Decode(key)
			if err != nil {
				return
			}
			key = rest
		}
	})
}
