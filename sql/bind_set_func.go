package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weir-db/weir/types"
)

// Set-returning functions in the select list, as PostgreSQL 10 and later
// run them (ProjectSet): per input row every such function runs, the row is
// repeated as many times as the longest result, and shorter results are
// padded with NULL. Clients' catalog queries rely on it: SQLAlchemy reads a
// primary key with unnest(indkey) and generate_subscripts(indkey, 1),
// pgjdbc with information_schema._pg_expandarray(indkey), whose result is a
// composite (x, n) read back as (keys).x.
//
// Weir has no composite type: a composite travels as PostgreSQL's record
// text form, '(1,2)', and the binder knows its fields (Column.Fields), so
// that (c).field reads one (record_field).

// ProjectSet appends to each input row the values of set-returning
// functions, one output row per value (see above).
type ProjectSet struct {
	Input Rel
	Funcs []SetFuncCall
	// Cols are the input's columns, then one per function.
	Cols []Column
}

// SetFuncCall is one set-returning function of a ProjectSet: Func is
// generate_series, generate_subscripts, unnest or _pg_expandarray; T is
// the type of its values (text, the record form, for _pg_expandarray).
type SetFuncCall struct {
	Func string
	Args []Expr
	T    types.Type
}

func (p *ProjectSet) Columns() []Column { return p.Cols }
func (*ProjectSet) rel()                {}

// catalogArrayElems are the element types of the catalog's array columns,
// by column name: Weir keeps those arrays as text, and unnest of
// pg_index.indkey must give smallints that compare with attnum.
var catalogArrayElems = map[string]types.Type{
	"indkey": types.TInt2, "indoption": types.TInt2, "conkey": types.TInt2, "confkey": types.TInt2,
	"stxkeys": types.TInt2, "indclass": types.TOid, "indcollation": types.TOid, "proargtypes": types.TOid,
}

// arrayElemType is the type of the elements of array argument n, as far as
// Weir can tell: a catalog array column's, text otherwise.
func arrayElemType(n ast.ExprNode) types.Type {
	for {
		p, ok := n.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		n = p.Expr
	}
	if c, ok := n.(*ast.ColumnNameExpr); ok {
		if t, ok := catalogArrayElems[c.Name.Name.L]; ok {
			return t
		}
	}
	return types.TText
}

// isSetFunc reports whether name is a set-returning function the select
// list may call.
func isSetFunc(name string) bool {
	switch name {
	case "generate_series", "generate_subscripts", "unnest", "_pg_expandarray":
		return true
	}
	return false
}

// expandArrayFields are the fields of _pg_expandarray's result.
func expandArrayFields(elem types.Type) []Column {
	return []Column{{Name: "x", Type: elem}, {Name: "n", Type: types.TInt4}}
}

// bindSetFunc binds a set-returning function call of the select list and
// returns the column that stands for its value, or an error where set
// functions are not allowed.
func (b *exprBinder) bindSetFunc(e *ast.FuncCallExpr) (Expr, error) {
	name := e.FnName.L
	if b.srfs == nil {
		return nil, b.errAt(e, types.CodeFeatureNotSupported, "set-returning functions are not allowed in %s", b.what)
	}
	args := make([]Expr, len(e.Args))
	for i, a := range e.Args {
		v, err := b.bind(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	noFunc := func() error {
		return types.AsError(errNoFunc(name, args)).WithPosition(b.errAt(e, "", "").Position)
	}
	call := SetFuncCall{Func: name}
	switch name {
	case "generate_series":
		if len(args) < 2 || len(args) > 3 {
			return nil, noFunc()
		}
		call.T = types.TInt4
		for _, a := range args {
			if f := a.Type().Family; f == types.Int8 || f == types.Numeric {
				call.T = types.TInt8
			} else if f != types.Int2 && f != types.Int4 && f != types.Unknown {
				return nil, noFunc()
			}
		}
		for i := range args {
			c, err := coerce(args[i], types.TInt8)
			if err != nil {
				return nil, err
			}
			args[i] = c
		}
	case "generate_subscripts":
		if len(args) != 2 {
			return nil, noFunc()
		}
		a, err := coerceToText(args[0])
		if err != nil {
			return nil, err
		}
		d, err := coerce(args[1], types.TInt8)
		if err != nil {
			return nil, noFunc()
		}
		args, call.T = []Expr{a, d}, types.TInt4
	case "unnest", "_pg_expandarray":
		if len(args) != 1 {
			return nil, noFunc()
		}
		a, err := coerceToText(args[0])
		if err != nil {
			return nil, err
		}
		args[0] = a
		call.T = arrayElemType(e.Args[0])
		if name == "_pg_expandarray" {
			call.T = types.TText
		}
	}
	call.Args = args
	*b.srfs = append(*b.srfs, call)
	return &ColRef{Idx: b.srfBase + len(*b.srfs) - 1, T: call.T, Name: name}, nil
}

// compositeFields returns the fields of n when it is a composite: a call
// of _pg_expandarray, or a column holding one; nil otherwise.
func (b *exprBinder) compositeFields(n ast.ExprNode) []Column {
	for {
		p, ok := n.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		n = p.Expr
	}
	switch x := n.(type) {
	case *ast.FuncCallExpr:
		if x.FnName.L == "_pg_expandarray" && len(x.Args) == 1 {
			return expandArrayFields(arrayElemType(x.Args[0]))
		}
	case *ast.ColumnNameExpr:
		probe := &exprBinder{scope: b.scope, norm: b.norm}
		if c, err := probe.bindColumn(x); err == nil {
			if r, ok := c.(*ColRef); ok {
				return b.scope.cols[r.Idx].fields
			}
		}
	}
	return nil
}

// bindField binds (composite).field, which the normalizer wrote as
// __field(composite, 'field').
func (b *exprBinder) bindField(e *ast.FuncCallExpr, field string) (Expr, error) {
	v, err := b.bind(e.Args[0])
	if err != nil {
		return nil, err
	}
	fields := b.compositeFields(e.Args[0])
	if fields == nil {
		return nil, b.errAt(e, types.CodeWrongObjectType, "column notation .%s applied to type %s, which is not a composite type", field, v.Type())
	}
	for i, f := range fields {
		if f.Name == field {
			return &Call{Func: "record_field", Args: []Expr{v, &Const{Value: int64(i + 1), T: types.TInt4}}, T: f.Type}, nil
		}
	}
	return nil, b.errAt(e, types.CodeUndefinedColumn, "column \"%s\" not found in data type record", field)
}
