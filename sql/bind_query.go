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
}

func (bd *binder) errAt(node ast.Node, code, format string, args ...any) *types.Error {
	eb := &exprBinder{norm: bd.norm}
	return eb.errAt(node, code, format, args...)
}

func (bd *binder) bindQueryNode(n ast.StmtNode) (*Query, error) {
	switch q := n.(type) {
	case *ast.SelectStmt:
		return bd.bindSelect(q)
	case *ast.SetOprStmt:
		return nil, bd.errAt(q, types.CodeFeatureNotSupported, "UNION, INTERSECT and EXCEPT are not supported yet")
	}
	return nil, types.Errorf(types.CodeSyntaxError, "syntax error: not a query")
}

func (bd *binder) bindSelect(sel *ast.SelectStmt) (*Query, error) {
	if sel.Kind == ast.SelectStmtKindValues {
		return nil, bd.errAt(sel, types.CodeFeatureNotSupported, "VALUES as a query is not supported yet")
	}
	if sel.WithBeforeBraces || sel.With != nil {
		return nil, bd.errAt(sel, types.CodeFeatureNotSupported, "WITH queries are not supported yet")
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
		eb := &exprBinder{scope: sc, norm: bd.norm, what: "WHERE"}
		cond, err := eb.bind(sel.Where)
		if err != nil {
			return nil, err
		}
		if cond, err = eb.coerceBool(cond, sel.Where, "WHERE"); err != nil {
			return nil, err
		}
		input = &Filter{Input: input, Cond: cond}
	}
	// SELECT list, collecting aggregates.
	var aggs []AggCall
	eb := &exprBinder{scope: sc, norm: bd.norm, aggs: &aggs, what: "SELECT"}
	var exprs []Expr
	var cols []Column
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
				cols = append(cols, Column{Name: c.name, Type: c.typ})
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
		cols = append(cols, Column{Name: name, Type: e.Type()})
	}
	var having Expr
	if sel.Having != nil {
		h, err := (&exprBinder{scope: sc, norm: bd.norm, aggs: &aggs, what: "HAVING"}).bind(sel.Having.Expr)
		if err != nil {
			return nil, err
		}
		having = h
	}
	// ORDER BY items bound before aggregation so they may use aggregates.
	type orderItem struct {
		outCol int // index into exprs when it names an output column
		expr   Expr
		desc   bool
	}
	var order []orderItem
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			oi := orderItem{outCol: -1, desc: it.Desc}
			if pe, ok := it.Expr.(*ast.PositionExpr); ok && pe.P == nil {
				if pe.N < 1 || pe.N > len(exprs) {
					return nil, bd.errAt(it, types.CodeInvalidColumnReference, "ORDER BY position %d is not in select list", pe.N)
				}
				oi.outCol = pe.N - 1
			}
			if v, ok := it.Expr.(*driver.ValueExpr); ok {
				if n, ok := v.GetValue().(int64); ok {
					if n < 1 || int(n) > len(exprs) {
						return nil, bd.errAt(it, types.CodeInvalidColumnReference, "ORDER BY position %d is not in select list", n)
					}
					oi.outCol = int(n) - 1
				}
			}
			if cn, ok := it.Expr.(*ast.ColumnNameExpr); ok && oi.outCol < 0 && cn.Name.Table.L == "" {
				for i, c := range cols {
					if c.Name == cn.Name.Name.L {
						oi.outCol = i
						break
					}
				}
			}
			if oi.outCol < 0 {
				e, err := (&exprBinder{scope: sc, norm: bd.norm, aggs: &aggs, what: "ORDER BY"}).bind(it.Expr)
				if err != nil {
					return nil, err
				}
				oi.expr = e
			}
			order = append(order, oi)
		}
	}
	// GROUP BY
	var groups []Expr
	if sel.GroupBy != nil {
		gb := &exprBinder{scope: sc, norm: bd.norm, what: "GROUP BY"}
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
			if v, ok := it.Expr.(*driver.ValueExpr); ok {
				if n, ok := v.GetValue().(int64); ok {
					if n < 1 || int(n) > len(exprs) {
						return nil, bd.errAt(it, types.CodeInvalidColumnReference, "GROUP BY position %d is not in select list", n)
					}
					g = exprs[n-1]
					if containsAgg(g) {
						return nil, bd.errAt(it, types.CodeGroupingError, "aggregate functions are not allowed in GROUP BY")
					}
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
		for i, g := range groups {
			name := "?column?"
			if c, ok := g.(*ColRef); ok {
				name = c.Name
			}
			_ = i
			agg.Cols = append(agg.Cols, Column{Name: name, Type: g.Type()})
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
		fi := 0
		for i := range exprs {
			for fi < len(sel.Fields.Fields) && sel.Fields.Fields[fi].WildCard != nil && false {
				fi++
			}
			var node ast.Node = sel
			if i < len(sel.Fields.Fields) {
				node = sel.Fields.Fields[i]
			}
			e, err := rw(exprs[i], node)
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
		input = agg
	} else if having != nil {
		return nil, bd.errAt(sel.Having, types.CodeGroupingError, "HAVING without GROUP BY or aggregates is not supported")
	}
	if having != nil {
		var err error
		if having, err = (&exprBinder{norm: bd.norm}).coerceBool(having, sel.Having, "HAVING"); err != nil {
			return nil, err
		}
		input = &Filter{Input: input, Cond: having}
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
		// PostgreSQL sorts NULLs as larger than every value.
		keys = append(keys, SortKey{Col: col, Desc: oi.desc, NullsFirst: oi.desc})
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
		lim := &Limit{Input: out, Count: -1}
		var err error
		if sel.Limit.Count != nil {
			if lim.Count, err = bd.constInt(sel.Limit.Count, "LIMIT"); err != nil {
				return nil, err
			}
		}
		if sel.Limit.Offset != nil {
			if lim.Offset, err = bd.constInt(sel.Limit.Offset, "OFFSET"); err != nil {
				return nil, err
			}
		}
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

func (bd *binder) constInt(n ast.ExprNode, what string) (int64, error) {
	e, err := (&exprBinder{scope: &scope{}, norm: bd.norm, what: what}).bind(n)
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
		case "__bool":
			return "bool"
		case "concat":
			return "?column?"
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
	}
	return false
}

// bindFrom binds a FROM clause: one table, view, stream, subquery or window
// table function (joins come later).
func (bd *binder) bindFrom(j *ast.Join) (Rel, *scope, error) {
	if j.Right != nil {
		return nil, nil, bd.errAt(j, types.CodeFeatureNotSupported, "joins are not supported yet")
	}
	ts, ok := j.Left.(*ast.TableSource)
	if !ok {
		if inner, ok := j.Left.(*ast.Join); ok {
			return bd.bindFrom(inner)
		}
		return nil, nil, bd.errAt(j, types.CodeFeatureNotSupported, "FROM item is not supported")
	}
	alias := ts.AsName.L
	switch src := ts.Source.(type) {
	case *ast.TableName:
		name := src.Name.L
		if strings.HasPrefix(name, "__weir_window_") {
			idx, _ := strconv.Atoi(strings.TrimPrefix(name, "__weir_window_"))
			w, err := bd.bindWindow(bd.norm.windows[idx])
			if err != nil {
				return nil, nil, err
			}
			if alias == "" {
				alias = w.qual
			}
			return w.rel, scopeOf(w.rel, alias), nil
		}
		if src.Schema.L != "" && src.Schema.L != "public" {
			return nil, nil, bd.errAt(src, types.CodeUndefinedTable, "relation \"%s.%s\" does not exist", src.Schema.O, src.Name.O)
		}
		if strings.Contains(bd.norm.text, "`"+src.Name.O+"`") {
			name = src.Name.O
		}
		rel, ok := bd.cat.Relation(name)
		if !ok {
			return nil, nil, bd.identErr(src.Name.O, types.CodeUndefinedTable, "relation \"%s\" does not exist", name)
		}
		bd.deps = append(bd.deps, rel)
		if alias == "" {
			alias = name
		}
		s := &Scan{Relation: rel}
		return s, scopeOf(s, alias), nil
	case *ast.SelectStmt, *ast.SetOprStmt:
		q, err := bd.bindQueryNode(src.(ast.StmtNode))
		if err != nil {
			return nil, nil, err
		}
		return q.Rel, scopeOf(&Project{Cols: q.Cols}, alias), nil
	}
	return nil, nil, bd.errAt(ts, types.CodeFeatureNotSupported, "FROM item %T is not supported", ts.Source)
}

type boundWindow struct {
	rel  *Window
	qual string
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
	want := map[string][2]int{"TUMBLE": {3, 4}, "HOP": {4, 4}, "SESSION": {3, 3}}[name]
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
	if relToks[0].Is("(") {
		q, err := parseQuery(append(append([]Token(nil), relToks[1:len(relToks)-1]...), Token{Kind: TokEOF, Pos: relToks[len(relToks)-1].Pos}))
		if err != nil {
			return nil, err
		}
		sub := &binder{cat: bd.cat, norm: q.norm}
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
		rel, ok := bd.cat.Relation(rn)
		if !ok {
			return nil, at(relToks[0], types.CodeUndefinedTable, "relation \"%s\" does not exist", rn)
		}
		bd.deps = append(bd.deps, rel)
		input, qual = &Scan{Relation: rel}, rn
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
	if w.Kind == Session {
		return nil, at(Token{Pos: wc.pos}, types.CodeFeatureNotSupported, "SESSION windows are not supported yet")
	}
	w.Cols = append(append([]Column(nil), input.Columns()...),
		Column{Name: "window_start", Type: types.TTimestamp}, Column{Name: "window_end", Type: types.TTimestamp})
	if w.Kind == Hop {
		return nil, at(Token{Pos: wc.pos}, types.CodeFeatureNotSupported, "HOP windows are not supported yet")
	}
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
