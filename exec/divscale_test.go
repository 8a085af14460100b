package exec

import (
	"github.com/weir-db/weir/types"
	"testing"
)

func TestDivScaleLikePostgres(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"3", "2", "1.5000000000000000"},
		{"2000001", "2", "1000000.500000000000"},
		{"10", "3", "3.3333333333333333"},
		{"1", "3", "0.33333333333333333333"},
		{"1.0", "3", "0.33333333333333333333"},
		{"100", "7", "14.2857142857142857"},
		{"0.001", "2", "0.00050000000000000000"},
	} {
		a, _ := types.ParseDecimal(c.a)
		b, _ := types.ParseDecimal(c.b)
		got := DivideDecimal(a, b, DivScale(a, b)).String()
		if got != c.want {
			t.Errorf("%s / %s = %s, want %s", c.a, c.b, got, c.want)
		}
	}
}
