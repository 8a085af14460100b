package types

import (
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
)

// TestDecimalFastPaths checks CompareDecimal's and Rescale's int64 paths
// against decimal128's 128-bit arithmetic, at the edges of int64 and of
// the powers of ten.
func TestDecimalFastPaths(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	edges := []int64{0, 1, -1, 9, -9, 10, 999999999, math.MaxInt64, math.MinInt64, math.MaxInt64 / 10, math.MinInt64 / 10,
		922337203685477580, -922337203685477580, 1 << 62, -(1 << 62)}
	pick := func() int64 {
		if rng.Intn(3) == 0 {
			return edges[rng.Intn(len(edges))]
		}
		return rng.Int63n(1<<uint(rng.Intn(63))+1) * (1 - 2*int64(rng.Intn(2)))
	}
	for i := 0; i < 200000; i++ {
		a := Decimal{Coef: decimal128.FromI64(pick()), Scale: int32(rng.Intn(19))}
		b := Decimal{Coef: decimal128.FromI64(pick()), Scale: int32(rng.Intn(19))}
		s := max(a.Scale, b.Scale)
		want := a.Coef.IncreaseScaleBy(s - a.Scale).Cmp(b.Coef.IncreaseScaleBy(s - b.Scale))
		if got := CompareDecimal(a, b); got != want {
			t.Fatalf("CompareDecimal(%v e-%d, %v e-%d) = %d, want %d", a.Coef, a.Scale, b.Coef, b.Scale, got, want)
		}
		to := a.Scale + int32(rng.Intn(19))
		if got, want := a.Rescale(to).Coef, a.Coef.IncreaseScaleBy(to-a.Scale); got != want {
			t.Fatalf("Rescale(%v e-%d, %d) = %v, want %v", a.Coef, a.Scale, to, got, want)
		}
	}
}
