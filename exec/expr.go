package exec

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/weir-db/weir/types"
)

// Expr is a compiled scalar expression. EvalRow evaluates it over one row
// of datums; Eval evaluates it over a chunk into a new Arrow column.
type Expr interface {
	Type() types.Type
	EvalRow(row []types.Datum) (types.Datum, error)
}

// ColRef reads an input column.
type ColRef struct {
	Idx int
	T   types.Type
}

// Const is a constant.
type Const struct {
	V types.Datum
	T types.Type
}

// Call applies a function (names as in the sql package's registry).
type Call struct {
	Func string
	Args []Expr
	T    types.Type
	re   *regexp.Regexp // compiled LIKE pattern when the pattern is constant
}

// Cast converts to T.
type Cast struct {
	E Expr
	T types.Type
}

// Case is a searched CASE.
type Case struct {
	Conds, Thens []Expr
	Else         Expr
	T            types.Type
}

func (e *ColRef) Type() types.Type { return e.T }
func (e *Const) Type() types.Type  { return e.T }
func (e *Call) Type() types.Type   { return e.T }
func (e *Cast) Type() types.Type   { return e.T }
func (e *Case) Type() types.Type   { return e.T }

func (e *ColRef) EvalRow(row []types.Datum) (types.Datum, error) { return row[e.Idx], nil }
func (e *Const) EvalRow([]types.Datum) (types.Datum, error)      { return e.V, nil }

func (e *Cast) EvalRow(row []types.Datum) (types.Datum, error) {
	v, err := e.E.EvalRow(row)
	if err != nil {
		return nil, err
	}
	return types.Cast(v, e.E.Type(), e.T)
}

func (e *Case) EvalRow(row []types.Datum) (types.Datum, error) {
	for i, c := range e.Conds {
		v, err := c.EvalRow(row)
		if err != nil {
			return nil, err
		}
		if v == true {
			return e.Thens[i].EvalRow(row)
		}
	}
	if e.Else == nil {
		return nil, nil
	}
	return e.Else.EvalRow(row)
}

// Eval evaluates e over every row of c into a new column.
func Eval(e Expr, c *Chunk) (arrow.Array, error) {
	if cr, ok := e.(*ColRef); ok {
		col := c.Rec.Column(cr.Idx)
		col.Retain()
		return col, nil
	}
	b := array.NewBuilder(memory.DefaultAllocator, e.Type().ArrowType())
	defer b.Release()
	rr := newRowReader(e)
	for i := 0; i < c.Len(); i++ {
		v, err := e.EvalRow(rr.read(c, i))
		if err != nil {
			return nil, err
		}
		types.AppendDatum(b, e.Type(), v)
	}
	return b.NewArray(), nil
}

func (e *Call) EvalRow(row []types.Datum) (types.Datum, error) {
	switch e.Func {
	case "and", "or":
		return e.evalLogic(row)
	case "array_op":
		return e.arrayOp(row)
	case "is_distinct", "is_not_distinct":
		x, err := e.Args[0].EvalRow(row)
		if err != nil {
			return nil, err
		}
		y, err := e.Args[1].EvalRow(row)
		if err != nil {
			return nil, err
		}
		same := x == nil && y == nil || x != nil && y != nil && types.Compare(x, y) == 0
		return same == (e.Func == "is_not_distinct"), nil
	case "greatest", "least":
		var best types.Datum
		for _, a := range e.Args {
			v, err := a.EvalRow(row)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			if best == nil || (types.Compare(v, best) > 0) == (e.Func == "greatest") && types.Compare(v, best) != 0 {
				best = v
			}
		}
		return best, nil
	case "concat", "concat_ws":
		var parts []string
		for i, a := range e.Args {
			v, err := a.EvalRow(row)
			if err != nil {
				return nil, err
			}
			if i == 0 && e.Func == "concat_ws" {
				if v == nil {
					return nil, nil
				}
				parts = append(parts, types.TextString(a.Type(), v))
				continue
			}
			if v != nil {
				parts = append(parts, string(types.FormatText(nil, a.Type(), v)))
			}
		}
		if e.Func == "concat_ws" {
			return strings.Join(parts[1:], parts[0]), nil
		}
		return strings.Join(parts, ""), nil
	case "json_build_object", "jsonb_build_object":
		if len(e.Args)%2 != 0 {
			return nil, types.Errorf(types.CodeInvalidParameterValue, "argument list must have even number of elements")
		}
		var b strings.Builder
		b.WriteByte('{')
		for i := 0; i < len(e.Args); i += 2 {
			k, err := e.Args[i].EvalRow(row)
			if err != nil {
				return nil, err
			}
			if k == nil {
				return nil, types.Errorf(types.CodeInvalidParameterValue, "argument %d cannot be null", i+1)
			}
			v, err := e.Args[i+1].EvalRow(row)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(string(types.FormatText(nil, e.Args[i].Type(), k))))
			b.WriteString(" : ")
			switch {
			case v == nil:
				b.WriteString("null")
			case e.Args[i+1].Type().IsNumeric() || e.Args[i+1].Type().Family == types.Bool:
				b.Write(types.FormatText(nil, e.Args[i+1].Type(), v))
			default:
				b.WriteString(strconv.Quote(string(types.FormatText(nil, e.Args[i+1].Type(), v))))
			}
		}
		b.WriteByte('}')
		return b.String(), nil
	case "nullif":
		x, err := e.Args[0].EvalRow(row)
		if err != nil || x == nil {
			return x, err
		}
		y, err := e.Args[1].EvalRow(row)
		if err != nil {
			return nil, err
		}
		if y != nil && types.Compare(x, y) == 0 {
			return nil, nil
		}
		return x, nil
	case "coalesce":
		for _, a := range e.Args {
			v, err := a.EvalRow(row)
			if err != nil || v != nil {
				return v, err
			}
		}
		return nil, nil
	}
	if impl, ok := scalarImpls[e.Func]; ok {
		return e.callImpl(impl, row)
	}
	// The functions below read at most two arguments, from a buffer on
	// the stack: nothing they are passed to keeps it.
	var argBuf [4]types.Datum
	args := argBuf[:0]
	if len(e.Args) > len(argBuf) {
		args = make([]types.Datum, 0, len(e.Args))
	}
	args = args[:len(e.Args)]
	for i, a := range e.Args {
		v, err := a.EvalRow(row)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	var x, y types.Datum
	if len(args) > 0 {
		x = args[0]
	}
	if len(args) > 1 {
		y = args[1]
	}
	switch e.Func {
	case "is_null":
		return x == nil, nil
	case "is_not_null":
		return x != nil, nil
	case "is_true":
		return x == true, nil
	case "is_false":
		return x == false, nil
	}
	// Every other function is strict: NULL in, NULL out.
	for i := range args {
		if args[i] == nil {
			return nil, nil
		}
	}
	switch e.Func {
	case "not":
		return !x.(bool), nil
	case "=", "<>", "<", "<=", ">", ">=":
		c := types.Compare(x, y)
		switch e.Func {
		case "=":
			return c == 0, nil
		case "<>":
			return c != 0, nil
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "+", "-", "*", "/", "%":
		return arith(e.Func, x, y, e.T)
	case "neg":
		switch v := x.(type) {
		case int64:
			if v == math.MinInt64 {
				return nil, types.Errorf(types.CodeNumericValueOutOfRange, "%s out of range", e.T)
			}
			return types.CheckIntRange(e.T, -v)
		case float64:
			return -v, nil
		case types.Decimal:
			return types.Decimal{Coef: v.Coef.Negate(), Scale: v.Scale}, nil
		case types.DInterval:
			return types.DInterval{Months: -v.Months, Days: -v.Days, Micros: -v.Micros}, nil
		}
	case "textcat": // the || operator: strict, unlike concat()
		return x.(string) + y.(string), nil
	case "like", "not_like", "ilike", "not_ilike":
		re := e.re
		if re == nil {
			var err error
			if re, err = likeRegexp(y.(string), strings.Contains(e.Func, "ilike")); err != nil {
				return nil, err
			}
			if _, ok := e.Args[1].(*Const); ok {
				e.re = re
			}
		}
		m := re.MatchString(x.(string))
		if strings.HasPrefix(e.Func, "not_") {
			return !m, nil
		}
		return m, nil
	case "lower":
		return strings.ToLower(x.(string)), nil
	case "upper":
		return strings.ToUpper(x.(string)), nil
	case "length", "char_length":
		return int64(utf8.RuneCountInString(x.(string))), nil
	case "abs":
		switch v := x.(type) {
		case int64:
			if v < 0 {
				return types.CheckIntRange(e.T, -v)
			}
			return v, nil
		case float64:
			return math.Abs(v), nil
		case types.Decimal:
			return types.Decimal{Coef: v.Coef.Abs(), Scale: v.Scale}, nil
		}
	}
	return nil, types.Errorf(types.CodeUndefinedFunction, "function %s is not implemented for %T", e.Func, x)
}

// callImpl evaluates a call of a function of scalarImpls, which are
// strict: NULL in, NULL out. Its arguments are a slice of their own,
// since impl may keep it.
func (e *Call) callImpl(impl scalarImpl, row []types.Datum) (types.Datum, error) {
	args := make([]types.Datum, len(e.Args))
	for i, a := range e.Args {
		v, err := a.EvalRow(row)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	for _, v := range args {
		if v == nil {
			return nil, nil
		}
	}
	return impl(args, e.T)
}

// evalLogic is SQL's three-valued AND/OR.
func (e *Call) evalLogic(row []types.Datum) (types.Datum, error) {
	and := e.Func == "and"
	sawNull := false
	for _, a := range e.Args {
		v, err := a.EvalRow(row)
		if err != nil {
			return nil, err
		}
		switch {
		case v == nil:
			sawNull = true
		case v.(bool) != and:
			return !and, nil
		}
	}
	if sawNull {
		return nil, nil
	}
	return and, nil
}

var errDivByZero = types.Errorf(types.CodeDivisionByZero, "division by zero")

func arith(op string, x, y types.Datum, t types.Type) (types.Datum, error) {
	switch a := x.(type) {
	case int64:
		b := y.(int64)
		var r int64
		switch op {
		case "+":
			r = a + b
			if (r > a) != (b > 0) {
				return nil, outOfRange(t)
			}
		case "-":
			r = a - b
			if (r < a) != (b > 0) {
				return nil, outOfRange(t)
			}
		case "*":
			if a != 0 && b != 0 {
				r = a * b
				if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
					return nil, outOfRange(t)
				}
			}
		case "/":
			if b == 0 {
				return nil, errDivByZero
			}
			if a == math.MinInt64 && b == -1 {
				return nil, outOfRange(t)
			}
			r = a / b
		case "%":
			if b == 0 {
				return nil, errDivByZero
			}
			if b == -1 {
				return int64(0), nil
			}
			r = a % b
		}
		if t.IsInteger() {
			if _, err := types.CheckIntRange(t, r); err != nil {
				return nil, outOfRange(t)
			}
		}
		return r, nil
	case float64:
		if iv, ok := y.(types.DInterval); ok {
			return scaleInterval(iv, a, false)
		}
		b := y.(float64)
		switch op {
		case "+":
			return a + b, nil
		case "-":
			return a - b, nil
		case "*":
			return a * b, nil
		case "/":
			if b == 0 {
				return nil, errDivByZero
			}
			return a / b, nil
		case "%":
			if b == 0 {
				return nil, errDivByZero
			}
			return math.Mod(a, b), nil
		}
	case types.Decimal:
		return decimalArith(op, a, y.(types.Decimal), t)
	case types.DTimestamp:
		switch b := y.(type) {
		case types.DInterval:
			if op == "-" {
				b = types.DInterval{Months: -b.Months, Days: -b.Days, Micros: -b.Micros}
			}
			return addInterval(a, b), nil
		case types.DTimestamp:
			d := int64(a - b)
			days := d / 86400e6
			return types.DInterval{Days: int32(days), Micros: d - days*86400e6}, nil
		}
	case types.DDate:
		switch b := y.(type) {
		case types.DDate:
			if op == "-" {
				return int64(a - b), nil // days, as PostgreSQL's date - date
			}
		case int64:
			if op == "-" {
				b = -b
			}
			return types.DDate(int64(a) + b), nil
		case types.DInterval:
			if op == "-" {
				b = types.DInterval{Months: -b.Months, Days: -b.Days, Micros: -b.Micros}
			}
			return addInterval(types.DTimestamp(int64(a)*86400e6), b), nil
		}
	case types.DInterval:
		switch b := y.(type) {
		case types.DInterval:
			if op == "-" {
				b = types.DInterval{Months: -b.Months, Days: -b.Days, Micros: -b.Micros}
			}
			return types.DInterval{Months: a.Months + b.Months, Days: a.Days + b.Days, Micros: a.Micros + b.Micros}, nil
		case types.DTimestamp:
			return addInterval(b, a), nil
		case float64:
			return scaleInterval(a, b, op == "/")
		}
	}
	return nil, types.Errorf(types.CodeUndefinedFunction, "operator %s is not implemented for %T", op, x)
}

// scaleInterval is PostgreSQL's interval_mul (interval_div with div):
// months and days scale as whole numbers, and their fractions cascade
// down, a month as 30 days and a day as 24 hours, never up.
func scaleInterval(iv types.DInterval, f float64, div bool) (types.Datum, error) {
	if div && f == 0 {
		return nil, errDivByZero
	}
	scale := func(v float64) float64 {
		if div {
			return v / f
		}
		return v * f
	}
	errRange := types.Errorf(types.CodeDatetimeFieldOverflow, "interval out of range")
	m, d := scale(float64(iv.Months)), scale(float64(iv.Days))
	if math.IsNaN(m) || m > math.MaxInt32 || m < math.MinInt32 || math.IsNaN(d) || d > math.MaxInt32 || d < math.MinInt32 {
		return nil, errRange
	}
	out := types.DInterval{Months: int32(m), Days: int32(d)}
	tsRound := func(v float64) float64 { return math.RoundToEven(v*1e6) / 1e6 }
	monthDays := tsRound((m - float64(out.Months)) * 30)
	secs := tsRound((d - float64(out.Days) + monthDays - float64(int64(monthDays))) * 86400)
	if math.Abs(secs) >= 86400 {
		out.Days += int32(secs / 86400)
		secs -= float64(int64(secs/86400)) * 86400
	}
	out.Days += int32(monthDays)
	us := math.RoundToEven(scale(float64(iv.Micros)) + secs*1e6)
	if math.IsNaN(us) || us >= math.MaxInt64 || us < math.MinInt64 {
		return nil, errRange
	}
	out.Micros = int64(us)
	return out, nil
}

func outOfRange(t types.Type) error {
	return types.Errorf(types.CodeNumericValueOutOfRange, "%s out of range", t)
}

// addInterval is PostgreSQL's timestamp + interval: months first, the day
// clamped to the end of a shorter month (January 31 + 1 month is February
// 29 or 28), then days, then microseconds.
func addInterval(ts types.DTimestamp, iv types.DInterval) types.DTimestamp {
	if iv.Months != 0 {
		tm := time.UnixMicro(int64(ts)).UTC()
		y, m, d := tm.Date()
		first := time.Date(y, m, 1, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC).AddDate(0, int(iv.Months), 0)
		last := first.AddDate(0, 1, -1).Day()
		tm = first.AddDate(0, 0, min(d, last)-1)
		ts = types.DTimestamp(tm.UnixMicro())
	}
	if iv.Days != 0 {
		ts += types.DTimestamp(int64(iv.Days) * 86400e6)
	}
	return ts + types.DTimestamp(iv.Micros)
}

// decimalArith follows PostgreSQL's numeric: a result's scale comes from
// its operands' values (sum and difference: the larger scale; product: the
// sum of scales; quotient: enough for 16 significant digits), and is fixed
// only by a constrained numeric(p, s) result type.
func decimalArith(op string, a, b types.Decimal, t types.Type) (types.Datum, error) {
	s := max(a.Scale, b.Scale)
	fit := func(d types.Decimal) (types.Datum, error) {
		if t.Precision > 0 {
			return types.FitNumeric(t, d)
		}
		return d, nil
	}
	switch op {
	case "+":
		return fit(types.Decimal{Coef: a.Rescale(s).Coef.Add(b.Rescale(s).Coef), Scale: s})
	case "-":
		return fit(types.Decimal{Coef: a.Rescale(s).Coef.Sub(b.Rescale(s).Coef), Scale: s})
	case "*":
		return fit(types.Decimal{Coef: a.Coef.Mul(b.Coef), Scale: a.Scale + b.Scale})
	case "/", "%":
		if b.Coef.Sign() == 0 {
			return nil, errDivByZero
		}
		if op == "%" {
			_, rem := a.Rescale(s).Coef.Div(b.Rescale(s).Coef)
			return fit(types.Decimal{Coef: rem, Scale: s})
		}
		return fit(DivideDecimal(a, b, DivScale(a, b)))
	}
	return nil, types.Errorf(types.CodeUndefinedFunction, "operator %s is not implemented for numeric", op)
}

// DivScale is the scale PostgreSQL gives a numeric quotient
// (select_div_scale): at least 16 significant digits, and no fewer
// decimals than either operand shows.
func DivScale(a, b types.Decimal) int32 {
	w1, f1 := base10000Lead(a)
	w2, f2 := base10000Lead(b)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := int32(16 - qweight*4)
	rscale = max(rscale, a.Scale, b.Scale, 0)
	return min(rscale, 30)
}

// base10000Lead is a numeric's weight and first digit in PostgreSQL's
// base-10000 representation (weight 0 holds the units group).
func base10000Lead(d types.Decimal) (int, int64) {
	s := d.Coef.Abs().ToString(0)
	if s == "0" {
		return 0, 0
	}
	intDigits := len(s) - int(d.Scale)
	if intDigits > 0 {
		groups := (intDigits + 3) / 4
		lead := intDigits - (groups-1)*4
		first := int64(0)
		for _, c := range s[:lead] {
			first = first*10 + int64(c-'0')
		}
		return groups - 1, first
	}
	// A pure fraction: count leading zero groups after the point.
	frac := strings.Repeat("0", -intDigits) + s
	w := -1
	for len(frac) >= 4 && frac[:4] == "0000" {
		frac = frac[4:]
		w--
	}
	grp := (frac + "0000")[:4]
	first := int64(0)
	for _, c := range grp {
		first = first*10 + int64(c-'0')
	}
	return w, first
}

// DivideDecimal computes a / b rounded half away from zero to scale.
func DivideDecimal(a, b types.Decimal, scale int32) types.Decimal {
	// a/b at scale s: (a.coef * 10^(s + 1 + b.scale - a.scale)) / b.coef, then round the extra digit.
	shift := scale + 1 + b.Scale - a.Scale
	num := a.Coef
	if shift >= 0 {
		num = num.IncreaseScaleBy(shift)
	} else {
		num = num.ReduceScaleBy(-shift, false)
	}
	q, _ := num.Div(b.Coef)
	ten := decimal128.FromI64(10)
	last, rem := q.Div(ten)
	abs := rem.Abs()
	if abs.Cmp(decimal128.FromI64(5)) >= 0 {
		if q.Sign() < 0 {
			last = last.Sub(decimal128.FromI64(1))
		} else {
			last = last.Add(decimal128.FromI64(1))
		}
	}
	return types.Decimal{Coef: last, Scale: scale}
}

// likeRegexp translates a LIKE pattern (with \ as the escape) into an
// anchored regular expression.
func likeRegexp(p string, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if fold {
		b.WriteString("(?is)^")
	} else {
		b.WriteString("(?s)^")
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			} else {
				return nil, types.Errorf(types.CodeInvalidParameterValue, "LIKE pattern must not end with escape character")
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
