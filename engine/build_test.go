package engine

import (
	"testing"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// TestLogicCompiledCheapFirst checks that a compiled AND evaluates a
// regular expression after a comparison written after it.
func TestLogicCompiledCheapFirst(t *testing.T) {
	s := &sql.ColRef{Idx: 0, T: types.TText}
	re := &sql.Call{Func: "regexp_like", Args: []sql.Expr{s, &sql.Const{Value: "^a", T: types.TText}}, T: types.TBool}
	eq := &sql.Call{Func: "=", Args: []sql.Expr{s, &sql.Const{Value: "b", T: types.TText}}, T: types.TBool}
	e, err := compileExpr(&sql.Call{Func: "and", Args: []sql.Expr{re, eq}, T: types.TBool})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := e.(*exec.Call)
	if !ok || len(c.Args) != 2 {
		t.Fatalf("compiled to %#v", e)
	}
	if first, ok := c.Args[0].(*exec.Call); !ok || first.Func != "=" {
		t.Fatalf("the comparison is not evaluated first: %#v", c.Args[0])
	}
}
