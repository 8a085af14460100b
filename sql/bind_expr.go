package sql

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/weir-db/weir/types"
)

// scopeCol is one column visible to expressions.
type scopeCol struct {
	qual   string // table name or alias
	name   string
	typ    types.Type
	hidden bool
	// fields are a composite column's (see bind_set_func.go).
	fields []Column
}

// scope is the set of columns an expression can name, in input order.
type scope struct {
	cols []scopeCol
}

func scopeOf(rel Rel, qual string) *scope {
	s := &scope{}
	for _, c := range rel.Columns() {
		s.cols = append(s.cols, scopeCol{qual: qual, name: c.Name, typ: c.Type, hidden: c.Hidden, fields: c.Fields})
	}
	return s
}

// exprBinder binds TiDB expressions against a scope. When aggs is non-nil,
// aggregate calls are collected into it and replaced by placeholders.
type exprBinder struct {
	bd    *binder // the query binder (outer scopes, parameters, CTEs); nil for standalone expressions
	scope *scope
	norm  *normalized
	aggs  *[]AggCall
	// wins collects window function calls (nil: not allowed here).
	wins *[]WindowFunc
	// srfs collects set-returning function calls (nil: not allowed here),
	// each standing for column srfBase+i of the ProjectSet made of them.
	srfs    *[]SetFuncCall
	srfBase int
	// aggArgs binds aggregate arguments (the pre-aggregation scope).
	inAgg bool
	what  string // clause name for errors ("WHERE", "GROUP BY", ...)
}

// aggRef is a placeholder for the i-th collected aggregate, replaced by a
// column reference once the Aggregate node exists.
type aggRef struct {
	idx int
	t   types.Type
}

func (a *aggRef) Type() types.Type { return a.t }
func (*aggRef) expr()              {}

func (b *exprBinder) errAt(node ast.Node, code, format string, args ...any) *types.Error {
	e := types.Errorf(code, format, args...)
	if b.norm != nil && node != nil {
		if off := node.OriginTextPosition(); off > 0 || off == 0 {
			e.Position = b.norm.origPos(off) + 1
		}
	}
	return e
}

func (b *exprBinder) bind(n ast.ExprNode) (Expr, error) {
	switch e := n.(type) {
	case *ast.ParenthesesExpr:
		return b.bind(e.Expr)
	case *driver.ValueExpr:
		return b.bindValue(e)
	case *ast.ColumnNameExpr:
		return b.bindColumn(e)
	case *ast.BinaryOperationExpr:
		return b.bindBinary(e)
	case *ast.UnaryOperationExpr:
		v, err := b.bind(e.V)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case opcode.Minus:
			if c, ok := v.(*Const); ok {
				return negateConst(c)
			}
			if !v.Type().IsNumeric() && v.Type().Family != types.Interval {
				return nil, b.errAt(e, types.CodeUndefinedFunction, "operator does not exist: - %s", v.Type())
			}
			return &Call{Func: "neg", Args: []Expr{v}, T: v.Type()}, nil
		case opcode.Plus:
			return v, nil
		case opcode.Not, opcode.Not2:
			v, err := b.coerceBool(v, e, "NOT")
			if err != nil {
				return nil, err
			}
			return &Call{Func: "not", Args: []Expr{v}, T: types.TBool}, nil
		}
		return nil, b.errAt(e, types.CodeFeatureNotSupported, "operator %s is not supported", e.Op)
	case *ast.IsNullExpr:
		v, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		fn := "is_null"
		if e.Not {
			fn = "is_not_null"
		}
		return &Call{Func: fn, Args: []Expr{v}, T: types.TBool}, nil
	case *ast.IsTruthExpr:
		v, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		if v, err = b.coerceBool(v, e, "IS TRUE"); err != nil {
			return nil, err
		}
		fn := map[bool]string{true: "is_true", false: "is_false"}[e.True != 0]
		c := Expr(&Call{Func: fn, Args: []Expr{v}, T: types.TBool})
		if e.Not {
			c = &Call{Func: "not", Args: []Expr{c}, T: types.TBool}
		}
		return c, nil
	case *ast.BetweenExpr:
		v, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		lo, err := b.bind(e.Left)
		if err != nil {
			return nil, err
		}
		hi, err := b.bind(e.Right)
		if err != nil {
			return nil, err
		}
		ge, err := b.compare(e, ">=", v, lo)
		if err != nil {
			return nil, err
		}
		le, err := b.compare(e, "<=", v, hi)
		if err != nil {
			return nil, err
		}
		c := Expr(&Call{Func: "and", Args: []Expr{ge, le}, T: types.TBool})
		if e.Not {
			c = &Call{Func: "not", Args: []Expr{c}, T: types.TBool}
		}
		return c, nil
	case *ast.PatternInExpr:
		if e.Sel != nil {
			sq, ok := e.Sel.(*ast.SubqueryExpr)
			if !ok {
				return nil, b.errAt(e, types.CodeSyntaxError, "IN needs a list or a subquery")
			}
			return b.compareSubquery(e, e.Expr, sq.Query, "=", false, e.Not)
		}
		v, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		var c Expr
		for _, item := range e.List {
			x, err := b.bind(item)
			if err != nil {
				return nil, err
			}
			eq, err := b.compare(e, "=", v, x)
			if err != nil {
				return nil, err
			}
			if c == nil {
				c = eq
			} else {
				c = &Call{Func: "or", Args: []Expr{c, eq}, T: types.TBool}
			}
		}
		if e.Not {
			c = &Call{Func: "not", Args: []Expr{c}, T: types.TBool}
		}
		return c, nil
	case *ast.PatternLikeOrIlikeExpr:
		v, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		p, err := b.bind(e.Pattern)
		if err != nil {
			return nil, err
		}
		if v, err = coerce(v, types.TText); err != nil {
			return nil, err
		}
		if p, err = coerce(p, types.TText); err != nil {
			return nil, err
		}
		fn := "like"
		if !e.IsLike {
			fn = "ilike"
		}
		if e.Not {
			fn = "not_" + fn
		}
		return &Call{Func: fn, Args: []Expr{v, p}, T: types.TBool}, nil
	case *ast.CaseExpr:
		return b.bindCase(e)
	case *ast.AggregateFuncExpr:
		return b.bindAggregate(e, nil, nil)
	case *ast.FuncCallExpr:
		return b.bindFunc(e)
	case *ast.DefaultExpr:
		return nil, b.errAt(e, types.CodeFeatureNotSupported, "DEFAULT is not supported")
	case *ast.SubqueryExpr:
		q, err := b.subquery(e.Query)
		if err != nil {
			return nil, err
		}
		if len(q.Cols) != 1 {
			return nil, b.errAt(e, types.CodeSyntaxError, "subquery must return only one column")
		}
		return &Subquery{Kind: ScalarSubquery, Query: q.Rel, T: q.Cols[0].Type}, nil
	case *ast.ExistsSubqueryExpr:
		sq, ok := e.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, b.errAt(e, types.CodeSyntaxError, "EXISTS needs a subquery")
		}
		q, err := b.subquery(sq.Query)
		if err != nil {
			return nil, err
		}
		return &Subquery{Kind: ExistsSubquery, Query: q.Rel, Negated: e.Not, T: types.TBool}, nil
	case *ast.CompareSubqueryExpr:
		sq, ok := e.R.(*ast.SubqueryExpr)
		if !ok {
			return nil, b.errAt(e, types.CodeSyntaxError, "ANY/ALL needs a subquery")
		}
		op, ok := binaryOps[e.Op]
		if !ok {
			return nil, b.errAt(e, types.CodeFeatureNotSupported, "operator %s with ANY/ALL is not supported", e.Op)
		}
		return b.compareSubquery(e, e.L, sq.Query, op, e.All, false)
	case *ast.PatternRegexpExpr:
		v, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		p, err := b.bind(e.Pattern)
		if err != nil {
			return nil, err
		}
		if v, err = coerceToText(v); err != nil {
			return nil, err
		}
		if p, err = coerceToText(p); err != nil {
			return nil, err
		}
		c := Expr(&Call{Func: "regexp_like", Args: []Expr{v, p}, T: types.TBool})
		if e.Not {
			c = &Call{Func: "not", Args: []Expr{c}, T: types.TBool}
		}
		return c, nil
	case *ast.WindowFuncExpr:
		return b.bindWindowFunc(e)
	case *ast.PositionExpr:
		return nil, b.errAt(e, types.CodeSyntaxError, "position %d is not allowed here", e.N)
	}
	return nil, b.errAt(n, types.CodeFeatureNotSupported, "expression %T is not supported", n)
}

func (b *exprBinder) bindValue(e *driver.ValueExpr) (Expr, error) {
	switch v := e.GetValue().(type) {
	case nil:
		return &Const{T: types.TUnknown}, nil
	case int64:
		if v >= -1<<31 && v < 1<<31 {
			return &Const{Value: v, T: types.TInt4}, nil
		}
		return &Const{Value: v, T: types.TInt8}, nil
	case uint64:
		d, err := types.ParseDecimal(fmt.Sprint(v))
		if err != nil {
			return nil, err
		}
		return &Const{Value: d, T: types.NumericOf(0)}, nil
	case float64:
		return &Const{Value: v, T: types.TFloat8}, nil
	case *driver.MyDecimal:
		d, err := types.ParseDecimal(v.String())
		if err != nil {
			return nil, err
		}
		return &Const{Value: d, T: types.NumericOf(d.Scale)}, nil
	case string:
		return &Const{Value: v, T: types.TUnknown}, nil
	case []byte:
		return &Const{Value: string(v), T: types.TUnknown}, nil
	}
	return nil, b.errAt(e, types.CodeFeatureNotSupported, "literal %v is not supported", e.GetValue())
}

func negateConst(c *Const) (Expr, error) {
	switch v := c.Value.(type) {
	case int64:
		return &Const{Value: -v, T: c.T}, nil
	case float64:
		return &Const{Value: -v, T: c.T}, nil
	case types.Decimal:
		return &Const{Value: types.Decimal{Coef: v.Coef.Negate(), Scale: v.Scale}, T: c.T}, nil
	}
	return &Call{Func: "neg", Args: []Expr{c}, T: c.T}, nil
}

func (b *exprBinder) bindColumn(e *ast.ColumnNameExpr) (Expr, error) {
	name := e.Name.Name.L
	if e.Name.Name.O != "" && e.Name.Name.O != e.Name.Name.L && isQuotedIn(b.norm, e) {
		name = e.Name.Name.O
	}
	qual := e.Name.Table.L
	found := -1
	for i, c := range b.scope.cols {
		if c.name != name || qual != "" && c.qual != qual {
			continue
		}
		if found >= 0 {
			return nil, b.errAt(e, types.CodeAmbiguousColumn, "column reference \"%s\" is ambiguous", name)
		}
		found = i
	}
	if found < 0 && b.bd != nil {
		for depth, outer := range b.bd.outer {
			for i, c := range outer.cols {
				if c.name == name && (qual == "" || c.qual == qual) {
					return &OuterRef{Depth: depth + 1, Idx: i, T: c.typ, Name: c.name}, nil
				}
			}
		}
	}
	if found < 0 {
		if qual != "" {
			known := false
			for _, c := range b.scope.cols {
				if c.qual == qual {
					known = true
				}
			}
			if !known {
				return nil, b.errAt(e, types.CodeUndefinedTable, "missing FROM-clause entry for table \"%s\"", qual)
			}
			return nil, b.errAt(e, types.CodeUndefinedColumn, "column %s.%s does not exist", qual, name)
		}
		return nil, b.errAt(e, types.CodeUndefinedColumn, "column \"%s\" does not exist", name)
	}
	c := b.scope.cols[found]
	return &ColRef{Idx: found, T: c.typ, Name: c.name}, nil
}

// isQuotedIn reports whether the identifier was written in quotes (which
// the normalizer turned into backquotes), so its case is kept.
func isQuotedIn(norm *normalized, e *ast.ColumnNameExpr) bool {
	if norm == nil {
		return false
	}
	return strings.Contains(norm.text, "`"+e.Name.Name.O+"`")
}

var binaryOps = map[opcode.Op]string{
	opcode.Plus: "+", opcode.Minus: "-", opcode.Mul: "*", opcode.Div: "/", opcode.Mod: "%", opcode.IntDiv: "/",
	opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<", opcode.LE: "<=", opcode.GT: ">", opcode.GE: ">=",
	opcode.LogicAnd: "and", opcode.LogicOr: "or", opcode.NullEQ: "is_not_distinct",
}

func (b *exprBinder) errNumericPower(e ast.Node) error {
	return b.errAt(e, types.CodeFeatureNotSupported, "operator ^ on numeric is not supported; cast an operand to double precision")
}

func (b *exprBinder) bindBinary(e *ast.BinaryOperationExpr) (Expr, error) {
	if e.Op == opcode.Xor {
		// The parser reads ^ as MySQL's XOR, with the precedence of
		// PostgreSQL's exponentiation (above * and /, below unary minus,
		// left-associative): it is power(), as in PostgreSQL, over double
		// precision. PostgreSQL raises numeric to numeric with scale rules
		// of its own, which Weir does not follow yet.
		for _, side := range []ast.ExprNode{e.L, e.R} {
			if v, ok := side.(*driver.ValueExpr); ok {
				if _, dec := v.GetValue().(*driver.MyDecimal); dec {
					return nil, b.errNumericPower(e)
				}
			}
		}
		v, err := b.bindFunc(&ast.FuncCallExpr{FnName: ast.NewCIStr("power"), Args: []ast.ExprNode{e.L, e.R}})
		if err != nil {
			return nil, err
		}
		if c, ok := v.(*Call); ok {
			for _, a := range c.Args {
				if x, ok := a.(*Cast); ok && x.E.Type().Family == types.Numeric {
					return nil, b.errNumericPower(e)
				}
			}
		}
		return v, nil
	}
	op, ok := binaryOps[e.Op]
	if !ok {
		return nil, b.errAt(e, types.CodeFeatureNotSupported, "operator %s is not supported", e.Op)
	}
	rnode := e.R
	if f, ok := e.R.(*ast.FuncCallExpr); ok && len(f.Args) == 1 && (f.FnName.L == "__any" || f.FnName.L == "__all") {
		// x op ANY(array) / ALL(array), over an array's text form.
		l, err := b.bind(e.L)
		if err != nil {
			return nil, err
		}
		arr, err := b.bind(f.Args[0])
		if err != nil {
			return nil, err
		}
		if l.Type().Family == types.Unknown {
			if l, err = coerce(l, types.TText); err != nil {
				return nil, err
			}
		}
		if arr, err = coerceToText(arr); err != nil {
			return nil, err
		}
		all := f.FnName.L == "__all"
		return &Call{Func: "array_op", Args: []Expr{l, arr, &Const{Value: op, T: types.TText}, &Const{Value: all, T: types.TBool}}, T: types.TBool}, nil
	}
	if op == "is_not_distinct" {
		if f, ok := e.R.(*ast.FuncCallExpr); ok && len(f.Args) == 1 && (f.FnName.L == "__distinct" || f.FnName.L == "__not_distinct") {
			if f.FnName.L == "__distinct" {
				op = "is_distinct"
			}
			rnode = f.Args[0]
		}
	}
	l, err := b.bind(e.L)
	if err != nil {
		return nil, err
	}
	r, err := b.bind(rnode)
	if err != nil {
		return nil, err
	}
	switch op {
	case "is_distinct", "is_not_distinct":
		c, err := b.compare(e, "=", l, r)
		if err != nil {
			return nil, err
		}
		call := c.(*Call)
		call.Func = op
		return call, nil
	case "and", "or":
		if l, err = b.coerceBool(l, e, strings.ToUpper(op)); err != nil {
			return nil, err
		}
		if r, err = b.coerceBool(r, e, strings.ToUpper(op)); err != nil {
			return nil, err
		}
		return &Call{Func: op, Args: []Expr{l, r}, T: types.TBool}, nil
	case "=", "<>", "<", "<=", ">", ">=":
		return b.compare(e, op, l, r)
	}
	return b.arith(e, op, l, r)
}

func (b *exprBinder) arith(node ast.Node, op string, l, r Expr) (Expr, error) {
	lt, rt := l.Type(), r.Type()
	// Unknown literals take the other side's type.
	if lt.Family == types.Unknown && rt.Family != types.Unknown {
		lt = rt
		if rt.IsTime() && (op == "+" || op == "-") {
			lt = types.TInterval
		}
	}
	if rt.Family == types.Unknown && lt.Family != types.Unknown {
		rt = lt
		if lt.IsTime() && (op == "+" || op == "-") {
			rt = types.TInterval
		}
	}
	if lt.Family == types.Unknown && rt.Family == types.Unknown {
		lt, rt = types.TText, types.TText
	}
	res, ok := arithResult(op, lt, rt)
	if !ok {
		return nil, b.errAt(node, types.CodeUndefinedFunction, "operator does not exist: %s %s %s", l.Type(), op, r.Type())
	}
	// Intervals scale by double precision (interval_mul, interval_div).
	if lt.Family == types.Interval && rt.IsNumeric() {
		rt = types.TFloat8
	} else if rt.Family == types.Interval && lt.IsNumeric() {
		lt = types.TFloat8
	}
	var err error
	if lt.IsNumeric() && rt.IsNumeric() {
		u := unifyNumeric(lt, rt)
		if l, err = coerce(l, u); err != nil {
			return nil, err
		}
		if r, err = coerce(r, u); err != nil {
			return nil, err
		}
	} else {
		if l, err = coerce(l, lt); err != nil {
			return nil, err
		}
		if r, err = coerce(r, rt); err != nil {
			return nil, err
		}
	}
	return foldConst(&Call{Func: op, Args: []Expr{l, r}, T: res}), nil
}

// compare binds a comparison, converting both sides to a common type.
// An element of a text-form array takes the other side's type, as the
// array's element type would have given it.
func (b *exprBinder) compare(node ast.Node, op string, l, r Expr) (Expr, error) {
	if c, ok := r.(*Call); ok && c.Func == "array_elem" && l.Type().Family != types.Unknown && !l.Type().IsString() {
		rr, err := castExpr(r, l.Type())
		if err != nil {
			return nil, err
		}
		r = rr
	}
	if c, ok := l.(*Call); ok && c.Func == "array_elem" && r.Type().Family != types.Unknown && !r.Type().IsString() {
		ll, err := castExpr(l, r.Type())
		if err != nil {
			return nil, err
		}
		l = ll
	}
	t, err := commonType(op, []Expr{l, r})
	if err != nil {
		return nil, types.AsError(err).WithPosition(b.errAt(node, "", "").Position)
	}
	if l, err = coerce(l, t); err != nil {
		return nil, err
	}
	if r, err = coerce(r, t); err != nil {
		return nil, err
	}
	return &Call{Func: op, Args: []Expr{l, r}, T: types.TBool}, nil
}

func (b *exprBinder) coerceBool(e Expr, node ast.Node, what string) (Expr, error) {
	switch e.Type().Family {
	case types.Bool:
		return e, nil
	case types.Unknown:
		return coerce(e, types.TBool)
	}
	return nil, b.errAt(node, types.CodeDatatypeMismatch, "argument of %s must be type boolean, not type %s", what, e.Type())
}

func (b *exprBinder) bindCase(e *ast.CaseExpr) (Expr, error) {
	var operand Expr
	if e.Value != nil {
		v, err := b.bind(e.Value)
		if err != nil {
			return nil, err
		}
		operand = v
	}
	c := &Case{}
	var results []Expr
	for _, w := range e.WhenClauses {
		cond, err := b.bind(w.Expr)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if cond, err = b.compare(w, "=", operand, cond); err != nil {
				return nil, err
			}
		} else if cond, err = b.coerceBool(cond, w, "CASE/WHEN"); err != nil {
			return nil, err
		}
		then, err := b.bind(w.Result)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond, Then: then})
		results = append(results, then)
	}
	if e.ElseClause != nil {
		el, err := b.bind(e.ElseClause)
		if err != nil {
			return nil, err
		}
		c.Else = el
		results = append(results, el)
	}
	t, err := commonType("CASE", results)
	if err != nil {
		return nil, err
	}
	if t.Family == types.Unknown {
		t = types.TText
	}
	for i := range c.Whens {
		if c.Whens[i].Then, err = coerce(c.Whens[i].Then, t); err != nil {
			return nil, err
		}
	}
	if c.Else != nil {
		if c.Else, err = coerce(c.Else, t); err != nil {
			return nil, err
		}
	}
	c.T = t
	return c, nil
}

func (b *exprBinder) bindFunc(e *ast.FuncCallExpr) (Expr, error) {
	name := e.FnName.L
	if isSetFunc(name) {
		return b.bindSetFunc(e)
	}
	switch name {
	case "__field":
		return b.bindField(e, e.Args[1].(*driver.ValueExpr).GetString())
	case "__cast":
		v, err := b.bind(e.Args[0])
		if err != nil {
			return nil, err
		}
		tn := e.Args[1].(*driver.ValueExpr).GetString()
		t, err := types.ParseTypeName(tn)
		if err != nil {
			return nil, types.AsError(err).WithPosition(b.errAt(e, "", "").Position)
		}
		return castExpr(v, t)
	case "__interval":
		s := e.Args[0].(*driver.ValueExpr).GetString()
		iv, err := types.ParseInterval(s)
		if err != nil {
			return nil, types.AsError(err).WithPosition(b.errAt(e, "", "").Position)
		}
		return &Const{Value: iv, T: types.TInterval}, nil
	case "__bool":
		return &Const{Value: e.Args[0].(*driver.ValueExpr).GetString() == "t", T: types.TBool}, nil
	case "__param":
		n, _ := e.Args[0].(*driver.ValueExpr).GetValue().(int64)
		if n < 1 || n > 65535 || b.bd == nil {
			return nil, b.errAt(e, types.CodeUndefinedObject, "there is no parameter $%d", n)
		}
		return b.bd.param(int(n - 1)), nil
	case "__array":
		return nil, b.errAt(e, types.CodeFeatureNotSupported, "arrays are not supported yet")
	case "__array_subquery":
		// ARRAY(SELECT ...): Weir has no array type yet; the values come back
		// as PostgreSQL's array text form, '{a,b}'.
		sq, ok := e.Args[0].(*ast.SubqueryExpr)
		if !ok {
			return nil, b.errAt(e, types.CodeSyntaxError, "ARRAY needs a subquery")
		}
		q, err := b.subquery(sq.Query)
		if err != nil {
			return nil, err
		}
		if len(q.Cols) != 1 {
			return nil, b.errAt(e, types.CodeSyntaxError, "subquery must return only one column")
		}
		return &Subquery{Kind: ArraySubquery, Query: q.Rel, T: types.TText}, nil
	case "__subscript":
		base := e.Args[0]
		for {
			p, ok := base.(*ast.ParenthesesExpr)
			if !ok {
				break
			}
			base = p.Expr
		}
		if f, ok := base.(*ast.FuncCallExpr); ok && f.FnName.L == "regexp_match" && (len(f.Args) == 2 || len(f.Args) == 3) {
			// (regexp_match(s, re [, flags]))[n]: the n-th capture group,
			// as text.
			nodes := []ast.ExprNode{f.Args[0], f.Args[1], e.Args[1]}
			params := []types.Type{types.TText, types.TText, types.TInt4}
			if len(f.Args) == 3 {
				nodes = append(nodes, f.Args[2])
				params = append(params, types.TText)
			}
			args := make([]Expr, len(nodes))
			for i, a := range nodes {
				v, err := b.bind(a)
				if err != nil {
					return nil, err
				}
				args[i] = v
			}
			_, out, err := sig(types.TText, params...)(args)
			if err != nil {
				return nil, types.AsError(errNoFunc("regexp_match", args[:2])).WithPosition(b.errAt(e, "", "").Position)
			}
			return &Call{Func: "regexp_match_group", Args: out, T: types.TText}, nil
		}
		arr, err := b.bind(base)
		if err != nil {
			return nil, err
		}
		idx, err := b.bind(e.Args[1])
		if err != nil {
			return nil, err
		}
		if arr, err = coerceToText(arr); err != nil {
			return nil, err
		}
		if idx.Type().Family == types.Unknown {
			idx, err = coerce(idx, types.TInt4)
		} else {
			idx, err = castExpr(idx, types.TInt8)
		}
		if err != nil {
			return nil, err
		}
		return &Call{Func: "array_elem", Args: []Expr{arr, idx}, T: types.TText}, nil
	case "__extract":
		field := strings.ToLower(e.Args[0].(*driver.ValueExpr).GetString())
		v, err := b.bind(e.Args[1])
		if err != nil {
			return nil, err
		}
		t := v.Type()
		switch {
		case t.Family == types.Unknown:
			if v, err = coerce(v, types.TTimestamp); err != nil {
				return nil, err
			}
		case t.IsTime() || t.Family == types.Date || t.Family == types.Interval:
		default:
			return nil, b.errAt(e, types.CodeUndefinedFunction, "function extract(unknown, %s) does not exist", t)
		}
		if !validExtractField(field) {
			return nil, b.errAt(e, types.CodeFeatureNotSupported, "unit \"%s\" not supported for type %s", field, v.Type())
		}
		return &Call{Func: "extract", Args: []Expr{&Const{Value: field, T: types.TText}, v}, T: types.NumericOf(extractScale(field))}, nil
	case "__distinct", "__not_distinct", "__nulls_first", "__nulls_last", "__full_join", "__temporal_join":
		return nil, b.errAt(e, types.CodeSyntaxError, "syntax error near %s", strings.Trim(name, "_"))
	case "trim":
		// TiDB reads TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) as
		// trim(s, chars, direction).
		if len(e.Args) == 3 {
			dir := "btrim"
			if d, ok := e.Args[2].(*ast.TrimDirectionExpr); ok {
				switch d.Direction {
				case ast.TrimLeading:
					dir = "ltrim"
				case ast.TrimTrailing:
					dir = "rtrim"
				}
			}
			return b.bindFunc(&ast.FuncCallExpr{FnName: ast.NewCIStr(dir), Args: e.Args[:2]})
		}
		return b.bindFunc(&ast.FuncCallExpr{FnName: ast.NewCIStr("btrim"), Args: e.Args})
	case "locate", "position":
		// POSITION(a IN b) arrives as locate(a, b).
		if len(e.Args) == 2 {
			return b.bindFunc(&ast.FuncCallExpr{FnName: ast.NewCIStr("strpos"), Args: []ast.ExprNode{e.Args[1], e.Args[0]}})
		}
	case "curdate":
		return b.bindFunc(&ast.FuncCallExpr{FnName: ast.NewCIStr("current_date")})
	case "ifnull":
		return b.bindFunc(&ast.FuncCallExpr{FnName: ast.NewCIStr("coalesce"), Args: e.Args})
	case "__filter":
		agg, order, ok := aggregateCall(e.Args[0])
		if !ok {
			return nil, b.errAt(e, types.CodeSyntaxError, "FILTER specified, but %s is not an aggregate function", "expression")
		}
		return b.bindAggregate(agg, e.Args[1], order)
	case "__ordered", "__agg_distinct":
		agg, order, ok := aggregateCall(e)
		if !ok {
			return nil, b.errAt(e, types.CodeSyntaxError, "ORDER BY specified, but %s is not an aggregate function", "expression")
		}
		return b.bindAggregate(agg, nil, order)
	case "__concat":
		// concat(...) as written: the normalizer renames it, so that
		// "concat" is always the || operator.
		name = "concat"
	case "concat":
		if len(e.Args) == 2 {
			l, err := b.bind(e.Args[0])
			if err != nil {
				return nil, err
			}
			r, err := b.bind(e.Args[1])
			if err != nil {
				return nil, err
			}
			if l, err = coerceToText(l); err != nil {
				return nil, err
			}
			if r, err = coerceToText(r); err != nil {
				return nil, err
			}
			return &Call{Func: "textcat", Args: []Expr{l, r}, T: types.TText}, nil
		}
	}
	if callAggregates[name] {
		return b.bindAggregate(&ast.AggregateFuncExpr{F: name, Args: e.Args}, nil, nil)
	}
	if isAggregate(name) {
		return nil, b.errAt(e, types.CodeUndefinedFunction, "function %s does not exist", name)
	}
	f, ok := scalarFuncs[name]
	if !ok {
		return nil, b.errAt(e, types.CodeUndefinedFunction, "function %s does not exist", name)
	}
	args := make([]Expr, len(e.Args))
	for i, a := range e.Args {
		v, err := b.bind(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	args0 := args
	t, args, err := f(args)
	if err != nil {
		if types.ErrorCode(err) == types.CodeUndefinedFunction {
			err = errNoFunc(name, args0)
		}
		return nil, types.AsError(err).WithPosition(b.errAt(e, "", "").Position)
	}
	return &Call{Func: name, Args: args, T: t}, nil
}

// bindAggOrder binds an aggregate's ORDER BY item, which the normalizer
// wrote as __agg_order(key, 'asc' or 'desc'), the key maybe wrapped in
// __nulls_first or __nulls_last.
func (b *exprBinder) bindAggOrder(f *ast.FuncCallExpr) (AggOrder, error) {
	desc := f.Args[1].(*driver.ValueExpr).GetString() == "desc"
	key, _, nullsFirst := unwrapNulls(&ast.ByItem{Expr: f.Args[0], Desc: desc})
	e, err := b.bind(key)
	if err != nil {
		return AggOrder{}, err
	}
	return AggOrder{E: e, Desc: desc, NullsFirst: nullsFirst}, nil
}

func coerceToText(e Expr) (Expr, error) {
	if e.Type().IsString() {
		return e, nil
	}
	if c, ok := e.(*Const); ok && c.T.Family == types.Unknown {
		return &Const{Value: c.Value, T: types.TText}, nil
	}
	return castExpr(e, types.TText)
}

// callAggregates are the aggregates the TiDB grammar does not know: they
// arrive as plain calls.
var callAggregates = map[string]bool{"string_agg": true, "bool_and": true, "bool_or": true, "every": true, "array_agg": true}

// aggregateCall reads an aggregate call as the parser gives it (TiDB's
// own aggregates, or a plain call of one it does not know), and the
// ORDER BY items the normalizer wrapped it with (__ordered).
func aggregateCall(n ast.ExprNode) (*ast.AggregateFuncExpr, []ast.ExprNode, bool) {
	var order []ast.ExprNode
	if f, ok := n.(*ast.FuncCallExpr); ok && f.FnName.L == "__ordered" {
		n, order = f.Args[0], f.Args[1:]
	}
	distinct := false
	if f, ok := n.(*ast.FuncCallExpr); ok && f.FnName.L == "__agg_distinct" {
		n, distinct = f.Args[0], true
	}
	switch x := n.(type) {
	case *ast.AggregateFuncExpr:
		return x, order, true
	case *ast.FuncCallExpr:
		if callAggregates[x.FnName.L] {
			return &ast.AggregateFuncExpr{F: x.FnName.L, Args: x.Args, Distinct: distinct}, order, true
		}
	}
	return nil, nil, false
}

func (b *exprBinder) bindAggregate(e *ast.AggregateFuncExpr, filter ast.ExprNode, order []ast.ExprNode) (Expr, error) {
	name := strings.ToLower(e.F)
	if b.aggs == nil {
		return nil, b.errAt(e, types.CodeGroupingError, "aggregate functions are not allowed in %s", b.what)
	}
	if b.inAgg {
		return nil, b.errAt(e, types.CodeGroupingError, "aggregate function calls cannot be nested")
	}
	inner := &exprBinder{bd: b.bd, scope: b.scope, norm: b.norm, aggs: b.aggs, inAgg: true, what: "aggregate"}
	call := AggCall{Func: name, Distinct: e.Distinct}
	star := name == "count" && len(e.Args) == 1 && isStarArg(e.Args[0])
	if star {
		call.Func = "count_star"
	} else {
		want := 1
		if name == "string_agg" {
			want = 2
		}
		if len(e.Args) != want {
			return nil, b.errAt(e, types.CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(e.Args))
		}
		for i, arg := range e.Args {
			a, err := inner.bind(arg)
			if err != nil {
				return nil, err
			}
			if a.Type().Family == types.Unknown || name == "string_agg" {
				if a, err = coerceToText(a); err != nil {
					return nil, err
				}
			}
			if name == "string_agg" && i == 1 {
				if _, ok := a.(*Const); !ok {
					return nil, b.errAt(e, types.CodeFeatureNotSupported, "string_agg needs a constant delimiter")
				}
			}
			call.Args = append(call.Args, a)
		}
	}
	argType := types.TUnknown
	if len(call.Args) > 0 {
		argType = call.Args[0].Type()
	}
	t, err := aggResult(call.Func, argType)
	if err != nil {
		return nil, types.AsError(err).WithPosition(b.errAt(e, "", "").Position)
	}
	call.Type = t
	if filter != nil {
		f, err := inner.bind(filter)
		if err != nil {
			return nil, err
		}
		if f, err = inner.coerceBool(f, filter, "FILTER"); err != nil {
			return nil, err
		}
		call.Filter = f
	}
	for _, o := range order {
		k, err := inner.bindAggOrder(o.(*ast.FuncCallExpr))
		if err != nil {
			return nil, err
		}
		if call.Distinct && FormatExpr(k.E) != FormatExpr(call.Args[0]) {
			return nil, b.errAt(o, types.CodeInvalidColumnReference, "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
		}
		if call.Func == "string_agg" || call.Func == "array_agg" {
			call.Order = append(call.Order, k) // the others' results do not depend on order
		}
	}
	*b.aggs = append(*b.aggs, call)
	return &aggRef{idx: len(*b.aggs) - 1, t: t}, nil
}

// isStarArg recognizes count(*): TiDB gives it a literal 1 argument.
func isStarArg(n ast.ExprNode) bool {
	v, ok := n.(*driver.ValueExpr)
	if !ok {
		return false
	}
	i, ok := v.GetValue().(int64)
	// count(1) and count(*) count the same rows.
	return ok && i == 1
}
