package sql

import (
	"github.com/weir-db/weir/types"
)

// coerce converts e to type t where PostgreSQL would do so implicitly
// (unknown literals, numeric widening, text types, date to timestamp),
// folding constants; anything else is a datatype mismatch.
func coerce(e Expr, t types.Type) (Expr, error) {
	from := e.Type()
	if from == t || t.Family == types.Unknown {
		return e, nil
	}
	if p, ok := e.(*Param); ok && from.Family == types.Unknown {
		*p.slot = t // the parameter takes the type its use needs
		return p, nil
	}
	if c, ok := e.(*Const); ok {
		if c.Value == nil {
			return &Const{T: t}, nil
		}
		if from.Family == types.Unknown && (t.Family == types.Regclass || t.Family == types.Regtype) {
			return &Cast{E: &Const{Value: c.Value, T: types.TText}, T: t}, nil
		}
		if from.Family == types.Unknown {
			v, err := types.ParseText(t, c.Value.(string))
			if err != nil {
				return nil, err
			}
			return &Const{Value: v, T: t}, nil
		}
	}
	if !types.CanCastImplicitly(from, t) {
		return nil, types.Errorf(types.CodeDatatypeMismatch, "cannot convert type %s to %s", from, t)
	}
	if from.Family == t.Family && t.Family != types.Numeric {
		return e, nil
	}
	return castExpr(e, t)
}

func oidLike(t types.Type) bool {
	return t.Family == types.Oid || t.Family == types.Regclass || t.Family == types.Regtype
}

// castExpr is an explicit CAST, folded when e is constant (except casts
// to regclass and regtype, whose names the engine resolves).
func castExpr(e Expr, t types.Type) (Expr, error) {
	if c, ok := e.(*Const); ok && !(oidLike(t) && t.Family != types.Oid && c.T.Family != types.Oid && !c.T.IsInteger()) {
		v, err := types.Cast(c.Value, c.T, t)
		if err != nil {
			return nil, err
		}
		return &Const{Value: v, T: t}, nil
	}
	if e.Type() == t {
		return e, nil
	}
	return &Cast{E: e, T: t}, nil
}

// commonType resolves the type a set of expressions is compared or
// combined at (PostgreSQL's UNION/CASE resolution, simplified): the first
// known non-unknown type, widened across numerics.
func commonType(what string, es []Expr) (types.Type, error) {
	t := types.TUnknown
	for _, e := range es {
		et := e.Type()
		switch {
		case et.Family == types.Unknown:
		case t.Family == types.Unknown:
			t = et
		case t.IsNumeric() && et.IsNumeric():
			t = unifyNumeric(t, et)
		case oidLike(t) && (oidLike(et) || et.IsInteger()):
			t = types.TOid
		case oidLike(et) && t.IsInteger():
			t = types.TOid
		case t.IsString() && et.IsString():
			t = types.TText
		case t.IsTime() && et.IsTime() || t.Family == types.Date && et.IsTime():
			t = et
		case t.IsTime() && et.Family == types.Date:
		case t.Family == et.Family:
		default:
			if what == "CASE" || what == "COALESCE" {
				return t, types.Errorf(types.CodeDatatypeMismatch, "%s types %s and %s cannot be matched", what, t, et)
			}
			return t, types.Errorf(types.CodeUndefinedFunction, "operator does not exist: %s %s %s", t, what, et)
		}
	}
	if t.Family == types.Unknown && len(es) > 0 && what != "CASE" && what != "COALESCE" {
		t = types.TText
	}
	return t, nil
}

// foldConst evaluates arithmetic on constants the binder can compute
// (interval and integer arithmetic used in window sizes and watermarks).
func foldConst(c *Call) Expr {
	if len(c.Args) != 2 {
		return c
	}
	a, ok1 := c.Args[0].(*Const)
	b, ok2 := c.Args[1].(*Const)
	if !ok1 || !ok2 || a.Value == nil || b.Value == nil {
		return c
	}
	switch x := a.Value.(type) {
	case types.DInterval:
		y, ok := b.Value.(types.DInterval)
		if !ok {
			return c
		}
		switch c.Func {
		case "+":
			return &Const{Value: types.DInterval{Months: x.Months + y.Months, Days: x.Days + y.Days, Micros: x.Micros + y.Micros}, T: c.T}
		case "-":
			return &Const{Value: types.DInterval{Months: x.Months - y.Months, Days: x.Days - y.Days, Micros: x.Micros - y.Micros}, T: c.T}
		}
	}
	return c
}
