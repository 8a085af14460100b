package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// subqueryJoin plans a view's WHERE holding x IN (SELECT ...) or
// [NOT] EXISTS (SELECT ... WHERE inner = outer ...) as a semi or anti
// join, which stays correct as either side changes. It reports false when
// the filter has no such conjunct.
func (b *builder) subqueryJoin(n *sql.Filter) (bool, error) {
	var sub *sql.Subquery
	negated := false
	var others []sql.Expr
	for _, c := range conjuncts(n.Cond) {
		s, neg := subqueryOf(c)
		if sub == nil && s != nil {
			sub, negated = s, neg
			continue
		}
		others = append(others, c)
	}
	if sub == nil {
		return false, nil
	}
	left := n.Input
	if len(others) > 0 {
		left = &sql.Filter{Input: n.Input, Cond: and(others)}
	}
	nl := len(left.Columns())
	var right sql.Rel
	var lk, rk []int
	var residual []sql.Expr
	switch sub.Kind {
	case sql.InSubquery:
		if negated {
			return true, types.Errorf(types.CodeFeatureNotSupported, "NOT IN (subquery) is not supported in a materialized view (its NULL rules make every row depend on the whole subquery); use NOT EXISTS")
		}
		test, ok := sub.Test.(*sql.ColRef)
		cols := sub.Query.Columns()
		if !ok || len(cols) != 1 || !sameKeyEncoding(test.T, cols[0].Type) || relHasOuterRef(sub.Query) {
			return true, types.Errorf(types.CodeFeatureNotSupported, "IN (subquery) in a materialized view needs a column on the left, an uncorrelated subquery and comparable types")
		}
		right, lk, rk = sub.Query, []int{test.Idx}, []int{0}
	case sql.ExistsSubquery:
		r := sub.Query
		for {
			p, ok := r.(*sql.Project)
			if !ok {
				break
			}
			r = p.Input // EXISTS ignores the select list
		}
		right = r
		if f, ok := r.(*sql.Filter); ok {
			var inner []sql.Expr
			for _, c := range conjuncts(f.Cond) {
				if o, i, ok := correlation(c); ok {
					lk, rk = append(lk, o), append(rk, i)
					continue
				}
				if exprHasOuterRef(c) {
					x, ok := decorrelate(c, nl)
					if !ok {
						return true, types.Errorf(types.CodeFeatureNotSupported, "a subquery in a materialized view may refer only to columns of the query directly around it")
					}
					residual = append(residual, x)
					continue
				}
				inner = append(inner, c)
			}
			right = f.Input
			if len(inner) > 0 {
				right = &sql.Filter{Input: f.Input, Cond: and(inner)}
			}
		}
		if relHasOuterRef(right) {
			return true, types.Errorf(types.CodeFeatureNotSupported, "a correlated subquery in a materialized view may refer to outer columns only in its WHERE clause")
		}
		if len(lk) == 0 {
			return true, types.Errorf(types.CodeFeatureNotSupported, "EXISTS in a materialized view needs an equality between an inner and an outer column")
		}
	default:
		return true, types.Errorf(types.CodeFeatureNotSupported, "this kind of subquery is not supported in a materialized view; IN and EXISTS are")
	}
	return true, b.semiJoin(left, right, lk, rk, residual, negated)
}

// subqueryOf unwraps [NOT] IN/EXISTS conjuncts.
func subqueryOf(e sql.Expr) (*sql.Subquery, bool) {
	neg := false
	if c, ok := e.(*sql.Call); ok && c.Func == "not" && len(c.Args) == 1 {
		e, neg = c.Args[0], true
	}
	s, ok := e.(*sql.Subquery)
	if !ok || (s.Kind != sql.InSubquery && s.Kind != sql.ExistsSubquery) {
		return nil, false
	}
	return s, neg != s.Negated
}

// correlation recognizes outer.col = inner.col.
func correlation(e sql.Expr) (outer, inner int, ok bool) {
	c, isCall := e.(*sql.Call)
	if !isCall || c.Func != "=" || len(c.Args) != 2 {
		return 0, 0, false
	}
	for k := 0; k < 2; k++ {
		o, ok1 := c.Args[k].(*sql.OuterRef)
		i, ok2 := c.Args[1-k].(*sql.ColRef)
		if ok1 && ok2 && o.Depth == 1 && sameKeyEncoding(o.T, i.T) {
			return o.Idx, i.Idx, true
		}
	}
	return 0, 0, false
}

// decorrelate rewrites a subquery condition over the joined row: outer
// columns come first, inner ones after nl.
func decorrelate(e sql.Expr, nl int) (sql.Expr, bool) {
	ok := true
	out := sql.MapExpr(e, func(e sql.Expr) sql.Expr {
		switch x := e.(type) {
		case *sql.OuterRef:
			if x.Depth != 1 {
				ok = false
			}
			return &sql.ColRef{Idx: x.Idx, T: x.T, Name: x.Name}
		case *sql.ColRef:
			return &sql.ColRef{Idx: x.Idx + nl, T: x.T, Name: x.Name}
		case *sql.Subquery, *sql.Param:
			ok = false
		}
		return e
	})
	return out, ok
}

// exprHasOuterRef reports whether e reads an enclosing query's row; a
// nested subquery counts, conservatively.
func exprHasOuterRef(e sql.Expr) bool {
	found := false
	sql.WalkExpr(e, func(e sql.Expr) bool {
		switch e.(type) {
		case *sql.OuterRef, *sql.Subquery:
			found = true
		}
		return !found
	})
	return found
}

// relHasOuterRef reports whether a relation reads an enclosing query's
// row anywhere; unknown shapes count as correlated.
func relHasOuterRef(r sql.Rel) bool {
	anyExpr := func(es []sql.Expr) bool {
		for _, e := range es {
			if e != nil && exprHasOuterRef(e) {
				return true
			}
		}
		return false
	}
	switch n := r.(type) {
	case *sql.Scan:
		return false
	case *sql.Filter:
		return exprHasOuterRef(n.Cond) || relHasOuterRef(n.Input)
	case *sql.Project:
		return anyExpr(n.Exprs) || relHasOuterRef(n.Input)
	case *sql.Aggregate:
		for _, a := range n.Aggs {
			if anyExpr(a.Args) || a.Filter != nil && exprHasOuterRef(a.Filter) {
				return true
			}
			for _, o := range a.Order {
				if exprHasOuterRef(o.E) {
					return true
				}
			}
		}
		return anyExpr(n.GroupBy) || relHasOuterRef(n.Input)
	case *sql.Window:
		return relHasOuterRef(n.Input)
	case *sql.Join:
		return n.On != nil && exprHasOuterRef(n.On) || relHasOuterRef(n.Left) || relHasOuterRef(n.Right)
	case *sql.SetOp:
		return relHasOuterRef(n.Left) || relHasOuterRef(n.Right)
	case *sql.Sort:
		return relHasOuterRef(n.Input)
	case *sql.Limit:
		return relHasOuterRef(n.Input)
	}
	return true
}

// semiJoin plans left rows that have (or, negated, lack) a match in right.
func (b *builder) semiJoin(left, right sql.Rel, lk, rk []int, residual []sql.Expr, anti bool) error {
	l, err := b.input(left)
	if err != nil {
		return err
	}
	r, err := b.input(right)
	if err != nil {
		return err
	}
	j := &JoinInput{Left: l.plan, Right: r.plan, Kind: Semi, LeftKeys: lk, RightKeys: rk, Timed: [2]bool{l.plan.timed(), r.plan.timed()}}
	if anti {
		j.Kind = Anti
	}
	if len(residual) > 0 {
		j.Cond = and(residual)
	}
	j.AppendOnly = [2]bool{l.emits == AppendOnly, r.emits == AppendOnly}
	b.plan.Join = j
	b.cols = l.cols
	b.emits, b.key = Retracting, nil
	if j.Kind == Semi && l.emits == AppendOnly && r.emits == AppendOnly {
		b.emits = AppendOnly
	}
	b.plan.SourceEmits = b.emits
	return nil
}

// scalarJoin rewrites uncorrelated scalar subqueries over an aggregate
// without GROUP BY (exactly one row, always) in a view's filter or
// projection: the input is joined with that one-row result, the
// subquery's place is taken by its column, and a projection drops the
// added columns again. As the aggregate changes, the join retracts and
// re-emits what depended on it. It reports false when e has none.
func scalarJoin(input sql.Rel, exprs []sql.Expr) (sql.Rel, []sql.Expr, bool, error) {
	var subs []*sql.Subquery
	for _, e := range exprs {
		collectScalar(e, &subs)
	}
	if len(subs) == 0 {
		return nil, nil, false, nil
	}
	rel := input
	replace := map[*sql.Subquery]int{}
	for _, s := range subs {
		if _, done := replace[s]; done {
			continue
		}
		if !singleRow(s.Query) || relHasOuterRef(s.Query) {
			return nil, nil, true, types.Errorf(types.CodeFeatureNotSupported,
				"a scalar subquery in a materialized view must be uncorrelated and aggregate without GROUP BY (it must always yield one row)")
		}
		left := len(rel.Columns())
		cols := append(append([]sql.Column(nil), rel.Columns()...), s.Query.Columns()...)
		rel = &sql.Join{Left: rel, Right: s.Query, Kind: sql.CrossJoin, Cols: cols}
		replace[s] = left
	}
	out := make([]sql.Expr, len(exprs))
	for i, e := range exprs {
		out[i] = replaceScalar(e, replace)
	}
	return rel, out, true, nil
}

func collectScalar(e sql.Expr, out *[]*sql.Subquery) {
	sql.WalkExpr(e, func(e sql.Expr) bool {
		if x, ok := e.(*sql.Subquery); ok && x.Kind == sql.ScalarSubquery {
			*out = append(*out, x)
		}
		return true
	})
}

func replaceScalar(e sql.Expr, at map[*sql.Subquery]int) sql.Expr {
	return sql.MapExpr(e, func(e sql.Expr) sql.Expr {
		if x, ok := e.(*sql.Subquery); ok {
			if i, ok := at[x]; ok {
				return &sql.ColRef{Idx: i, T: x.T}
			}
		}
		return e
	})
}

// singleRow reports whether r always yields exactly one row: an
// aggregate without GROUP BY, under projections.
func singleRow(r sql.Rel) bool {
	for {
		switch n := r.(type) {
		case *sql.Project:
			r = n.Input
		case *sql.Aggregate:
			return len(n.GroupBy) == 0
		default:
			return false
		}
	}
}
