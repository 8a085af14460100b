package types

import (
	"math/rand"
	"strings"
	"testing"
)

// TestParseShortDecimal: the allocation-free path agrees with the
// general parser on every form it accepts, and declines the rest.
func TestParseShortDecimal(t *testing.T) {
	cases := []string{"0", "-0", "00012.3400", ".5", "5.", "-.5", "-5.", "123456789012345678",
		"-123456789012345678", "1234567890123456789", "0.000000000000000001", "1.2.3", "", "-", ".", "-.",
		"+1", " 1", "1 ", "1e3", "--1", "1-", "12a"}
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		if rng.Intn(3) == 0 {
			b.WriteByte('-')
		}
		for n := rng.Intn(12); n > 0; n-- {
			b.WriteByte(byte('0' + rng.Intn(10)))
		}
		if rng.Intn(2) == 0 {
			b.WriteByte('.')
			for n := rng.Intn(12); n > 0; n-- {
				b.WriteByte(byte('0' + rng.Intn(10)))
			}
		}
		cases = append(cases, b.String())
	}
	accepted := 0
	for _, s := range cases {
		short, ok := parseShortDecimal(s)
		long, err := parseDecimal(s)
		if !ok {
			continue
		}
		accepted++
		if err != nil {
			t.Fatalf("%q: the short path gives %v, the general parser an error: %v", s, short, err)
		}
		if short.Coef != long.Coef || short.Scale != long.Scale {
			t.Fatalf("%q: short path %v (scale %d), general parser %v (scale %d)", s, short, short.Scale, long, long.Scale)
		}
	}
	for _, s := range []string{"1234567890123456789", "1.2.3", "", "-", ".", "+1", " 1", "1e3"} {
		if _, ok := parseShortDecimal(s); ok {
			t.Fatalf("%q: the short path accepts it", s)
		}
	}
	if accepted < 4000 {
		t.Fatalf("the short path took only %d of %d inputs", accepted, len(cases))
	}
}
