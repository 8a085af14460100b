package planner

import (
	"reflect"

	"github.com/weir-db/weir/sql"
)

// hoistShared evaluates once an expensive expression that a filter
// always evaluates and the projection right after it uses again (q21
// extracts a URL parameter with a regular expression in its WHERE and
// again in its SELECT). A projection inserted before the filter passes
// the input through and appends the expression as a column, which the
// filter and the projection then read.
//
// Only expressions the filter evaluates for every row are hoisted (not
// under the second operand of AND/OR, a CASE branch or COALESCE's later
// arguments), so no row evaluates anything it did not before: an error
// the expression raises, the filter raised already. Only a scan's own
// pipeline is rewritten, where the filter's input columns are the
// stream's or table's, whose types are known.
func hoistShared(root *Plan) {
	root.Walk(func(p *Plan) {
		if p.Source == nil {
			return
		}
		for i := 0; i+1 < len(p.Steps); i++ {
			switch p.Steps[i].(type) {
			case *FilterStep, *ExchangeStep:
			default:
				return // columns may change from here on
			}
			f, ok1 := p.Steps[i].(*FilterStep)
			pr, ok2 := p.Steps[i+1].(*ProjectStep)
			if !ok1 || !ok2 {
				continue
			}
			hs := sharedExprs(f.Cond, pr.Exprs)
			if len(hs) == 0 {
				continue
			}
			cols := p.Source.Columns
			pass := make([]sql.Expr, 0, len(cols)+len(hs))
			for c, col := range cols {
				pass = append(pass, &sql.ColRef{Idx: c, T: col.Type, Name: col.Name})
			}
			refs := make([]sql.Expr, len(hs))
			for k, h := range hs {
				refs[k] = &sql.ColRef{Idx: len(cols) + k, T: h.Type()}
				pass = append(pass, h)
			}
			use := func(e sql.Expr) sql.Expr {
				return sql.MapExpr(e, func(x sql.Expr) sql.Expr {
					for k, h := range hs {
						if reflect.DeepEqual(x, h) {
							return refs[k]
						}
					}
					return x
				})
			}
			f.Cond = use(f.Cond)
			for j, e := range pr.Exprs {
				pr.Exprs[j] = use(e)
			}
			p.Steps = append(p.Steps[:i], append([]Step{&ProjectStep{Exprs: pass}}, p.Steps[i:]...)...)
			p.Edges = append(p.Edges[:i], append([]Emits{edgeInto(p, i)}, p.Edges[i:]...)...)
			return
		}
	})
}

// edgeInto is what the edge into step i of p carries.
func edgeInto(p *Plan, i int) Emits {
	if i == 0 {
		return p.SourceEmits
	}
	return p.Edges[i-1]
}

// sharedExprs lists the expensive expressions cond always evaluates that
// one of exprs also uses, outermost first, without repeats, and those it
// may evaluate that can raise no error: computing one for every row
// changes no outcome (q21's lower(channel), in an OR of its filter and in
// four CASE branches of its projection).
func sharedExprs(cond sql.Expr, exprs []sql.Expr) []sql.Expr {
	var out []sql.Expr
	var visit func(e sql.Expr, always bool)
	visit = func(e sql.Expr, always bool) {
		switch x := e.(type) {
		case *sql.Call:
			switch x.Func {
			case "and", "or", "coalesce":
				for i, a := range x.Args {
					visit(a, always && i == 0)
				}
				return
			}
			if (always && hoistable[x.Func] || cannotFail(x)) && usedIn(x, exprs) && !usedIn(x, out) {
				out = append(out, x)
				return
			}
			for _, a := range x.Args {
				visit(a, always)
			}
		case *sql.Cast:
			visit(x.E, always)
		case *sql.Case:
			for i, w := range x.Whens {
				visit(w.Cond, always && i == 0)
				visit(w.Then, false)
			}
			visit(x.Else, false)
		}
	}
	visit(cond, true)
	return out
}

// usedIn reports whether e occurs in any of exprs.
func usedIn(e sql.Expr, exprs []sql.Expr) bool {
	found := false
	for _, x := range exprs {
		sql.WalkExpr(x, func(y sql.Expr) bool {
			if !found && reflect.DeepEqual(y, e) {
				found = true
			}
			return !found
		})
	}
	return found
}

// cannotFail reports whether evaluating e can raise no error: a call of
// a neverFails function whose arguments are columns, constants or such
// calls (lower(1/x) can fail in its argument).
func cannotFail(e sql.Expr) bool {
	c, ok := e.(*sql.Call)
	if !ok || !neverFails[c.Func] {
		return false
	}
	for _, a := range c.Args {
		switch a.(type) {
		case *sql.ColRef, *sql.Const:
		default:
			if !cannotFail(a) {
				return false
			}
		}
	}
	return true
}

// neverFails lists hoistable functions that raise no error on any
// arguments of their types.
var neverFails = map[string]bool{
	"lower": true, "upper": true, "md5": true, "initcap": true, "replace": true, "strpos": true,
}

// hoistable lists deterministic functions worth computing once.
var hoistable = map[string]bool{
	"regexp_match_group": true, "regexp_like": true, "regexp_replace": true,
	"like": true, "not_like": true, "ilike": true, "not_ilike": true,
	"lower": true, "upper": true, "split_part": true, "replace": true, "to_char": true,
	"substr": true, "substring": true, "strpos": true, "md5": true, "initcap": true,
}
