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
	case a.Family == types.Interval && b.IsNumeric() && (op == "*" || op == "/"),
		a.IsNumeric() && b.Family == types.Interval && op == "*":
		return types.TInterval, true // the number as double precision
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
	case "string_agg", "array_agg":
		return types.TText, nil
	case "bool_and", "bool_or", "every":
		if arg.Family == types.Bool {
			return types.TBool, nil
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
// bound argument types (with the arguments coerced), or an error.
type scalarFunc func(args []Expr) (types.Type, []Expr, error)

// sig is a fixed signature: arguments are coerced to want (implicitly, as
// PostgreSQL does for function arguments); variadic repeats the last type.
func sig(result types.Type, want ...types.Type) scalarFunc {
	return sigN(result, false, want...)
}

func variadic(result types.Type, want ...types.Type) scalarFunc {
	return sigN(result, true, want...)
}

func sigN(result types.Type, variadic bool, want ...types.Type) scalarFunc {
	return func(args []Expr) (types.Type, []Expr, error) {
		if len(args) != len(want) && !(variadic && len(args) >= len(want)-1) {
			return types.Type{}, nil, errNoFunc("", args)
		}
		out := make([]Expr, len(args))
		for i, a := range args {
			w := want[min(i, len(want)-1)]
			if w.Family == types.Unknown { // any type
				out[i] = a
				continue
			}
			at := a.Type()
			switch {
			case at.Family == types.Unknown:
			case w.IsString() && at.IsString():
			case types.CanCastImplicitly(at, w):
			case w.IsString() && variadic:
				// concat() and friends take "any" and print it as text.
			default:
				return types.Type{}, nil, errNoFunc("", args)
			}
			c, err := castOrCoerce(a, w)
			if err != nil {
				return types.Type{}, nil, err
			}
			out[i] = c
		}
		return result, out, nil
	}
}

// castOrCoerce converts an argument: unknown literals are read as w,
// everything else is cast.
func castOrCoerce(a Expr, w types.Type) (Expr, error) {
	if a.Type().Family == types.Unknown {
		return coerce(a, w)
	}
	if a.Type() == w || a.Type().IsString() && w.IsString() {
		return a, nil
	}
	return castExpr(a, w)
}

// sameAsArg returns its (single numeric) argument's type.
func sameAsArg(name string) scalarFunc {
	return func(args []Expr) (types.Type, []Expr, error) {
		if len(args) != 1 {
			return types.Type{}, nil, errNoFunc(name, args)
		}
		a := args[0]
		if a.Type().Family == types.Unknown {
			c, err := coerce(a, types.TFloat8)
			if err != nil {
				return types.Type{}, nil, err
			}
			a = c
		}
		if !a.Type().IsNumeric() {
			return types.Type{}, nil, errNoFunc(name, args)
		}
		return a.Type(), []Expr{a}, nil
	}
}

// unified takes arguments of one common type and returns it.
func unified(name string, min int) scalarFunc {
	return func(args []Expr) (types.Type, []Expr, error) {
		if len(args) < min {
			return types.Type{}, nil, errNoFunc(name, args)
		}
		t, err := commonType(strings.ToUpper(name), args)
		if err != nil {
			return types.Type{}, nil, err
		}
		if t.Family == types.Unknown {
			t = types.TText
		}
		out := make([]Expr, len(args))
		for i, a := range args {
			if out[i], err = coerce(a, t); err != nil {
				return types.Type{}, nil, err
			}
		}
		return t, out, nil
	}
}

var (
	tText  = types.TText
	tInt4  = types.TInt4
	tInt8  = types.TInt8
	tF8    = types.TFloat8
	tTS    = types.TTimestamp
	tTSTZ  = types.TTimestampTZ
	tBool  = types.TBool
	tAny   = types.TUnknown
	tNumer = types.TNumeric
)

var scalarFuncs = map[string]scalarFunc{
	"lower":            sig(tText, tText),
	"upper":            sig(tText, tText),
	"initcap":          sig(tText, tText),
	"length":           sig(tInt4, tText),
	"char_length":      sig(tInt4, tText),
	"character_length": sig(tInt4, tText),
	"octet_length":     sig(tInt4, tText),
	"replace":          sig(tText, tText, tText, tText),
	"split_part":       sig(tText, tText, tText, tInt4),
	"strpos":           sig(tInt4, tText, tText),
	"left":             sig(tText, tText, tInt4),
	"right":            sig(tText, tText, tInt4),
	"repeat":           sig(tText, tText, tInt4),
	"reverse":          sig(tText, tText),
	"starts_with":      sig(tBool, tText, tText),
	"md5":              sig(tText, tText),
	"ascii":            sig(tInt4, tText),
	"chr":              sig(tText, tInt4),
	"lpad":             textPad,
	"rpad":             textPad,
	"btrim":            trimFunc,
	"ltrim":            trimFunc,
	"rtrim":            trimFunc,
	"substr":           substrFunc,
	"substring":        substrFunc,
	"concat":           variadic(tText, tText),
	"concat_ws":        variadic(tText, tText, tText),
	"to_char":          toChar,
	"regexp_replace":   regexpReplace,
	"regexp_match":     sig(tText, tText, tText), // as text[]; Weir has no arrays yet, see __subscript
	"abs":              sameAsArg("abs"),
	"sign":             sameAsArg("sign"),
	"ceil":             sameAsArg("ceil"),
	"ceiling":          sameAsArg("ceiling"),
	"floor":            sameAsArg("floor"),
	"round":            roundFunc("round"),
	"trunc":            roundFunc("trunc"),
	"mod":              unified("mod", 2),
	"power":            sig(tF8, tF8, tF8),
	"pow":              sig(tF8, tF8, tF8),
	"sqrt":             sig(tF8, tF8),
	"exp":              sig(tF8, tF8),
	"ln":               sig(tF8, tF8),
	"log10":            sig(tF8, tF8),
	"log":              sig(tF8, tF8),
	"pi":               sig(tF8),
	"greatest":         unified("greatest", 1),
	"least":            unified("least", 1),
	"coalesce":         unified("coalesce", 1),
	"nullif": func(args []Expr) (types.Type, []Expr, error) {
		if len(args) != 2 {
			return types.Type{}, nil, errNoFunc("nullif", args)
		}
		t, out, err := unified("nullif", 2)(args)
		return t, out, err
	},
	"now":               sig(tTSTZ),
	"current_timestamp": sig(tTSTZ),
	"localtimestamp":    sig(tTS),
	"current_date":      sig(types.TDate),
	"proctime":          sig(tTSTZ),
	"date_trunc":        dateTrunc,
	"date_bin":          dateBin,
	"date_part":         datePart,
	"to_timestamp":      sig(tTSTZ, tF8),
	"version":           sig(tText),
	"current_database":  sig(tText),
	"current_schema":    sig(tText),
	"current_user":      sig(tText),
	"session_user":      sig(tText),
	"user":              sig(tText),
	"pg_backend_pid":    sig(tInt4),
	"current_setting":   sig(tText, tText),
}

var textPad = func(args []Expr) (types.Type, []Expr, error) {
	if len(args) == 2 {
		return sig(tText, tText, tInt4)(args)
	}
	return sig(tText, tText, tInt4, tText)(args)
}

var trimFunc = func(args []Expr) (types.Type, []Expr, error) {
	if len(args) == 1 {
		return sig(tText, tText)(args)
	}
	return sig(tText, tText, tText)(args)
}

var substrFunc = func(args []Expr) (types.Type, []Expr, error) {
	if len(args) == 2 {
		return sig(tText, tText, tInt4)(args)
	}
	return sig(tText, tText, tInt4, tInt4)(args)
}

var regexpReplace = func(args []Expr) (types.Type, []Expr, error) {
	if len(args) == 3 {
		return sig(tText, tText, tText, tText)(args)
	}
	return sig(tText, tText, tText, tText, tText)(args)
}

// toChar formats a timestamp or number with a PostgreSQL template.
var toChar = func(args []Expr) (types.Type, []Expr, error) {
	if len(args) != 2 {
		return types.Type{}, nil, errNoFunc("to_char", args)
	}
	t := args[0].Type()
	switch {
	case t.IsTime() || t.Family == types.Date:
		return sig(tText, tTS, tText)(args)
	case t.IsNumeric():
		return sig(tText, tF8, tText)(args)
	case t.Family == types.Interval:
		return sig(tText, types.TInterval, tText)(args)
	}
	return types.Type{}, nil, errNoFunc("to_char", args)
}

// roundFunc is round/trunc: (numeric[, int]) → numeric, (double) → double.
func roundFunc(name string) scalarFunc {
	return func(args []Expr) (types.Type, []Expr, error) {
		if len(args) == 0 || len(args) > 2 {
			return types.Type{}, nil, errNoFunc(name, args)
		}
		t := args[0].Type()
		if len(args) == 2 {
			return sig(types.NumericOf(0), tNumer, tInt4)(args)
		}
		switch {
		case t.Family == types.Float4 || t.Family == types.Float8:
			return sig(tF8, tF8)(args)
		case t.IsNumeric():
			return sig(types.NumericOf(0), tNumer)(args)
		case t.Family == types.Unknown:
			return sig(tF8, tF8)(args)
		}
		return types.Type{}, nil, errNoFunc(name, args)
	}
}

var dateTrunc = func(args []Expr) (types.Type, []Expr, error) {
	if len(args) != 2 {
		return types.Type{}, nil, errNoFunc("date_trunc", args)
	}
	if args[1].Type().Family == types.TimestampTZ {
		return sig(tTSTZ, tText, tTSTZ)(args)
	}
	return sig(tTS, tText, tTS)(args)
}

var dateBin = func(args []Expr) (types.Type, []Expr, error) {
	if len(args) == 3 && (args[1].Type().Family == types.TimestampTZ || args[2].Type().Family == types.TimestampTZ) {
		return sig(tTSTZ, types.TInterval, tTSTZ, tTSTZ)(args)
	}
	return sig(tTS, types.TInterval, tTS, tTS)(args)
}

var datePart = func(args []Expr) (types.Type, []Expr, error) {
	if len(args) != 2 {
		return types.Type{}, nil, errNoFunc("date_part", args)
	}
	if args[1].Type().Family == types.Interval {
		return sig(tF8, tText, types.TInterval)(args)
	}
	return sig(tF8, tText, tTS)(args)
}

func errNoFunc(name string, args []Expr) error {
	var ts []string
	for _, a := range args {
		ts = append(ts, a.Type().String())
	}
	e := types.Errorf(types.CodeUndefinedFunction, "function %s(%s) does not exist", name, strings.Join(ts, ", "))
	if name == "" {
		e.Message = "function (" + strings.Join(ts, ", ") + ") does not exist"
	}
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

var extractFields = map[string]int32{
	"microsecond": 0, "microseconds": 0, "millisecond": 3, "milliseconds": 3, "second": 6, "seconds": 6,
	"minute": 0, "minutes": 0, "hour": 0, "hours": 0, "day": 0, "days": 0, "month": 0, "months": 0,
	"year": 0, "years": 0, "dow": 0, "isodow": 0, "doy": 0, "week": 0, "quarter": 0, "decade": 0,
	"century": 0, "millennium": 0, "epoch": 6, "isoyear": 0,
}

func validExtractField(f string) bool { _, ok := extractFields[f]; return ok }

// extractScale is the scale of extract()'s numeric result (PostgreSQL 14+).
func extractScale(f string) int32 { return extractFields[f] }
