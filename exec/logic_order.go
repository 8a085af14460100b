package exec

import (
	"sort"
	"strings"
)

// AND and OR evaluate each argument only for the rows the arguments
// before it left undecided (vlogic; the row path stops at the first that
// decides), so the order of their arguments sets
// how many rows the dear ones see. SQL leaves that order to the engine
// (PostgreSQL sorts a WHERE clause's conjuncts by cost too): arguments
// that run a regular expression go after those that run a LIKE pattern,
// and those after plain comparisons and functions. Arguments of a class
// keep the order they were written in, so a guard such as x <> 0 before
// 10 / x > 1 still runs first.

// costClass is how dear e is to evaluate per row: 0 plain, 1 a LIKE
// pattern, 2 a regular expression.
func costClass(e Expr) int {
	class := 0
	var walk func(Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case *Call:
			switch {
			case strings.HasPrefix(x.Func, "regexp"):
				class = max(class, 2)
			case strings.Contains(x.Func, "like"):
				class = max(class, 1)
			}
			for _, a := range x.Args {
				walk(a)
			}
		case *Case:
			for i := range x.Conds {
				walk(x.Conds[i])
				walk(x.Thens[i])
			}
			if x.Else != nil {
				walk(x.Else)
			}
		case *Cast:
			walk(x.E)
		}
	}
	walk(e)
	return class
}

// LogicArgs flattens nested calls of fn (and, or) into one list of
// arguments, cheapest class first: the arguments a Call of fn is built
// with, so the row path and the kernels evaluate them in one order.
func LogicArgs(fn string, args []Expr) []Expr {
	var out []Expr
	for _, a := range args {
		if c, ok := a.(*Call); ok && c.Func == fn {
			out = append(out, LogicArgs(fn, c.Args)...)
			continue
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return costClass(out[i]) < costClass(out[j]) })
	return out
}
