package types

import (
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
)

// TestDecimalStringMatchesArrow checks the int64 fast path of
// Decimal.String against Arrow's general formatting, at every scale a
// fast path takes and around its edges.
func TestDecimalStringMatchesArrow(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	coefs := []decimal128.Num{decimal128.FromI64(0), decimal128.FromI64(1), decimal128.FromI64(-1),
		decimal128.FromI64(1<<63 - 1), decimal128.FromI64(-1 << 63), decimal128.FromI64(-(1<<63 - 1)),
		decimal128.New(1, 0), decimal128.New(-2, 5)}
	for i := 0; i < 2000; i++ {
		v := rng.Int63() >> uint(rng.Intn(63))
		if rng.Intn(2) == 0 {
			v = -v
		}
		coefs = append(coefs, decimal128.FromI64(v))
	}
	for _, c := range coefs {
		for scale := int32(0); scale <= 32; scale++ {
			d := Decimal{Coef: c, Scale: scale}
			if got, want := d.String(), c.ToString(scale); got != want {
				t.Fatalf("coef %v scale %d: %q, want %q", c, scale, got, want)
			}
		}
	}
}
