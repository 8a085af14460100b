package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// OptimizeBatch rewrites an interactive query's tree for evaluation over
// finite inputs: WHERE conjuncts above inner and cross joins move into the
// join (as join conditions) or below it (as filters on one side), so joins
// of many tables become hash joins over filtered inputs.
func OptimizeBatch(r sql.Rel) sql.Rel {
	switch n := r.(type) {
	case *sql.Filter:
		if j, ok := n.Input.(*sql.Join); ok && innerLike(j) {
			return reorderJoins(j, conjuncts(n.Cond))
		}
		if s, ok := n.Input.(*sql.Scan); ok && len(s.Relation.Indexes) > 0 {
			return &sql.Filter{Input: chooseIndex(s, conjuncts(n.Cond)), Cond: n.Cond}
		}
		return &sql.Filter{Input: OptimizeBatch(n.Input), Cond: n.Cond}
	case *sql.Join:
		if innerLike(n) {
			return reorderJoins(n, nil)
		}
		j := *n
		j.Left, j.Right = OptimizeBatch(n.Left), OptimizeBatch(n.Right)
		return &j
	case *sql.Project:
		return &sql.Project{Input: OptimizeBatch(n.Input), Exprs: n.Exprs, Cols: n.Cols}
	case *sql.Aggregate:
		return &sql.Aggregate{Input: OptimizeBatch(n.Input), GroupBy: n.GroupBy, Aggs: n.Aggs, Cols: n.Cols}
	case *sql.Sort:
		return &sql.Sort{Input: OptimizeBatch(n.Input), Keys: n.Keys}
	case *sql.Limit:
		return &sql.Limit{Input: OptimizeBatch(n.Input), Count: n.Count, Offset: n.Offset}
	case *sql.Over:
		return &sql.Over{Input: OptimizeBatch(n.Input), Funcs: n.Funcs, Cols: n.Cols}
	case *sql.Window:
		w := *n
		w.Input = OptimizeBatch(n.Input)
		return &w
	case *sql.SetOp:
		s := *n
		s.Left, s.Right = OptimizeBatch(n.Left), OptimizeBatch(n.Right)
		return &s
	}
	return r
}

func innerLike(j *sql.Join) bool {
	return (j.Kind == sql.InnerJoin || j.Kind == sql.CrossJoin) && !j.Temporal
}

// joinLeaf is one input of a flattened tree of inner joins.
type joinLeaf struct {
	rel    sql.Rel
	offset int // its first column in the original joined row
	width  int
}

// flattenJoins collects the inputs and conditions of a tree of inner and
// cross joins; conditions stay in the original joined row's columns.
func flattenJoins(r sql.Rel, offset int, leaves *[]joinLeaf, conds *[]sql.Expr) {
	if j, ok := r.(*sql.Join); ok && innerLike(j) {
		lw := len(j.Left.Columns())
		flattenJoins(j.Left, offset, leaves, conds)
		flattenJoins(j.Right, offset+lw, leaves, conds)
		if j.On != nil {
			for _, c := range conjuncts(j.On) {
				*conds = append(*conds, shift(c, offset))
			}
		}
		return
	}
	*leaves = append(*leaves, joinLeaf{rel: OptimizeBatch(r), offset: offset, width: len(r.Columns())})
}

// reorderJoins plans a multi-way inner join greedily: conditions on one
// input filter it first; inputs are then joined in an order where each new
// input shares an equality with those already joined (a hash join), falling
// back to the written order (a cross join) only when none does. A final
// projection restores the written column order; conditions holding
// subqueries are applied after it, where they were bound.
func reorderJoins(root *sql.Join, extra []sql.Expr) sql.Rel {
	var leaves []joinLeaf
	var conds []sql.Expr
	flattenJoins(root, 0, &leaves, &conds)
	conds = append(conds, extra...)
	width := len(root.Columns())
	leafOf := make([]int, width)
	for i, l := range leaves {
		for c := l.offset; c < l.offset+l.width; c++ {
			leafOf[c] = i
		}
	}
	type cond struct {
		e      sql.Expr
		leaves map[int]bool
		equi   bool
		used   bool
	}
	var cs []*cond
	var late []sql.Expr
	for _, c := range conds {
		lo, _, opaque := colRange(c)
		if opaque {
			late = append(late, c)
			continue
		}
		set := map[int]bool{}
		walkCols(c, func(idx int) { set[leafOf[idx]] = true })
		if lo < 0 {
			late = append(late, c) // constant: decide once, at the end
			continue
		}
		call, isCall := c.(*sql.Call)
		cs = append(cs, &cond{e: c, leaves: set, equi: isCall && call.Func == "="})
	}
	// Single-input conditions filter that input.
	for i := range leaves {
		var own []sql.Expr
		for _, c := range cs {
			if len(c.leaves) == 1 && c.leaves[i] {
				own = append(own, shift(c.e, -leaves[i].offset))
				c.used = true
			}
		}
		if len(own) > 0 {
			leaves[i].rel = OptimizeBatch(&sql.Filter{Input: leaves[i].rel, Cond: and(own)})
		}
	}
	placed := map[int]bool{0: true}
	order := []int{0}
	mapping := make([]int, width) // original column → position in the new row
	for i := range mapping {
		mapping[i] = -1
	}
	pos := 0
	place := func(li int) {
		for c := 0; c < leaves[li].width; c++ {
			mapping[leaves[li].offset+c] = pos
			pos++
		}
	}
	place(0)
	var node sql.Rel = leaves[0].rel
	for len(order) < len(leaves) {
		next := -1
		for _, c := range cs {
			if c.used || !c.equi {
				continue
			}
			var outside []int
			for l := range c.leaves {
				if !placed[l] {
					outside = append(outside, l)
				}
			}
			if len(outside) == 1 && len(c.leaves) > 1 {
				if next < 0 || outside[0] < next {
					next = outside[0]
				}
			}
		}
		if next < 0 {
			for i := range leaves {
				if !placed[i] {
					next = i
					break
				}
			}
		}
		placed[next] = true
		order = append(order, next)
		place(next)
		var on []sql.Expr
		for _, c := range cs {
			if c.used {
				continue
			}
			ok := true
			for l := range c.leaves {
				if !placed[l] {
					ok = false
				}
			}
			if ok {
				on = append(on, remap(c.e, mapping))
				c.used = true
			}
		}
		j := &sql.Join{Left: node, Right: leaves[next].rel, Kind: sql.CrossJoin}
		j.Cols = append(append([]sql.Column(nil), node.Columns()...), leaves[next].rel.Columns()...)
		if len(on) > 0 {
			j.Kind, j.On = sql.InnerJoin, and(on)
		}
		node = j
	}
	var out sql.Rel = node
	identity := true
	for i, m := range mapping {
		if m != i {
			identity = false
		}
	}
	if !identity {
		cols := root.Columns()
		p := &sql.Project{Input: node, Cols: cols}
		for i, c := range cols {
			p.Exprs = append(p.Exprs, &sql.ColRef{Idx: mapping[i], T: c.Type, Name: c.Name})
		}
		out = p
	}
	if len(late) > 0 {
		out = &sql.Filter{Input: out, Cond: and(late)}
	}
	return out
}

// walkCols calls fn for every column an expression reads.
func walkCols(e sql.Expr, fn func(int)) {
	switch x := e.(type) {
	case *sql.ColRef:
		fn(x.Idx)
	case *sql.Call:
		for _, a := range x.Args {
			walkCols(a, fn)
		}
	case *sql.Cast:
		walkCols(x.E, fn)
	case *sql.Case:
		for _, w := range x.Whens {
			walkCols(w.Cond, fn)
			walkCols(w.Then, fn)
		}
		if x.Else != nil {
			walkCols(x.Else, fn)
		}
	}
}

// remap moves column references to new positions.
func remap(e sql.Expr, mapping []int) sql.Expr {
	switch x := e.(type) {
	case *sql.ColRef:
		return &sql.ColRef{Idx: mapping[x.Idx], T: x.T, Name: x.Name}
	case *sql.Call:
		c := &sql.Call{Func: x.Func, T: x.T}
		for _, a := range x.Args {
			c.Args = append(c.Args, remap(a, mapping))
		}
		return c
	case *sql.Cast:
		return &sql.Cast{E: remap(x.E, mapping), T: x.T}
	case *sql.Case:
		c := &sql.Case{T: x.T}
		for _, w := range x.Whens {
			c.Whens = append(c.Whens, sql.When{Cond: remap(w.Cond, mapping), Then: remap(w.Then, mapping)})
		}
		if x.Else != nil {
			c.Else = remap(x.Else, mapping)
		}
		return c
	}
	return e
}

func conjuncts(e sql.Expr) []sql.Expr {
	if c, ok := e.(*sql.Call); ok && c.Func == "and" {
		return append(conjuncts(c.Args[0]), conjuncts(c.Args[1])...)
	}
	return []sql.Expr{e}
}

func and(es []sql.Expr) sql.Expr {
	out := es[0]
	for _, e := range es[1:] {
		out = &sql.Call{Func: "and", Args: []sql.Expr{out, e}, T: types.TBool}
	}
	return out
}

// colRange is the smallest and largest column an expression reads (-1, -1
// when none); opaque when it holds a subquery or outer reference, which
// must stay where they were bound.
func colRange(e sql.Expr) (lo, hi int, opaque bool) {
	lo, hi = -1, -1
	var walk func(sql.Expr)
	walk = func(e sql.Expr) {
		switch x := e.(type) {
		case *sql.ColRef:
			if lo < 0 || x.Idx < lo {
				lo = x.Idx
			}
			if x.Idx > hi {
				hi = x.Idx
			}
		case *sql.Call:
			for _, a := range x.Args {
				walk(a)
			}
		case *sql.Cast:
			walk(x.E)
		case *sql.Case:
			for _, w := range x.Whens {
				walk(w.Cond)
				walk(w.Then)
			}
			if x.Else != nil {
				walk(x.Else)
			}
		case *sql.Subquery, *sql.OuterRef:
			opaque = true
		}
	}
	walk(e)
	return lo, hi, opaque
}

// shift moves every column reference by delta.
func shift(e sql.Expr, delta int) sql.Expr {
	switch x := e.(type) {
	case *sql.ColRef:
		return &sql.ColRef{Idx: x.Idx + delta, T: x.T, Name: x.Name}
	case *sql.Call:
		c := &sql.Call{Func: x.Func, T: x.T}
		for _, a := range x.Args {
			c.Args = append(c.Args, shift(a, delta))
		}
		return c
	case *sql.Cast:
		return &sql.Cast{E: shift(x.E, delta), T: x.T}
	case *sql.Case:
		c := &sql.Case{T: x.T}
		for _, w := range x.Whens {
			c.Whens = append(c.Whens, sql.When{Cond: shift(w.Cond, delta), Then: shift(w.Then, delta)})
		}
		if x.Else != nil {
			c.Else = shift(x.Else, delta)
		}
		return c
	}
	return e
}

// EquiKeys splits a join condition into equality keys (left expressions
// over the left input, right expressions over the right input, re-indexed
// to it) and the residual condition over the joined row.
func EquiKeys(on sql.Expr, leftWidth int) (lk, rk []sql.Expr, residual sql.Expr) {
	if on == nil {
		return nil, nil, nil
	}
	var rest []sql.Expr
	for _, c := range conjuncts(on) {
		call, ok := c.(*sql.Call)
		if ok && call.Func == "=" {
			a, b := call.Args[0], call.Args[1]
			alo, ahi, aop := colRange(a)
			blo, bhi, bop := colRange(b)
			if !aop && !bop && alo >= 0 && blo >= 0 {
				switch {
				case ahi < leftWidth && blo >= leftWidth:
					lk, rk = append(lk, a), append(rk, shift(b, -leftWidth))
					continue
				case bhi < leftWidth && alo >= leftWidth:
					lk, rk = append(lk, b), append(rk, shift(a, -leftWidth))
					continue
				}
			}
		}
		rest = append(rest, c)
	}
	if len(rest) > 0 {
		residual = and(rest)
	}
	return lk, rk, residual
}
