package planner

import (
	"fmt"
	"strings"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// exprText spells e for EXPLAIN the way PostgreSQL's does: columns by
// name, operators infix and parenthesized, constants as SQL literals.
// Functions are shown by their internal names.
func exprText(e sql.Expr) string {
	switch x := e.(type) {
	case *sql.ColRef:
		if x.Name != "" {
			return x.Name
		}
		return fmt.Sprintf("#%d", x.Idx)
	case *sql.Const:
		if x.Value == nil {
			return "NULL"
		}
		s := types.TextString(x.T, x.Value)
		if x.T.IsString() || x.T.IsTime() || x.T.Family == types.Interval {
			return "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
		return s
	case *sql.Cast:
		return exprText(x.E) + "::" + x.T.String()
	case *sql.Call:
		args := make([]string, len(x.Args))
		for i, a := range x.Args {
			args[i] = exprText(a)
		}
		switch x.Func {
		case "and", "or":
			var parts []string
			for _, c := range conjunctsOf(x.Func, e) {
				parts = append(parts, exprText(c))
			}
			return "(" + strings.Join(parts, " "+strings.ToUpper(x.Func)+" ") + ")"
		case "not":
			return "NOT " + args[0]
		case "is_null":
			return "(" + args[0] + " IS NULL)"
		case "is_not_null":
			return "(" + args[0] + " IS NOT NULL)"
		case "=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "||", "like", "ilike":
			if len(args) == 2 {
				return "(" + args[0] + " " + strings.ToUpper(x.Func) + " " + args[1] + ")"
			}
		}
		return x.Func + "(" + strings.Join(args, ", ") + ")"
	case *sql.Case:
		var b strings.Builder
		b.WriteString("CASE")
		for _, w := range x.Whens {
			b.WriteString(" WHEN " + exprText(w.Cond) + " THEN " + exprText(w.Then))
		}
		if x.Else != nil {
			b.WriteString(" ELSE " + exprText(x.Else))
		}
		b.WriteString(" END")
		return b.String()
	}
	return sql.FormatExpr(e)
}

// conjunctsOf flattens nested calls of fn (and, or) into their operands.
func conjunctsOf(fn string, e sql.Expr) []sql.Expr {
	if c, ok := e.(*sql.Call); ok && c.Func == fn {
		var out []sql.Expr
		for _, a := range c.Args {
			out = append(out, conjunctsOf(fn, a)...)
		}
		return out
	}
	return []sql.Expr{e}
}
