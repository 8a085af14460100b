package exec

import (
	"testing"

	"github.com/weir-db/weir/types"
)

// TestLogicArgsCheapFirst checks that AND's arguments are flattened and
// ordered regular expressions last, LIKE before them, and plain ones
// first in the order written.
func TestLogicArgsCheapFirst(t *testing.T) {
	s := &ColRef{Idx: 0, T: types.TText}
	x := &ColRef{Idx: 1, T: types.TInt8}
	text := func(v string) Expr { return &Const{V: v, T: types.TText} }
	boolCall := func(fn string, args ...Expr) *Call { return &Call{Func: fn, Args: args, T: types.TBool} }
	re := boolCall("regexp_like", s, text("^a+$"))
	like := boolCall("like", s, text("a%"))
	guard := boolCall("<>", x, &Const{V: int64(0), T: types.TInt8})
	div := boolCall(">", &Call{Func: "/", Args: []Expr{&Const{V: int64(10), T: types.TInt8}, x}, T: types.TInt8}, &Const{V: int64(1), T: types.TInt8})
	nested := boolCall("and", re, boolCall("and", guard, like))
	got := LogicArgs("and", []Expr{nested, div})
	want := []Expr{guard, div, like, re}
	if len(got) != len(want) {
		t.Fatalf("got %d arguments, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("argument %d is %s, want %s", i, describe(got[i]), describe(want[i]))
		}
	}
	// An OR inside an AND is one argument, ordered by its dearest part.
	or := boolCall("or", guard, re)
	if got := LogicArgs("and", []Expr{or, like}); got[0] != like || got[1] != or {
		t.Fatalf("an OR holding a regular expression goes after LIKE: %s, %s", describe(got[0]), describe(got[1]))
	}
}
