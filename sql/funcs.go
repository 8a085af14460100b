package sql

import (
	"strings"

	"github.com/weir-db/weir/types"
)

// The scalar function registry: names the binder accepts and how their
// result types follow from their arguments. Operators are functions too:
//
//	+ - * / %        arithmetic ("neg" for unary minus)
//	= <> < <= > >=   comparisons
//	and or not       boolean logic (three-valued)
//	is_null is_not_null is_true is_false
//	concat           text || text
//	like not_like ilike not_ilike
//
// exec implements each name; keep the two lists in step.

// arithResult is the result type of an arithmetic operator on a and b
// (already of one numeric family each), following PostgreSQL.
func arithResult(op string, a, b types.Type) (types.Type, bool) {
	switch {
	case a.IsTime() && b.Family == types.Interval && (op == "+" || op == "-"):
		return a, true
	case a.Family == types.Interval && b.IsTime() && op == "+":
		return b, true
	case a.IsTime() && b.IsTime() && op == "-":
		return types.TInterval, true
	case a.Family == types.Interval && b.Family == types.Interval && (op == "+" || op == "-"):
		return types.TInterval, true
	case a.Family == types.Date && b.IsInteger() && (op == "+" || op == "-"):
		return types.TDate, true
	case a.Family == types.Date && b.Family == types.Date && op == "-":
		return types.TInt4, true
	case a.Family == types.Date && b.Family == types.Interval && (op == "+" || op == "-"):
		return types.TTimestamp, true
	}
	if !a.IsNumeric() || !b.IsNumeric() {
		return types.Type{}, false
	}
	u := unifyNumeric(a, b)
	if u.Family == types.Numeric {
		switch op {
		case "+", "-", "%":
			u.Scale = max(numScale(a), numScale(b))
		case "*":
			u.Scale = min(numScale(a)+numScale(b), 16)
		case "/":
			u.Scale = max(numScale(a), numScale(b), 16-0)
			if u.Scale > 20 {
				u.Scale = 20
			}
		}
		u.Precision = 0
	}
	return u, true
}

// unifyNumeric picks the common type of two numeric types, as PostgreSQL's
// implicit casts do: integers widen, numeric beats integers, float beats
// both.
func unifyNumeric(a, b types.Type) types.Type {
	rank := func(t types.Type) int {
		switch t.Family {
		case types.Int2:
			return 1
		case types.Int4:
			return 2
		case types.Int8:
			return 3
		case types.Numeric:
			return 4
		case types.Float4:
			return 5
		case types.Float8:
			return 6
		}
		return 0
	}
	ra, rb := rank(a), rank(b)
	if ra == 5 || rb == 5 {
		// real with anything but double is double in PostgreSQL only when
		// the other side is double; real op integer stays real... except
		// numeric, which becomes double precision.
		if ra == 6 || rb == 6 || ra == 4 || rb == 4 {
			return types.TFloat8
		}
		return types.TFloat4
	}
	if ra >= rb {
		if a.Family == types.Numeric {
			return types.NumericOf(max(a.Scale, numScale(b)))
		}
		return a
	}
	if b.Family == types.Numeric {
		return types.NumericOf(max(b.Scale, numScale(a)))
	}
	return b
}

// aggResult is an aggregate's result type for its argument type.
func aggResult(fn string, arg types.Type) (types.Type, error) {
	switch fn {
	case "count", "count_star":
		return types.TInt8, nil
	case "sum":
		switch arg.Family {
		case types.Int2, types.Int4:
			return types.TInt8, nil
		case types.Int8:
			return types.NumericOf(0), nil
		case types.Numeric:
			return types.NumericOf(arg.Scale), nil
		case types.Float4, types.Float8, types.Interval:
			return arg, nil
		}
	case "avg":
		switch arg.Family {
		case types.Int2, types.Int4, types.Int8:
			return types.NumericOf(16), nil
		case types.Numeric:
			return types.NumericOf(max(arg.Scale, 16)), nil
		case types.Float4, types.Float8:
			return types.TFloat8, nil
		case types.Interval:
			return arg, nil
		}
	case "min", "max":
		if arg.Family != types.Unknown && arg.Family != types.Jsonb {
			return arg, nil
		}
	}
	return types.Type{}, types.Errorf(types.CodeUndefinedFunction, "function %s(%s) does not exist", fn, arg)
}

func isAggregate(name string) bool {
	switch strings.ToLower(name) {
	case "count", "sum", "min", "max", "avg":
		return true
	}
	return false
}

// scalarFunc describes a named scalar function: its result type for the
// bound argument types, or an error.
type scalarFunc func(args []Expr) (types.Type, []Expr, error)

var scalarFuncs = map[string]scalarFunc{
	"lower":       textFunc(1, types.TText),
	"upper":       textFunc(1, types.TText),
	"length":      textFunc(1, types.TInt4),
	"char_length": textFunc(1, types.TInt4),
	"abs": func(args []Expr) (types.Type, []Expr, error) {
		if len(args) != 1 || !args[0].Type().IsNumeric() {
			return types.Type{}, nil, errNoFunc("abs", args)
		}
		return args[0].Type(), args, nil
	},
	"coalesce": func(args []Expr) (types.Type, []Expr, error) {
		if len(args) == 0 {
			return types.Type{}, nil, errNoFunc("coalesce", args)
		}
		t, err := commonType("COALESCE", args)
		if err != nil {
			return types.Type{}, nil, err
		}
		out := make([]Expr, len(args))
		for i, a := range args {
			if out[i], err = coerce(a, t); err != nil {
				return types.Type{}, nil, err
			}
		}
		return t, out, nil
	},
}

func textFunc(n int, result types.Type) scalarFunc {
	return func(args []Expr) (types.Type, []Expr, error) {
		if len(args) != n {
			return types.Type{}, nil, errNoFunc("function", args)
		}
		out := make([]Expr, n)
		for i, a := range args {
			if !a.Type().IsString() && a.Type().Family != types.Unknown {
				return types.Type{}, nil, errNoFunc("function", args)
			}
			c, err := coerce(a, types.TText)
			if err != nil {
				return types.Type{}, nil, err
			}
			out[i] = c
		}
		return result, out, nil
	}
}

func errNoFunc(name string, args []Expr) error {
	var ts []string
	for _, a := range args {
		ts = append(ts, a.Type().String())
	}
	e := types.Errorf(types.CodeUndefinedFunction, "function %s(%s) does not exist", name, strings.Join(ts, ", "))
	e.Hint = "No function matches the given name and argument types. You might need to add explicit type casts."
	return e
}

// numScale is the number of decimal places a numeric-family type carries.
func numScale(t types.Type) int32 {
	if t.Family == types.Numeric {
		return t.Scale
	}
	return 0
}
