package engine

import (
	"fmt"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// compileExpr turns a bound expression into an executable one.
func compileExpr(e sql.Expr) (exec.Expr, error) {
	switch x := e.(type) {
	case *sql.ColRef:
		return &exec.ColRef{Idx: x.Idx, T: x.T}, nil
	case *sql.Const:
		return &exec.Const{V: x.Value, T: x.T}, nil
	case *sql.Cast:
		in, err := compileExpr(x.E)
		if err != nil {
			return nil, err
		}
		return &exec.Cast{E: in, T: x.T}, nil
	case *sql.Call:
		c := &exec.Call{Func: x.Func, T: x.T}
		for _, a := range x.Args {
			ca, err := compileExpr(a)
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, ca)
		}
		return c, nil
	case *sql.Case:
		c := &exec.Case{T: x.T}
		for _, w := range x.Whens {
			cond, err := compileExpr(w.Cond)
			if err != nil {
				return nil, err
			}
			then, err := compileExpr(w.Then)
			if err != nil {
				return nil, err
			}
			c.Conds, c.Thens = append(c.Conds, cond), append(c.Thens, then)
		}
		if x.Else != nil {
			el, err := compileExpr(x.Else)
			if err != nil {
				return nil, err
			}
			c.Else = el
		}
		return c, nil
	}
	return nil, types.Errorf(types.CodeInternalError, "cannot compile expression %T", e)
}

func compileExprs(es []sql.Expr) ([]exec.Expr, error) {
	out := make([]exec.Expr, len(es))
	for i, e := range es {
		c, err := compileExpr(e)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// built is a plan turned into operators.
type built struct {
	pipeline exec.Pipeline
	aggs     []*exec.HashAgg
	sort     *planner.SortStep
	limit    *planner.LimitStep
	// post is a projection applied after sorting and limiting (dropping
	// ORDER BY columns that are not selected).
	post []exec.Expr
}

// buildPipeline instantiates the plan's operators, giving stateful ones
// state ids from base upward.
func buildPipeline(p *planner.Plan, h *exec.StateHandle, base uint32) (*built, error) {
	b := &built{}
	next := base
	for _, s := range p.Steps {
		switch st := s.(type) {
		case *planner.FilterStep:
			c, err := compileExpr(st.Cond)
			if err != nil {
				return nil, err
			}
			b.pipeline = append(b.pipeline, &exec.Filter{Cond: c})
		case *planner.ProjectStep:
			es, err := compileExprs(st.Exprs)
			if err != nil {
				return nil, err
			}
			if b.sort != nil || b.limit != nil {
				b.post = es
				continue
			}
			b.pipeline = append(b.pipeline, &exec.Project{Exprs: es})
		case *planner.TumbleStep:
			b.pipeline = append(b.pipeline, &exec.Tumble{TimeCol: st.TimeCol, Size: st.Size, Offset: st.Offset})
		case *planner.AggStep:
			groups, err := compileExprs(st.Groups)
			if err != nil {
				return nil, err
			}
			agg := &exec.HashAgg{Groups: groups, WindowGroup: st.WindowGroup, WindowEndDelta: st.WindowEndDelta,
				EmitOnClose: st.EmitOnClose, GroupsID: next, ValuesID: next + 1, State: h}
			next += 2
			for _, a := range st.Aggs {
				spec := exec.AggSpec{Func: a.Func, Distinct: a.Distinct, T: a.Type}
				if len(a.Args) > 0 {
					if spec.Arg, err = compileExpr(a.Args[0]); err != nil {
						return nil, err
					}
				}
				if a.Filter != nil {
					if spec.Filter, err = compileExpr(a.Filter); err != nil {
						return nil, err
					}
				}
				agg.Aggs = append(agg.Aggs, spec)
			}
			b.pipeline = append(b.pipeline, agg)
			b.aggs = append(b.aggs, agg)
		case *planner.SortStep:
			b.sort = st
		case *planner.LimitStep:
			b.limit = st
		default:
			return nil, fmt.Errorf("unknown plan step %T", s)
		}
		if next >= base+idsPerObject {
			return nil, types.Errorf(types.CodeProgramLimitExceeded, "query has too many stateful operators")
		}
	}
	return b, nil
}
