package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weir-db/weir/types"
)

// winRef is a placeholder for the i-th window function of a query,
// replaced by a column of the Over node once it exists.
type winRef struct {
	idx int
	t   types.Type
}

func (w *winRef) Type() types.Type { return w.t }
func (*winRef) expr()              {}

// bindWindowFunc binds f(...) OVER (PARTITION BY ... ORDER BY ...).
func (b *exprBinder) bindWindowFunc(e *ast.WindowFuncExpr) (Expr, error) {
	name := strings.ToLower(e.Name)
	if b.wins == nil {
		return nil, b.errAt(e, types.CodeWindowingError, "window functions are not allowed in %s", b.what)
	}
	if e.Spec.Name.L != "" || e.Spec.Ref.L != "" {
		return nil, b.errAt(e, types.CodeFeatureNotSupported, "named windows are not supported yet")
	}
	if e.Spec.Frame != nil {
		return nil, b.errAt(e, types.CodeFeatureNotSupported, "window frames are not supported yet")
	}
	inner := &exprBinder{bd: b.bd, scope: b.scope, norm: b.norm, aggs: b.aggs, what: "window function"}
	w := WindowFunc{Func: name}
	switch name {
	case "row_number", "rank", "dense_rank":
		if len(e.Args) != 0 {
			return nil, b.errAt(e, types.CodeUndefinedFunction, "function %s takes no arguments", name)
		}
		w.Type = types.TInt8
	case "count", "sum", "min", "max", "avg":
		if e.Distinct {
			return nil, b.errAt(e, types.CodeFeatureNotSupported, "DISTINCT is not implemented for window functions")
		}
		argType := types.TUnknown
		if name == "count" && (len(e.Args) == 0 || isStarArg(e.Args[0])) {
			w.Func = "count_star"
		} else {
			if len(e.Args) != 1 {
				return nil, b.errAt(e, types.CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(e.Args))
			}
			a, err := inner.bind(e.Args[0])
			if err != nil {
				return nil, err
			}
			w.Args = []Expr{a}
			argType = a.Type()
		}
		t, err := aggResult(w.Func, argType)
		if err != nil {
			return nil, types.AsError(err).WithPosition(b.errAt(e, "", "").Position)
		}
		w.Type = t
	default:
		return nil, b.errAt(e, types.CodeUndefinedFunction, "window function %s does not exist", name)
	}
	if p := e.Spec.PartitionBy; p != nil {
		for _, it := range p.Items {
			x, err := inner.bind(it.Expr)
			if err != nil {
				return nil, err
			}
			w.PartitionBy = append(w.PartitionBy, x)
		}
	}
	if o := e.Spec.OrderBy; o != nil {
		for _, it := range o.Items {
			ex, desc, nullsFirst := unwrapNulls(it)
			x, err := inner.bind(ex)
			if err != nil {
				return nil, err
			}
			w.OrderBy = append(w.OrderBy, OrderExpr{E: x, Desc: desc, NullsFirst: nullsFirst})
		}
	}
	*b.wins = append(*b.wins, w)
	return &winRef{idx: len(*b.wins) - 1, t: w.Type}, nil
}

// rewriteWinRefs points window function placeholders at the Over node's
// columns, which follow its base input columns.
func rewriteWinRefs(e Expr, base int) Expr {
	switch x := e.(type) {
	case *winRef:
		return &ColRef{Idx: base + x.idx, T: x.t}
	case *Call:
		c := &Call{Func: x.Func, T: x.T}
		for _, a := range x.Args {
			c.Args = append(c.Args, rewriteWinRefs(a, base))
		}
		return c
	case *Cast:
		return &Cast{E: rewriteWinRefs(x.E, base), T: x.T}
	case *Case:
		c := &Case{T: x.T}
		for _, w := range x.Whens {
			c.Whens = append(c.Whens, When{Cond: rewriteWinRefs(w.Cond, base), Then: rewriteWinRefs(w.Then, base)})
		}
		if x.Else != nil {
			c.Else = rewriteWinRefs(x.Else, base)
		}
		return c
	}
	return e
}
