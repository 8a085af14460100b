package sql

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/weir-db/weir/types"
)

// Query is a bound query: its relational tree and output columns.
type Query struct {
	Rel  Rel
	Cols []Column
}

type binder struct {
	cat  Catalog
	norm *normalized
	// deps collects the relations a statement reads.
	deps []*Relation
	// outer holds the scopes of the queries enclosing a subquery, nearest
	// first; their columns bind as OuterRefs.
	outer []*scope
	// params are the statement's parameter types, shared by every binder
	// of the statement.
	params *[]*types.Type
	// ctes are the WITH queries visible here, innermost last.
	ctes []cte
}

type cte struct {
	name string
	q    *Query
}

// child makes the binder of a subquery nested in a query whose current
// scope is sc.
func (bd *binder) child(sc *scope) *binder {
	c := &binder{cat: bd.cat, norm: bd.norm, params: bd.params, ctes: bd.ctes}
	c.outer = append([]*scope{sc}, bd.outer...)
	return c
}

// param returns parameter $idx+1, sharing its type slot.
func (bd *binder) param(idx int) *Param {
	if bd.params == nil {
		bd.params = &[]*types.Type{}
	}
	for len(*bd.params) <= idx {
		t := types.TUnknown
		*bd.params = append(*bd.params, &t)
	}
	return &Param{Idx: idx, slot: (*bd.params)[idx]}
}

// withCTEs binds a WITH clause, making its queries visible by name.
func (bd *binder) withCTEs(w *ast.WithClause) error {
	if w == nil {
		return nil
	}
	if w.IsRecursive {
		return bd.errAt(w, types.CodeFeatureNotSupported, "WITH RECURSIVE is not supported yet")
	}
	for _, c := range w.CTEs {
		stmt, ok := c.Query.Query.(ast.StmtNode)
		if !ok {
			return bd.errAt(c, types.CodeSyntaxError, "WITH query is not a query")
		}
		q, err := bd.bindQueryNode(stmt)
		if err != nil {
			return err
		}
		if len(c.ColNameList) > 0 {
			if len(c.ColNameList) > len(q.Cols) {
				return bd.errAt(c, types.CodeInvalidColumnReference, "WITH query \"%s\" has %d columns available but %d columns specified", c.Name.L, len(q.Cols), len(c.ColNameList))
			}
			cols := append([]Column(nil), q.Cols...)
			for i, n := range c.ColNameList {
				cols[i].Name = n.L
			}
			q = &Query{Rel: &Project{Input: q.Rel, Exprs: identity(q.Cols), Cols: cols}, Cols: cols}
		}
		bd.ctes = append(bd.ctes, cte{name: c.Name.L, q: q})
	}
	return nil
}

func (bd *binder) lookupCTE(name string) (*Query, bool) {
	for i := len(bd.ctes) - 1; i >= 0; i-- {
		if bd.ctes[i].name == name {
			return bd.ctes[i].q, true
		}
	}
	return nil, false
}

func (bd *binder) errAt(node ast.Node, code, format string, args ...any) *types.Error {
	eb := &exprBinder{norm: bd.norm}
	return eb.errAt(node, code, format, args...)
}

func (bd *binder) bindQueryNode(n ast.StmtNode) (*Query, error) {
	saved := len(bd.ctes)
	defer func() { bd.ctes = bd.ctes[:saved] }()
	switch q := n.(type) {
	case *ast.SelectStmt:
		if err := bd.withCTEs(q.With); err != nil {
			return nil, err
		}
		return bd.bindSelect(q)
	case *ast.SetOprStmt:
		if err := bd.withCTEs(q.With); err != nil {
			return nil, err
		}
		return bd.bindSetOp(q.SelectList, q.OrderBy, q.Limit)
	}
	return nil, types.Errorf(types.CodeSyntaxError, "syntax error: not a query")
}

// bindSetOp binds a UNION/INTERSECT/EXCEPT chain, left to right, then its
// ORDER BY and LIMIT over the combined columns.
func (bd *binder) bindSetOp(list *ast.SetOprSelectList, orderBy *ast.OrderByClause, limit *ast.Limit) (*Query, error) {
	if err := bd.withCTEs(list.With); err != nil {
		return nil, err
	}
	var acc *Query
	for i, sel := range list.Selects {
		var q *Query
		var err error
		var op *ast.SetOprType
		switch s := sel.(type) {
		case *ast.SelectStmt:
			op = s.AfterSetOperator
			q, err = bd.bindSelect(s)
		case *ast.SetOprSelectList:
			op = s.AfterSetOperator
			q, err = bd.bindSetOp(s, s.OrderBy, s.Limit)
		default:
			return nil, bd.errAt(list, types.CodeSyntaxError, "unexpected set operation member")
		}
		if err != nil {
			return nil, err
		}
		if i == 0 {
			acc = q
			continue
		}
		if len(q.Cols) != len(acc.Cols) {
			return nil, bd.errAt(sel, types.CodeSyntaxError, "each %s query must have the same number of columns", setOpName(op))
		}
		cols := make([]Column, len(acc.Cols))
		var lx, rx []Expr
		lconv, rconv := false, false
		for j := range cols {
			l, r := &ColRef{Idx: j, T: acc.Cols[j].Type}, &ColRef{Idx: j, T: q.Cols[j].Type}
			t, err := commonType(setOpName(op), []Expr{l, r})
			if err != nil {
				return nil, bd.errAt(sel, types.CodeDatatypeMismatch, "%s types %s and %s cannot be matched", setOpName(op), acc.Cols[j].Type, q.Cols[j].Type)
			}
			if t.Family == types.Unknown {
				t = types.TText
			}
			cols[j] = Column{Name: acc.Cols[j].Name, Type: t}
			le, err := castExpr(l, t)
			if err != nil {
				return nil, err
			}
			re, err := castExpr(r, t)
			if err != nil {
				return nil, err
			}
			lconv = lconv || t != acc.Cols[j].Type
			rconv = rconv || t != q.Cols[j].Type
			lx, rx = append(lx, le), append(rx, re)
		}
		left, right := acc.Rel, q.Rel
		if lconv {
			left = &Project{Input: left, Exprs: lx, Cols: cols}
		}
		if rconv {
			right = &Project{Input: right, Exprs: rx, Cols: cols}
		}
		so := &SetOp{Left: left, Right: right, Cols: cols}
		switch *op {
		case ast.Union:
		case ast.UnionAll:
			so.All = true
		case ast.Intersect:
			so.Kind = Intersect
		case ast.IntersectAll:
			so.Kind, so.All = Intersect, true
		case ast.Except:
			so.Kind = Except
		case ast.ExceptAll:
			so.Kind, so.All = Except, true
		}
		acc = &Query{Rel: so, Cols: cols}
	}
	return bd.orderAndLimit(acc, orderBy, limit)
}

func setOpName(op *ast.SetOprType) string {
	if op == nil {
		return "UNION"
	}
	switch *op {
	case ast.Intersect, ast.IntersectAll:
		return "INTERSECT"
	case ast.Except, ast.ExceptAll:
		return "EXCEPT"
	}
	return "UNION"
}

// orderAndLimit applies ORDER BY (output names or positions) and LIMIT to
// a set operation's result.
func (bd *binder) orderAndLimit(q *Query, orderBy *ast.OrderByClause, limit *ast.Limit) (*Query, error) {
	out := q.Rel
	if orderBy != nil {
		var keys []SortKey
		for _, it := range orderBy.Items {
			e, desc, nullsFirst := unwrapNulls(it)
			col := -1
			switch x := e.(type) {
			case *ast.PositionExpr:
				col = x.N - 1
			case *driver.ValueExpr:
				if n, ok := x.GetValue().(int64); ok {
					col = int(n) - 1
				}
			case *ast.ColumnNameExpr:
				for i, c := range q.Cols {
					if c.Name == x.Name.Name.L {
						col = i
						break
					}
				}
			}
			if col < 0 || col >= len(q.Cols) {
				return nil, bd.errAt(it, types.CodeFeatureNotSupported, "ORDER BY on a UNION/INTERSECT/EXCEPT result must name an output column")
			}
			keys = append(keys, SortKey{Col: col, Desc: desc, NullsFirst: nullsFirst})
		}
		out = &Sort{Input: out, Keys: keys}
	}
	if limit != nil {
		lim, err := bd.bindLimit(limit)
		if err != nil {
			return nil, err
		}
		lim.Input = out
		out = lim
	}
	return &Query{Rel: out, Cols: q.Cols}, nil
}

func (bd *binder) bindLimit(l *ast.Limit) (*Limit, error) {
	lim := &Limit{Count: -1}
	var err error
	if l.Count != nil {
		if lim.Count, err = bd.constInt(l.Count, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if l.Offset != nil {
		if lim.Offset, err = bd.constInt(l.Offset, "OFFSET"); err != nil {
			return nil, err
		}
		if lim.Offset < 0 {
			lim.Offset = 0
		}
	}
	return lim, nil
}

// unwrapNulls reads an ORDER BY item: its expression, direction and NULLS
// placement (PostgreSQL's default: NULLs sort as larger than any value).
func unwrapNulls(it *ast.ByItem) (ast.ExprNode, bool, bool) {
	e := it.Expr
	nullsFirst := it.Desc
	if f, ok := e.(*ast.FuncCallExpr); ok && len(f.Args) == 1 {
		switch f.FnName.L {
		case "__nulls_first":
			return f.Args[0], it.Desc, true
		case "__nulls_last":
			return f.Args[0], it.Desc, false
		}
	}
	return e, it.Desc, nullsFirst
}

func (bd *binder) exprs(sc *scope, what string) *exprBinder {
	return &exprBinder{bd: bd, scope: sc, norm: bd.norm, what: what}
}

func (bd *binder) bindSelect(sel *ast.SelectStmt) (*Query, error) {
	if sel.Kind == ast.SelectStmtKindValues {
		return bd.bindValues(sel)
	}
	if sel.Kind == ast.SelectStmtKindTable {
		return nil, bd.errAt(sel, types.CodeFeatureNotSupported, "TABLE as a subquery is not supported yet")
	}
	saved := len(bd.ctes)
	defer func() { bd.ctes = bd.ctes[:saved] }()
	if err := bd.withCTEs(sel.With); err != nil {
		return nil, err
	}
	// FROM
	var input Rel
	sc := &scope{}
	if sel.From == nil {
		input = &Values{Rows: [][]Expr{{}}}
	} else {
		var err error
		if input, sc, err = bd.bindFrom(sel.From.TableRefs); err != nil {
			return nil, err
		}
	}
	// WHERE
	if sel.Where != nil {
		eb := bd.exprs(sc, "WHERE")
		cond, err := eb.bind(sel.Where)
		if err != nil {
			return nil, err
		}
		if cond, err = eb.coerceBool(cond, sel.Where, "WHERE"); err != nil {
			return nil, err
		}
		input = &Filter{Input: input, Cond: cond}
	}
	// SELECT list, collecting aggregates and window functions.
	var aggs []AggCall
	var wins []WindowFunc
	var srfs []SetFuncCall
	eb := bd.exprs(sc, "SELECT")
	eb.aggs, eb.wins = &aggs, &wins
	eb.srfs, eb.srfBase = &srfs, len(sc.cols)
	var exprs []Expr
	var cols []Column
	var fieldOf []ast.Node
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			qual := f.WildCard.Table.L
			matched := false
			for i, c := range sc.cols {
				if c.hidden || qual != "" && c.qual != qual {
					continue
				}
				matched = true
				exprs = append(exprs, &ColRef{Idx: i, T: c.typ, Name: c.name})
				cols = append(cols, Column{Name: c.name, Type: c.typ, Fields: c.fields})
				fieldOf = append(fieldOf, f)
			}
			if !matched && qual != "" {
				return nil, bd.errAt(f, types.CodeUndefinedTable, "missing FROM-clause entry for table \"%s\"", qual)
			}
			continue
		}
		e, err := eb.bind(f.Expr)
		if err != nil {
			return nil, err
		}
		if e.Type().Family == types.Unknown {
			if e, err = coerce(e, types.TText); err != nil {
				return nil, err
			}
		}
		name := f.AsName.O
		if name == "" {
			name = columnName(f.Expr)
		} else if !strings.Contains(bd.norm.text, "`"+name+"`") {
			name = strings.ToLower(name)
		}
		exprs = append(exprs, e)
		cols = append(cols, Column{Name: name, Type: e.Type(), Fields: eb.compositeFields(f.Expr)})
		fieldOf = append(fieldOf, f)
	}
	if len(srfs) > 0 {
		if len(aggs) > 0 || len(wins) > 0 || sel.GroupBy != nil || sel.Having != nil {
			return nil, bd.errAt(sel, types.CodeFeatureNotSupported, "set-returning functions with aggregation are not supported")
		}
		ps := &ProjectSet{Input: input, Funcs: srfs, Cols: append([]Column(nil), input.Columns()...)}
		for _, f := range srfs {
			ps.Cols = append(ps.Cols, Column{Name: f.Func, Type: f.T})
		}
		input = ps
	}
	var having Expr
	if sel.Having != nil {
		hb := bd.exprs(sc, "HAVING")
		hb.aggs = &aggs
		h, err := hb.bind(sel.Having.Expr)
		if err != nil {
			return nil, err
		}
		having = h
	}
	// ORDER BY items are bound before aggregation so they may use aggregates.
	type orderItem struct {
		outCol     int // index into exprs when it names an output column
		expr       Expr
		desc       bool
		nullsFirst bool
	}
	var order []orderItem
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			e, desc, nullsFirst := unwrapNulls(it)
			oi := orderItem{outCol: -1, desc: desc, nullsFirst: nullsFirst}
			pos := -1
			if pe, ok := e.(*ast.PositionExpr); ok && pe.P == nil {
				pos = pe.N
			} else if v, ok := e.(*driver.ValueExpr); ok {
				if n, ok := v.GetValue().(int64); ok {
					pos = int(n) // a position under NULLS FIRST/LAST
				}
			}
			if pos >= 0 {
				if pos < 1 || pos > len(exprs) {
					return nil, bd.errAt(it, types.CodeInvalidColumnReference, "ORDER BY position %d is not in select list", pos)
				}
				oi.outCol = pos - 1
			}
			if cn, ok := e.(*ast.ColumnNameExpr); ok && oi.outCol < 0 && cn.Name.Table.L == "" {
				for i, c := range cols {
					if c.Name == cn.Name.Name.L {
						oi.outCol = i
						break
					}
				}
			}
			if oi.outCol < 0 {
				ob := bd.exprs(sc, "ORDER BY")
				ob.aggs, ob.wins = &aggs, &wins
				x, err := ob.bind(e)
				if err != nil {
					return nil, err
				}
				oi.expr = x
			}
			order = append(order, oi)
		}
	}
	// GROUP BY
	var groups []Expr
	if sel.GroupBy != nil {
		gb := bd.exprs(sc, "GROUP BY")
		for _, it := range sel.GroupBy.Items {
			var g Expr
			if pe, ok := it.Expr.(*ast.PositionExpr); ok && pe.P == nil {
				if pe.N < 1 || pe.N > len(exprs) {
					return nil, bd.errAt(it, types.CodeInvalidColumnReference, "GROUP BY position %d is not in select list", pe.N)
				}
				g = exprs[pe.N-1]
				if containsAgg(g) {
					return nil, bd.errAt(it, types.CodeGroupingError, "aggregate functions are not allowed in GROUP BY")
				}
			}
			if g == nil {
				e, err := gb.bind(it.Expr)
				if err != nil {
					// PostgreSQL lets GROUP BY name an output column.
					if cn, ok := it.Expr.(*ast.ColumnNameExpr); ok && types.ErrorCode(err) == types.CodeUndefinedColumn {
						for i, c := range cols {
							if c.Name == cn.Name.Name.L && !containsAgg(exprs[i]) {
								e, err = exprs[i], nil
								break
							}
						}
					}
					if err != nil {
						return nil, err
					}
				}
				g = e
			}
			groups = append(groups, g)
		}
	}
	if len(aggs) > 0 || groups != nil {
		agg := &Aggregate{Input: input, GroupBy: groups, Aggs: aggs}
		for _, g := range groups {
			agg.Cols = append(agg.Cols, Column{Name: nameOf(g), Type: g.Type()})
		}
		for _, a := range aggs {
			agg.Cols = append(agg.Cols, Column{Name: a.Func, Type: a.Type})
		}
		rw := func(e Expr, node ast.Node) (Expr, error) {
			out, bad := rewriteAggregated(e, groups)
			if bad != nil {
				return nil, bd.errAt(node, types.CodeGroupingError, "column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function", bad.Name)
			}
			return out, nil
		}
		for i := range exprs {
			e, err := rw(exprs[i], fieldOf[i])
			if err != nil {
				return nil, err
			}
			exprs[i] = e
		}
		if having != nil {
			h, err := rw(having, sel.Having)
			if err != nil {
				return nil, err
			}
			having = h
		}
		for i := range order {
			if order[i].expr != nil {
				e, err := rw(order[i].expr, sel.OrderBy)
				if err != nil {
					return nil, err
				}
				order[i].expr = e
			}
		}
		for i := range wins {
			w := &wins[i]
			for j := range w.Args {
				e, err := rw(w.Args[j], sel)
				if err != nil {
					return nil, err
				}
				w.Args[j] = e
			}
			for j := range w.PartitionBy {
				e, err := rw(w.PartitionBy[j], sel)
				if err != nil {
					return nil, err
				}
				w.PartitionBy[j] = e
			}
			for j := range w.OrderBy {
				e, err := rw(w.OrderBy[j].E, sel)
				if err != nil {
					return nil, err
				}
				w.OrderBy[j].E = e
			}
		}
		input = agg
	} else if having != nil {
		// HAVING without GROUP BY makes the whole input one group.
		input = &Aggregate{Input: input}
		if containsColRef(having) {
			return nil, bd.errAt(sel.Having, types.CodeGroupingError, "HAVING without GROUP BY may use only aggregates and constants")
		}
	}
	if having != nil {
		var err error
		if having, err = (&exprBinder{norm: bd.norm}).coerceBool(having, sel.Having, "HAVING"); err != nil {
			return nil, err
		}
		input = &Filter{Input: input, Cond: having}
	}
	if len(wins) > 0 {
		over := &Over{Input: input, Funcs: wins}
		base := len(input.Columns())
		over.Cols = append([]Column(nil), input.Columns()...)
		for _, w := range wins {
			over.Cols = append(over.Cols, Column{Name: w.Func, Type: w.Type})
		}
		for i := range exprs {
			exprs[i] = rewriteWinRefs(exprs[i], base)
		}
		for i := range order {
			if order[i].expr != nil {
				order[i].expr = rewriteWinRefs(order[i].expr, base)
			}
		}
		input = over
	}
	// Projection, with hidden ORDER BY columns appended.
	visible := len(exprs)
	var keys []SortKey
	for _, oi := range order {
		col := oi.outCol
		if col < 0 {
			for i := 0; i < visible; i++ {
				if exprEqual(exprs[i], oi.expr) {
					col = i
					break
				}
			}
		}
		if col < 0 {
			if sel.Distinct {
				return nil, bd.errAt(sel.OrderBy, types.CodeInvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
			}
			exprs = append(exprs, oi.expr)
			cols = append(cols, Column{Name: "?order?", Type: oi.expr.Type(), Hidden: true})
			col = len(exprs) - 1
		}
		keys = append(keys, SortKey{Col: col, Desc: oi.desc, NullsFirst: oi.nullsFirst})
	}
	var out Rel = &Project{Input: input, Exprs: exprs, Cols: cols}
	if sel.Distinct {
		d := &Aggregate{Input: out, Cols: cols}
		for i, c := range cols {
			d.GroupBy = append(d.GroupBy, &ColRef{Idx: i, T: c.Type, Name: c.Name})
		}
		out = d
	}
	if len(keys) > 0 {
		out = &Sort{Input: out, Keys: keys}
	}
	if sel.Limit != nil {
		lim, err := bd.bindLimit(sel.Limit)
		if err != nil {
			return nil, err
		}
		lim.Input = out
		out = lim
	}
	if len(exprs) > visible {
		p := &Project{Input: out, Cols: cols[:visible]}
		for i := 0; i < visible; i++ {
			p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: cols[i].Type, Name: cols[i].Name})
		}
		out = p
	}
	return &Query{Rel: out, Cols: cols[:visible]}, nil
}

func containsColRef(e Expr) bool {
	switch x := e.(type) {
	case *ColRef:
		return true
	case *Call:
		for _, a := range x.Args {
			if containsColRef(a) {
				return true
			}
		}
	case *Cast:
		return containsColRef(x.E)
	}
	return false
}

func (bd *binder) constInt(n ast.ExprNode, what string) (int64, error) {
	e, err := (&exprBinder{bd: bd, scope: &scope{}, norm: bd.norm, what: what}).bind(n)
	if err != nil {
		return 0, err
	}
	c, ok := e.(*Const)
	if !ok {
		return 0, bd.errAt(n, types.CodeFeatureNotSupported, "%s must be a constant", what)
	}
	if c.Value == nil {
		return -1, nil
	}
	v, err := types.Cast(c.Value, c.T, types.TInt8)
	if err != nil {
		return 0, err
	}
	if v.(int64) < 0 {
		code := types.CodeInvalidParameterValue
		return 0, bd.errAt(n, code, "%s must not be negative", what)
	}
	return v.(int64), nil
}

// columnName is the output name PostgreSQL gives an unnamed select item.
func columnName(n ast.ExprNode) string {
	switch e := n.(type) {
	case *ast.ColumnNameExpr:
		return e.Name.Name.L
	case *ast.AggregateFuncExpr:
		return strings.ToLower(e.F)
	case *ast.ParenthesesExpr:
		return columnName(e.Expr)
	case *ast.WindowFuncExpr:
		return strings.ToLower(e.Name)
	case *ast.IsNullExpr, *ast.PatternInExpr, *ast.BetweenExpr, *ast.PatternLikeOrIlikeExpr, *ast.ExistsSubqueryExpr:
		if _, ok := e.(*ast.ExistsSubqueryExpr); ok {
			return "exists"
		}
		return "?column?"
	case *ast.FuncCallExpr:
		switch e.FnName.L {
		case "__cast":
			inner := columnName(e.Args[0])
			if inner == "?column?" {
				if tn, ok := e.Args[1].(*driver.ValueExpr); ok {
					if t, err := types.ParseTypeName(tn.GetString()); err == nil {
						return pgTypeName(t)
					}
				}
			}
			return inner
		case "__filter":
			return columnName(e.Args[0])
		case "__interval":
			return "interval"
		case "__extract":
			return "extract"
		case "__subscript":
			return columnName(e.Args[0])
		case "__field":
			if f, ok := e.Args[1].(*driver.ValueExpr); ok {
				return f.GetString()
			}
		case "__param", "__array":
			return "?column?"
		case "__nulls_first", "__nulls_last":
			return columnName(e.Args[0])
		case "__bool":
			return "bool"
		case "concat":
			return "?column?" // the || operator
		case "__concat":
			return "concat"
		case "__ordered", "__agg_distinct":
			return columnName(e.Args[0])
		}
		return e.FnName.L
	case *ast.CaseExpr:
		return "case"
	}
	return "?column?"
}

// pgTypeName is pg_type.typname, which names cast constants' columns.
func pgTypeName(t types.Type) string {
	switch t.Family {
	case types.Bool:
		return "bool"
	case types.Int2:
		return "int2"
	case types.Int4:
		return "int4"
	case types.Int8:
		return "int8"
	case types.Float4:
		return "float4"
	case types.Float8:
		return "float8"
	case types.Varchar:
		return "varchar"
	case types.TimestampTZ:
		return "timestamptz"
	case types.Timestamp:
		return "timestamp"
	}
	return t.String()
}

func containsAgg(e Expr) bool {
	switch x := e.(type) {
	case *aggRef:
		return true
	case *Call:
		for _, a := range x.Args {
			if containsAgg(a) {
				return true
			}
		}
	case *Cast:
		return containsAgg(x.E)
	case *Case:
		for _, w := range x.Whens {
			if containsAgg(w.Cond) || containsAgg(w.Then) {
				return true
			}
		}
		return x.Else != nil && containsAgg(x.Else)
	}
	return false
}

// rewriteAggregated maps an expression over the pre-aggregation scope onto
// the Aggregate's output: group expressions and aggregate placeholders
// become column references. It returns the first column that is neither
// grouped nor aggregated.
func rewriteAggregated(e Expr, groups []Expr) (Expr, *ColRef) {
	for i, g := range groups {
		if exprEqual(e, g) {
			return &ColRef{Idx: i, T: g.Type(), Name: nameOf(g)}, nil
		}
	}
	switch x := e.(type) {
	case *aggRef:
		return &ColRef{Idx: len(groups) + x.idx, T: x.t}, nil
	case *winRef:
		return x, nil
	case *ColRef:
		return nil, x
	case *Call:
		c := &Call{Func: x.Func, T: x.T}
		for _, a := range x.Args {
			r, bad := rewriteAggregated(a, groups)
			if bad != nil {
				return nil, bad
			}
			c.Args = append(c.Args, r)
		}
		return c, nil
	case *Cast:
		r, bad := rewriteAggregated(x.E, groups)
		if bad != nil {
			return nil, bad
		}
		return &Cast{E: r, T: x.T}, nil
	case *Case:
		c := &Case{T: x.T}
		for _, w := range x.Whens {
			cond, bad := rewriteAggregated(w.Cond, groups)
			if bad != nil {
				return nil, bad
			}
			then, bad := rewriteAggregated(w.Then, groups)
			if bad != nil {
				return nil, bad
			}
			c.Whens = append(c.Whens, When{Cond: cond, Then: then})
		}
		if x.Else != nil {
			el, bad := rewriteAggregated(x.Else, groups)
			if bad != nil {
				return nil, bad
			}
			c.Else = el
		}
		return c, nil
	}
	return e, nil
}

func nameOf(e Expr) string {
	if c, ok := e.(*ColRef); ok {
		return c.Name
	}
	return "?column?"
}

// exprEqual compares bound expressions structurally.
func exprEqual(a, b Expr) bool {
	switch x := a.(type) {
	case *ColRef:
		y, ok := b.(*ColRef)
		return ok && x.Idx == y.Idx
	case *Const:
		y, ok := b.(*Const)
		if !ok || x.T != y.T || (x.Value == nil) != (y.Value == nil) {
			return false
		}
		return x.Value == nil || types.Compare(x.Value, y.Value) == 0
	case *Call:
		y, ok := b.(*Call)
		if !ok || x.Func != y.Func || len(x.Args) != len(y.Args) {
			return false
		}
		for i := range x.Args {
			if !exprEqual(x.Args[i], y.Args[i]) {
				return false
			}
		}
		return true
	case *Cast:
		y, ok := b.(*Cast)
		return ok && x.T == y.T && exprEqual(x.E, y.E)
	case *aggRef:
		y, ok := b.(*aggRef)
		return ok && x.idx == y.idx
	case *winRef:
		y, ok := b.(*winRef)
		return ok && x.idx == y.idx
	case *OuterRef:
		y, ok := b.(*OuterRef)
		return ok && x.Depth == y.Depth && x.Idx == y.Idx
	case *Param:
		y, ok := b.(*Param)
		return ok && x.Idx == y.Idx
	}
	return false
}

// bindFrom binds a FROM clause: tables, views, streams, CTEs, subqueries,
// window table functions, and joins of them.
func (bd *binder) bindFrom(n ast.ResultSetNode) (Rel, *scope, error) {
	switch j := n.(type) {
	case *ast.Join:
		if j.Right == nil {
			return bd.bindFrom(j.Left)
		}
		return bd.bindJoin(j)
	case *ast.TableSource:
		return bd.bindTableSource(j)
	}
	return nil, nil, bd.errAt(n, types.CodeFeatureNotSupported, "FROM item %T is not supported", n)
}

func (bd *binder) bindTableSource(ts *ast.TableSource) (Rel, *scope, error) {
	alias := ts.AsName.L
	if alias != "" && strings.Contains(bd.norm.text, "`"+ts.AsName.O+"`") {
		alias = ts.AsName.O
	}
	var names []string
	if i, err := strconv.Atoi(strings.TrimPrefix(alias, "__alias_")); err == nil && strings.HasPrefix(alias, "__alias_") && i < len(bd.norm.aliases) {
		alias, names = bd.norm.aliases[i].name, bd.norm.aliases[i].cols
	}
	rel, sc, err := bd.bindTableItem(ts, alias)
	if err != nil || names == nil {
		return rel, sc, err
	}
	// AS t(a, b, ...) renames the item's first columns.
	visible := 0
	for _, c := range sc.cols {
		if !c.hidden {
			visible++
		}
	}
	if len(names) > visible {
		return nil, nil, bd.errAt(ts, types.CodeInvalidColumnReference, "table \"%s\" has %d columns available but %d columns specified", alias, visible, len(names))
	}
	renamed := &scope{cols: append([]scopeCol(nil), sc.cols...)}
	k := 0
	for i := range renamed.cols {
		if k < len(names) && !renamed.cols[i].hidden {
			renamed.cols[i].name = names[k]
			k++
		}
	}
	return rel, renamed, nil
}

// bindTableItem binds one FROM item under alias ("": none).
func (bd *binder) bindTableItem(ts *ast.TableSource, alias string) (Rel, *scope, error) {
	switch src := ts.Source.(type) {
	case *ast.TableName:
		name := src.Name.L
		if strings.HasPrefix(name, "__weir_window_") {
			idx, _ := strconv.Atoi(strings.TrimPrefix(name, "__weir_window_"))
			w, err := bd.bindWindow(bd.norm.windows[idx])
			if err != nil {
				return nil, nil, err
			}
			if tf, ok := w.rel.(*TableFunc); ok && alias != "" {
				// A scalar function's column takes the alias's name.
				tf.Cols[0].Name = alias
			}
			if alias == "" {
				alias = w.qual
			}
			return w.rel, scopeOf(w.rel, alias), nil
		}
		if strings.Contains(bd.norm.text, "`"+src.Name.O+"`") {
			name = src.Name.O
		}
		if alias == "" {
			alias = name
		}
		if src.Schema.L == "" {
			if q, ok := bd.lookupCTE(name); ok {
				p := &Project{Input: q.Rel, Exprs: identity(q.Cols), Cols: q.Cols}
				return p, scopeOf(p, alias), nil
			}
		}
		full := name
		if src.Schema.L != "" && src.Schema.L != "public" {
			full = src.Schema.L + "." + name
		}
		rel, ok := bd.cat.Relation(full)
		if !ok {
			if src.Schema.L != "" {
				return nil, nil, bd.identErr(src.Name.O, types.CodeUndefinedTable, "relation \"%s.%s\" does not exist", src.Schema.O, src.Name.O)
			}
			return nil, nil, bd.identErr(src.Name.O, types.CodeUndefinedTable, "relation \"%s\" does not exist", name)
		}
		bd.deps = append(bd.deps, rel)
		if rel.Kind == RelView && rel.ViewQuery != nil {
			// A view is its query, bound afresh where it is used.
			q, err := rel.ViewQuery(bd.cat)
			if err != nil {
				return nil, nil, err
			}
			p := &Project{Input: q.Rel, Exprs: identity(q.Cols), Cols: q.Cols}
			return p, scopeOf(p, alias), nil
		}
		s := &Scan{Relation: rel}
		return s, scopeOf(s, alias), nil
	case *ast.SelectStmt, *ast.SetOprStmt:
		child := bd.child(&scope{})
		child.outer = bd.outer // a FROM subquery is not correlated with its siblings
		q, err := child.bindQueryNode(src.(ast.StmtNode))
		if err != nil {
			return nil, nil, err
		}
		bd.deps = append(bd.deps, child.deps...)
		return q.Rel, scopeOf(&Project{Cols: q.Cols}, alias), nil
	}
	return nil, nil, bd.errAt(ts, types.CodeFeatureNotSupported, "FROM item %T is not supported", ts.Source)
}

// bindJoin binds a join; its scope is the left's columns then the right's.
func (bd *binder) bindJoin(j *ast.Join) (Rel, *scope, error) {
	left, ls, err := bd.bindFrom(j.Left)
	if err != nil {
		return nil, nil, err
	}
	right, rs, err := bd.bindFrom(j.Right)
	if err != nil {
		return nil, nil, err
	}
	sc := &scope{cols: append(append([]scopeCol(nil), ls.cols...), rs.cols...)}
	jn := &Join{Left: left, Right: right, Kind: CrossJoin}
	switch j.Tp {
	case ast.LeftJoin:
		jn.Kind = LeftJoin
	case ast.RightJoin:
		jn.Kind = RightJoin
	default:
		if j.On != nil || j.Using != nil || j.NaturalJoin {
			jn.Kind = InnerJoin
		}
	}
	var using []string
	switch {
	case j.NaturalJoin:
		for _, lc := range ls.cols {
			for _, rc := range rs.cols {
				if lc.name == rc.name && !lc.hidden && !rc.hidden {
					using = append(using, lc.name)
				}
			}
		}
		if jn.Kind == CrossJoin {
			jn.Kind = InnerJoin
		}
	case j.Using != nil:
		for _, c := range j.Using {
			using = append(using, c.Name.L)
		}
	}
	var cond Expr
	for _, name := range using {
		li, ri := -1, -1
		for i, c := range ls.cols {
			if c.name == name {
				li = i
			}
		}
		for i, c := range rs.cols {
			if c.name == name {
				ri = i
			}
		}
		if li < 0 || ri < 0 {
			return nil, nil, bd.errAt(j, types.CodeUndefinedColumn, "column \"%s\" specified in USING clause does not exist in %s table", name, map[bool]string{true: "left", false: "right"}[li < 0])
		}
		eb := bd.exprs(sc, "JOIN")
		eq, err := eb.compare(j, "=", &ColRef{Idx: li, T: ls.cols[li].typ, Name: name}, &ColRef{Idx: len(ls.cols) + ri, T: rs.cols[ri].typ, Name: name})
		if err != nil {
			return nil, nil, err
		}
		if cond == nil {
			cond = eq
		} else {
			cond = &Call{Func: "and", Args: []Expr{cond, eq}, T: types.TBool}
		}
		// The merged column is named once: hide the right copy from * and
		// from unqualified names.
		sc.cols[len(ls.cols)+ri].hidden = true
		sc.cols[len(ls.cols)+ri].name = "?using?" + name
	}
	if j.On != nil {
		on := j.On.Expr
		if f, ok := on.(*ast.FuncCallExpr); ok && len(f.Args) == 1 {
			switch f.FnName.L {
			case "__full_join":
				jn.Kind, on = FullJoin, f.Args[0]
			case "__temporal_join":
				jn.Temporal, on = true, f.Args[0]
			}
		}
		eb := bd.exprs(sc, "JOIN/ON")
		c, err := eb.bind(on)
		if err != nil {
			return nil, nil, err
		}
		if c, err = eb.coerceBool(c, on, "JOIN/ON"); err != nil {
			return nil, nil, err
		}
		cond = c
	}
	jn.On = cond
	for _, c := range sc.cols {
		jn.Cols = append(jn.Cols, Column{Name: c.name, Type: c.typ, Hidden: c.hidden})
	}
	// Outer joins make the padded side's columns nullable; nothing to do
	// for types, which carry no nullability.
	return jn, sc, nil
}

type boundWindow struct {
	rel  Rel
	qual string
}

// bindTableFunc binds generate_series(start, stop [, step]) over integers
// and unnest(array).
func (bd *binder) bindTableFunc(wc windowCall) (*boundWindow, error) {
	var args []Expr
	for _, a := range wc.args {
		if len(a) == 0 {
			continue
		}
		pe, err := parseExpr(a)
		if err != nil {
			return nil, err
		}
		e, err := bd.exprs(&scope{}, wc.kind).bind(pe.node)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	errAt := func(code, format string, a ...any) error {
		e := types.Errorf(code, format, a...)
		e.Position = wc.pos + 1
		return e
	}
	switch wc.kind {
	case "generate_series":
		if len(args) < 2 || len(args) > 3 {
			return nil, errAt(types.CodeUndefinedFunction, "function generate_series with %d arguments does not exist", len(args))
		}
		for i := range args {
			c, err := coerce(args[i], types.TInt8)
			if err != nil {
				return nil, err
			}
			args[i] = c
		}
		return &boundWindow{rel: &TableFunc{Func: wc.kind, Args: args, Cols: []Column{{Name: "generate_series", Type: types.TInt8}}}, qual: "generate_series"}, nil
	case "unnest":
		if len(args) != 1 {
			return nil, errAt(types.CodeUndefinedFunction, "function unnest with %d arguments does not exist", len(args))
		}
		a, err := coerceToText(args[0])
		if err != nil {
			return nil, err
		}
		return &boundWindow{rel: &TableFunc{Func: wc.kind, Args: []Expr{a}, Cols: []Column{{Name: "unnest", Type: types.TText}}}, qual: "unnest"}, nil
	}
	return nil, errAt(types.CodeFeatureNotSupported, "table function %s is not supported", wc.kind)
}

// bindWindow binds TUMBLE(rel, col, size [, offset]), HOP(rel, col, slide,
// size) and SESSION(rel, col, gap).
func (bd *binder) bindWindow(wc windowCall) (*boundWindow, error) {
	at := func(t Token, code, format string, args ...any) error {
		e := types.Errorf(code, format, args...)
		e.Position = t.Pos + 1
		return e
	}
	name := strings.ToUpper(wc.kind)
	want, ok := map[string][2]int{"TUMBLE": {3, 4}, "HOP": {4, 4}, "SESSION": {3, 3}}[name]
	if !ok {
		return bd.bindTableFunc(wc)
	}
	if len(wc.args) < want[0] || len(wc.args) > want[1] {
		return nil, at(Token{Pos: wc.pos}, types.CodeUndefinedFunction, "function %s with %d arguments does not exist", strings.ToLower(name), len(wc.args))
	}
	relToks := wc.args[0]
	if len(relToks) > 0 && relToks[0].Is("table") {
		relToks = relToks[1:] // Flink's TABLE rel
	}
	if len(relToks) == 0 {
		return nil, at(Token{Pos: wc.pos}, types.CodeSyntaxError, "syntax error in %s arguments", name)
	}
	var input Rel
	qual := ""
	if relToks[0].Is("(") && len(relToks) > 1 && (relToks[1].Is("select") || relToks[1].Is("with")) {
		q, err := parseQuery(append(append([]Token(nil), relToks[1:len(relToks)-1]...), Token{Kind: TokEOF, Pos: relToks[len(relToks)-1].Pos}))
		if err != nil {
			return nil, err
		}
		sub := &binder{cat: bd.cat, norm: q.norm, params: bd.params, ctes: bd.ctes, outer: bd.outer}
		bq, err := sub.bindQueryNode(q.node)
		if err != nil {
			return nil, err
		}
		bd.deps = append(bd.deps, sub.deps...)
		input = &Project{Input: bq.Rel, Cols: bq.Cols, Exprs: identity(bq.Cols)}
	} else {
		if len(relToks) != 1 || relToks[0].Kind != TokIdent && relToks[0].Kind != TokQuotedIdent {
			return nil, at(relToks[0], types.CodeSyntaxError, "syntax error at or near \"%s\"", relToks[0].Text)
		}
		rn := relToks[0].Text
		if relToks[0].Kind == TokIdent {
			rn = strings.ToLower(rn)
		}
		qual = rn
		if q, ok := bd.lookupCTE(rn); ok {
			input = &Project{Input: q.Rel, Exprs: identity(q.Cols), Cols: q.Cols}
		} else {
			rel, ok := bd.cat.Relation(rn)
			if !ok {
				return nil, at(relToks[0], types.CodeUndefinedTable, "relation \"%s\" does not exist", rn)
			}
			bd.deps = append(bd.deps, rel)
			input = &Scan{Relation: rel}
			if rel.Kind == RelView && rel.ViewQuery != nil {
				q, err := rel.ViewQuery(bd.cat)
				if err != nil {
					return nil, err
				}
				input = &Project{Input: q.Rel, Exprs: identity(q.Cols), Cols: q.Cols}
			}
		}
	}
	colToks := wc.args[1]
	if len(colToks) == 4 && colToks[0].Is("descriptor") {
		colToks = colToks[2:3]
	}
	if len(colToks) != 1 {
		return nil, at(Token{Pos: wc.pos}, types.CodeSyntaxError, "%s expects a time column as its second argument", name)
	}
	colName := colToks[0].Text
	if colToks[0].Kind == TokIdent {
		colName = strings.ToLower(colName)
	}
	timeCol := -1
	for i, c := range input.Columns() {
		if c.Name == colName {
			timeCol = i
		}
	}
	if timeCol < 0 {
		return nil, at(colToks[0], types.CodeUndefinedColumn, "column \"%s\" does not exist", colName)
	}
	if tt := input.Columns()[timeCol].Type; !tt.IsTime() {
		return nil, at(colToks[0], types.CodeDatatypeMismatch, "%s time column \"%s\" must be a timestamp, not %s", name, colName, tt)
	}
	durations := make([]int64, 0, 2)
	for _, a := range wc.args[2:] {
		pe, err := parseExpr(a)
		if err != nil {
			return nil, err
		}
		e, err := (&exprBinder{scope: &scope{}, norm: pe.norm, what: name}).bind(pe.node)
		if err != nil {
			return nil, err
		}
		c, ok := e.(*Const)
		if ok && c.T.Family == types.Unknown {
			if e, err = coerce(c, types.TInterval); err != nil {
				return nil, err
			}
			c = e.(*Const)
		}
		if !ok || c.T.Family != types.Interval || c.Value == nil {
			return nil, at(a[0], types.CodeDatatypeMismatch, "%s sizes must be constant intervals", name)
		}
		iv := c.Value.(types.DInterval)
		if iv.Months != 0 {
			return nil, at(a[0], types.CodeFeatureNotSupported, "%s sizes in months or years are not supported", name)
		}
		durations = append(durations, iv.FixedMicros())
	}
	w := &Window{Input: input, TimeCol: timeCol}
	switch name {
	case "TUMBLE":
		w.Kind, w.Size, w.Slide = Tumble, durations[0], durations[0]
		if len(durations) > 1 {
			w.Offset = durations[1]
		}
	case "HOP":
		w.Kind, w.Slide, w.Size = Hop, durations[0], durations[1]
	case "SESSION":
		w.Kind, w.Size = Session, durations[0]
	}
	if w.Size <= 0 || w.Slide < 0 || w.Kind == Hop && w.Slide <= 0 {
		return nil, at(Token{Pos: wc.pos}, types.CodeInvalidParameterValue, "%s window size must be a positive interval", name)
	}
	if w.Kind == Hop && w.Size%w.Slide != 0 {
		return nil, at(Token{Pos: wc.pos}, types.CodeInvalidParameterValue, "HOP window size must be a multiple of its slide")
	}
	w.Cols = append(append([]Column(nil), input.Columns()...),
		Column{Name: "window_start", Type: types.TTimestamp}, Column{Name: "window_end", Type: types.TTimestamp})
	return &boundWindow{rel: w, qual: qual}, nil
}

func identity(cols []Column) []Expr {
	out := make([]Expr, len(cols))
	for i, c := range cols {
		out[i] = &ColRef{Idx: i, T: c.Type, Name: c.Name}
	}
	return out
}

// identErr reports an error at the first place the identifier appears in
// the user's text (TiDB keeps no positions for table names).
func (bd *binder) identErr(ident, code, format string, args ...any) *types.Error {
	e := types.Errorf(code, format, args...)
	for i := range bd.norm.spans {
		end := len(bd.norm.text)
		if i+1 < len(bd.norm.spans) {
			end = bd.norm.spans[i+1].norm
		}
		piece := strings.Trim(strings.TrimSpace(bd.norm.text[bd.norm.spans[i].norm:end]), "`")
		if strings.EqualFold(piece, ident) {
			e.Position = bd.norm.spans[i].orig + 1
			break
		}
	}
	return e
}

// bindValues binds VALUES (...), (...): each column takes the common type
// of its values (text when all are untyped literals) and is named
// columnN, as PostgreSQL names them.
func (bd *binder) bindValues(sel *ast.SelectStmt) (*Query, error) {
	if sel.OrderBy != nil || sel.Limit != nil {
		return nil, bd.errAt(sel, types.CodeFeatureNotSupported, "ORDER BY and LIMIT on VALUES are not supported; select from it instead")
	}
	if len(sel.Lists) == 0 {
		return nil, bd.errAt(sel, types.CodeSyntaxError, "VALUES needs at least one row")
	}
	width := len(sel.Lists[0].Values)
	rows := make([][]Expr, len(sel.Lists))
	eb := bd.exprs(&scope{}, "VALUES")
	for i, r := range sel.Lists {
		if len(r.Values) != width {
			return nil, bd.errAt(r, types.CodeSyntaxError, "VALUES lists must all be the same length")
		}
		for _, v := range r.Values {
			e, err := eb.bind(v)
			if err != nil {
				return nil, err
			}
			rows[i] = append(rows[i], e)
		}
	}
	cols := make([]Column, width)
	for j := range cols {
		col := make([]Expr, len(rows))
		for i := range rows {
			col[i] = rows[i][j]
		}
		t, err := commonType("VALUES", col)
		if err != nil {
			return nil, bd.errAt(sel, types.CodeDatatypeMismatch, "%s", types.AsError(err).Message)
		}
		if t.Family == types.Unknown {
			t = types.TText
		}
		for i := range rows {
			if rows[i][j], err = coerce(rows[i][j], t); err != nil {
				return nil, err
			}
		}
		cols[j] = Column{Name: "column" + strconv.Itoa(j+1), Type: t}
	}
	return &Query{Rel: &Values{Rows: rows, Cols: cols}, Cols: cols}, nil
}
