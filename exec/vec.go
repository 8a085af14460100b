package exec

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/weir-db/weir/types"
)

// Vectorized evaluation: an expression made only of the nodes here and in
// vec_logic.go and vec_ops.go is compiled (compileVec) into kernels that each evaluate one node over many
// rows at once, reading Arrow columns directly (strings are not copied:
// a result is appended to a new column, which copies it), instead of
// walking the tree once per row over datums. Each kernel evaluates only
// the rows it is given (sel), so CASE evaluates a branch only for the
// rows that reach it and AND/OR evaluate an argument only for the rows
// the earlier arguments left undecided, as the row path does: a guarded
// division fails in neither. Anything else (floats, intervals, arrays,
// functions without a kernel) keeps the row path, for the whole
// expression.

// vkind is how a vector holds its values.
type vkind uint8

const (
	vkBool vkind = iota + 1
	vkInt        // int2, int4, int8, date, timestamp (microseconds)
	vkStr        // text, varchar
	vkDec        // numeric
)

// vec is a node's value for the selected rows: position j is row sel[j],
// or every row for a constant.
type vec struct {
	k     vkind
	b     []bool
	i     []int64
	s     []string
	d     []types.Decimal
	null  []bool // nil: no NULLs
	konst bool
}

func (v *vec) at(j int) int {
	if v.konst {
		return 0
	}
	return j
}

func (v *vec) isNull(j int) bool { return v.null != nil && v.null[v.at(j)] }

// vnode evaluates one node for rows sel of c.
type vnode interface {
	eval(c *Chunk, sel []int) (*vec, error)
}

// vkindOf is the vector kind of t; 0 when t has none.
func vkindOf(t types.Type) vkind {
	switch t.Family {
	case types.Bool:
		return vkBool
	case types.Int2, types.Int4, types.Int8, types.Date, types.Timestamp, types.TimestampTZ:
		return vkInt
	case types.Text, types.Varchar:
		return vkStr
	case types.Numeric:
		return vkDec
	}
	return 0
}

// compileVec compiles e into kernels; false when some node has none.
func compileVec(e Expr) (vnode, bool) {
	if vkindOf(e.Type()) == 0 {
		return nil, false
	}
	switch x := e.(type) {
	case *ColRef:
		return &vcol{idx: x.Idx, k: vkindOf(x.T)}, true
	case *Const:
		return newVconst(x)
	case *Case:
		n := &vcase{k: vkindOf(x.T)}
		for i := range x.Conds {
			c, ok := compileVec(x.Conds[i])
			if !ok || x.Conds[i].Type().Family != types.Bool {
				return nil, false
			}
			t, ok := compileVec(x.Thens[i])
			if !ok || vkindOf(x.Thens[i].Type()) != n.k {
				return nil, false
			}
			n.conds, n.thens = append(n.conds, c), append(n.thens, t)
		}
		if x.Else != nil {
			el, ok := compileVec(x.Else)
			if !ok || vkindOf(x.Else.Type()) != n.k {
				return nil, false
			}
			n.els = el
		}
		return n, true
	case *Call:
		return compileVecCall(x)
	case *Cast:
		arg, ok := compileVec(x.E)
		if !ok {
			return nil, false
		}
		return &vcast{arg: arg, from: x.E.Type(), to: x.T}, true
	}
	return nil, false
}

func compileVecCall(x *Call) (vnode, bool) {
	args := make([]vnode, len(x.Args))
	for i, a := range x.Args {
		n, ok := compileVec(a)
		if !ok {
			return nil, false
		}
		args[i] = n
	}
	kinds := func(ks ...vkind) bool {
		if len(ks) != len(x.Args) {
			return false
		}
		for i, k := range ks {
			if vkindOf(x.Args[i].Type()) != k {
				return false
			}
		}
		return true
	}
	switch x.Func {
	case "and", "or":
		for _, a := range x.Args {
			if a.Type().Family != types.Bool {
				return nil, false
			}
		}
		return &vlogic{and: x.Func == "and", args: args}, true
	case "not":
		if kinds(vkBool) {
			return &vnot{arg: args[0]}, true
		}
	case "is_null", "is_not_null":
		if len(args) == 1 {
			return &visnull{arg: args[0], not: x.Func == "is_not_null"}, true
		}
	case "=", "<>", "<", "<=", ">", ">=":
		// Both sides of one family (the binder casts them alike).
		if len(x.Args) == 2 && x.Args[0].Type().Family == x.Args[1].Type().Family {
			return &vcmp{op: x.Func, l: args[0], r: args[1]}, true
		}
	case "+", "-", "*", "%":
		if kinds(vkInt, vkInt) && x.T.IsInteger() && x.Args[0].Type().IsInteger() && x.Args[1].Type().IsInteger() {
			return &varith{op: x.Func, l: args[0], r: args[1], t: x.T}, true
		}
		if kinds(vkDec, vkDec) && x.T.Family == types.Numeric && x.Func != "%" {
			return &vdecArith{op: x.Func, l: args[0], r: args[1], t: x.T}, true
		}
	case "lower", "upper":
		if kinds(vkStr) {
			return &vstr1{arg: args[0], fn: x.Func}, true
		}
	case "length", "char_length":
		if kinds(vkStr) {
			return &vstrlen{arg: args[0]}, true
		}
	case "split_part":
		if kinds(vkStr, vkStr, vkInt) {
			return &vsplitPart{s: args[0], sep: args[1], n: args[2]}, true
		}
	}
	// Other strict functions of a registered implementation run it per
	// selected row, on arguments read from the vectors.
	if impl, ok := scalarImpls[x.Func]; ok && !nonStrict[x.Func] && !rowPathFirst[x.Func] {
		for _, a := range x.Args {
			if vkindOf(a.Type()) == 0 {
				return nil, false
			}
		}
		return &vstrict{impl: impl, args: args, argTypes: argTypes(x.Args), t: x.T}, true
	}
	return nil, false
}

// rowPathFirst lists the functions Call.EvalRow handles before its
// registered implementations.
var rowPathFirst = map[string]bool{"array_op": true, "json_build_object": true, "jsonb_build_object": true}

func argTypes(es []Expr) []types.Type {
	ts := make([]types.Type, len(es))
	for i, e := range es {
		ts[i] = e.Type()
	}
	return ts
}

// vcol reads a column.
type vcol struct {
	idx int
	k   vkind
}

func (n *vcol) eval(c *Chunk, sel []int) (*vec, error) {
	arr := c.Rec.Column(n.idx)
	v := &vec{k: n.k}
	if arr.NullN() > 0 {
		v.null = make([]bool, len(sel))
		for j, r := range sel {
			v.null[j] = arr.IsNull(r)
		}
	}
	switch a := arr.(type) {
	case *array.Boolean:
		v.b = make([]bool, len(sel))
		for j, r := range sel {
			v.b[j] = a.Value(r)
		}
	case *array.Int16:
		v.i = gather(a.Int16Values(), sel)
	case *array.Int32:
		v.i = gather(a.Int32Values(), sel)
	case *array.Int64:
		v.i = gather(a.Int64Values(), sel)
	case *array.Date32:
		v.i = gather(a.Date32Values(), sel)
	case *array.Timestamp:
		v.i = gather(a.TimestampValues(), sel)
	case *array.String:
		if n.k == vkDec {
			// An unconstrained numeric travels as its text.
			v.d = make([]types.Decimal, len(sel))
			for j, r := range sel {
				if v.null != nil && v.null[j] {
					continue
				}
				d, err := types.ParseDecimal(a.Value(r))
				if err != nil {
					return nil, types.Wrap(err, types.CodeDataCorrupted, "numeric column")
				}
				v.d[j] = d
			}
			break
		}
		v.s = make([]string, len(sel))
		for j, r := range sel {
			v.s[j] = a.Value(r) // aliases the column: results are copied out
		}
	case *array.Decimal128:
		v.d = make([]types.Decimal, len(sel))
		scale := arr.DataType().(*arrow.Decimal128Type).Scale
		for j, r := range sel {
			v.d[j] = types.Decimal{Coef: a.Value(r), Scale: scale}
		}
	default:
		return nil, types.Errorf(types.CodeInternalError, "vectorized read of a %s column", arr.DataType())
	}
	return v, nil
}

// gather widens the selected values to int64.
func gather[T ~int16 | ~int32 | ~int64](vals []T, sel []int) []int64 {
	out := make([]int64, len(sel))
	for j, r := range sel {
		out[j] = int64(vals[r])
	}
	return out
}

// vconst is a constant.
type vconst struct{ v *vec }

func newVconst(x *Const) (vnode, bool) {
	v := &vec{k: vkindOf(x.T), konst: true}
	if x.V == nil {
		v.null = []bool{true}
		v.b, v.i, v.s, v.d = []bool{false}, []int64{0}, []string{""}, []types.Decimal{{}}
		return &vconst{v}, true
	}
	switch d := x.V.(type) {
	case bool:
		v.b = []bool{d}
	case int64:
		v.i = []int64{d}
	case types.DDate:
		v.i = []int64{int64(d)}
	case types.DTimestamp:
		v.i = []int64{int64(d)}
	case string:
		v.s = []string{d}
	case types.Decimal:
		v.d = []types.Decimal{d}
	default:
		return nil, false
	}
	return &vconst{v}, true
}

func (n *vconst) eval(*Chunk, []int) (*vec, error) { return n.v, nil }

// newVec makes a result vector for m rows.
func newVec(k vkind, m int) *vec {
	v := &vec{k: k}
	switch k {
	case vkBool:
		v.b = make([]bool, m)
	case vkInt:
		v.i = make([]int64, m)
	case vkStr:
		v.s = make([]string, m)
	case vkDec:
		v.d = make([]types.Decimal, m)
	}
	return v
}

func (v *vec) setNull(j, m int) {
	if v.null == nil {
		v.null = make([]bool, m)
	}
	v.null[j] = true
}

// strict1 evaluates arg for sel and calls fn for each non-NULL position
// (j into sel, x into v); NULL in, NULL out.
func strict1(c *Chunk, sel []int, arg vnode, k vkind, fn func(out, v *vec, j, x int) error) (*vec, error) {
	v, err := arg.eval(c, sel)
	if err != nil {
		return nil, err
	}
	out := newVec(k, len(sel))
	for j := range sel {
		if v.isNull(j) {
			out.setNull(j, len(sel))
			continue
		}
		if err := fn(out, v, j, v.at(j)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// strict2 is strict1 for two arguments.
func strict2(c *Chunk, sel []int, l, r vnode, k vkind, fn func(out, a, b *vec, j, x, y int) error) (*vec, error) {
	a, err := l.eval(c, sel)
	if err != nil {
		return nil, err
	}
	b, err := r.eval(c, sel)
	if err != nil {
		return nil, err
	}
	out := newVec(k, len(sel))
	for j := range sel {
		if a.isNull(j) || b.isNull(j) {
			out.setNull(j, len(sel))
			continue
		}
		if err := fn(out, a, b, j, a.at(j), b.at(j)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// datum boxes position j as a datum of type t.
func (v *vec) datum(j int, t types.Type) types.Datum {
	x := v.at(j)
	switch v.k {
	case vkBool:
		return v.b[x]
	case vkStr:
		return v.s[x]
	case vkDec:
		return v.d[x]
	}
	switch t.Family {
	case types.Date:
		return types.DDate(v.i[x])
	case types.Timestamp, types.TimestampTZ:
		return types.DTimestamp(v.i[x])
	}
	return v.i[x]
}

// put stores datum d at position j.
func (v *vec) put(j int, d types.Datum) bool {
	switch x := d.(type) {
	case bool:
		v.b[j] = x
	case int64:
		v.i[j] = x
	case types.DDate:
		v.i[j] = int64(x)
	case types.DTimestamp:
		v.i[j] = int64(x)
	case string:
		v.s[j] = x
	case types.Decimal:
		v.d[j] = x
	default:
		return false
	}
	return true
}

// allRows is the selection of every row of c.
func allRows(c *Chunk) []int {
	sel := make([]int, c.Len())
	for i := range sel {
		sel[i] = i
	}
	return sel
}

// vecArray builds the Arrow column of type t from a vector over every
// row (n rows).
func vecArray(v *vec, t types.Type, n int) arrow.Array {
	b := array.NewBuilder(memory.DefaultAllocator, t.ArrowType())
	defer b.Release()
	b.Reserve(n)
	for j := 0; j < n; j++ {
		if v.isNull(j) {
			b.AppendNull()
			continue
		}
		x := v.at(j)
		switch bb := b.(type) {
		case *array.BooleanBuilder:
			bb.Append(v.b[x])
		case *array.Int16Builder:
			bb.Append(int16(v.i[x]))
		case *array.Int32Builder:
			bb.Append(int32(v.i[x]))
		case *array.Int64Builder:
			bb.Append(v.i[x])
		case *array.Date32Builder:
			bb.Append(arrow.Date32(v.i[x]))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(v.i[x]))
		case *array.StringBuilder:
			if v.k == vkDec {
				bb.Append(v.d[x].String())
				continue
			}
			bb.Append(v.s[x])
		case *array.Decimal128Builder:
			types.AppendDatum(bb, t, v.d[x])
		}
	}
	return b.NewArray()
}
