package exec

import (
	"fmt"
	"strings"
)

// exprKey spells e with its types, so two expressions with one key
// compute the same values; ok is false for an expression it cannot spell.
func exprKey(e Expr) (string, bool) {
	var b strings.Builder
	ok := writeExprKey(&b, e)
	return b.String(), ok
}

func writeExprKey(b *strings.Builder, e Expr) bool {
	switch x := e.(type) {
	case *ColRef:
		fmt.Fprintf(b, "$%d:%s", x.Idx, x.T)
	case *Const:
		fmt.Fprintf(b, "%#v:%s", x.V, x.T)
	case *Cast:
		b.WriteString("cast(")
		if !writeExprKey(b, x.E) {
			return false
		}
		fmt.Fprintf(b, " as %s)", x.T)
	case *Call:
		b.WriteString(x.Func + "(")
		for i, a := range x.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			if !writeExprKey(b, a) {
				return false
			}
		}
		fmt.Fprintf(b, "):%s", x.T)
	case *Case:
		b.WriteString("case")
		for i := range x.Conds {
			b.WriteString(" when ")
			if !writeExprKey(b, x.Conds[i]) {
				return false
			}
			b.WriteString(" then ")
			if !writeExprKey(b, x.Thens[i]) {
				return false
			}
		}
		if x.Else != nil {
			b.WriteString(" else ")
			if !writeExprKey(b, x.Else) {
				return false
			}
		}
		fmt.Fprintf(b, " end:%s", x.T)
	default:
		return false
	}
	return true
}
