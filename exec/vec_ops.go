package exec

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/weir-db/weir/types"
)

// Kernels over values: comparisons, arithmetic, casts and functions (see
// vec.go).

// vcmp compares two vectors of one kind.
type vcmp struct {
	op   string
	l, r vnode
}

func (n *vcmp) eval(c *Chunk, sel []int) (*vec, error) {
	return strict2(c, sel, n.l, n.r, vkBool, func(out, l, r *vec, j, x, y int) error {
		var k int
		switch l.k {
		case vkInt:
			k = cmpInt(l.i[x], r.i[y])
		case vkStr:
			k = strings.Compare(l.s[x], r.s[y])
		case vkBool:
			k = cmpInt(b2i(l.b[x]), b2i(r.b[y]))
		case vkDec:
			k = types.CompareDecimal(l.d[x], r.d[y])
		}
		out.b[j] = cmpHolds(n.op, k)
		return nil
	})
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpHolds(op string, k int) bool {
	switch op {
	case "=":
		return k == 0
	case "<>":
		return k != 0
	case "<":
		return k < 0
	case "<=":
		return k <= 0
	case ">":
		return k > 0
	}
	return k >= 0
}

// varith is integer arithmetic, with the row path's range checks.
type varith struct {
	op   string
	l, r vnode
	t    types.Type
}

func (n *varith) eval(c *Chunk, sel []int) (*vec, error) {
	lo, hi := intRange(n.t)
	return strict2(c, sel, n.l, n.r, vkInt, func(out, l, r *vec, j, x, y int) error {
		a, b := l.i[x], r.i[y]
		var v int64
		switch n.op {
		case "+":
			v = a + b
			if (v > a) != (b > 0) {
				return outOfRange(n.t)
			}
		case "-":
			v = a - b
			if (v < a) != (b > 0) {
				return outOfRange(n.t)
			}
		case "*":
			if a != 0 && b != 0 {
				v = a * b
				if v/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
					return outOfRange(n.t)
				}
			}
		case "%":
			switch b {
			case 0:
				return errDivByZero
			case -1:
				v = 0
			default:
				v = a % b
			}
		}
		if v < lo || v > hi {
			return outOfRange(n.t)
		}
		out.i[j] = v
		return nil
	})
}

// intRange is the range of integer type t.
func intRange(t types.Type) (int64, int64) {
	switch t.Family {
	case types.Int2:
		return math.MinInt16, math.MaxInt16
	case types.Int4:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// vstr1 is lower or upper.
type vstr1 struct {
	arg vnode
	fn  string
}

func (n *vstr1) eval(c *Chunk, sel []int) (*vec, error) {
	conv := strings.ToUpper
	if n.fn == "lower" {
		conv = strings.ToLower
	}
	return strict1(c, sel, n.arg, vkStr, func(out, v *vec, j, x int) error {
		out.s[j] = conv(v.s[x])
		return nil
	})
}

type vstrlen struct{ arg vnode }

func (n *vstrlen) eval(c *Chunk, sel []int) (*vec, error) {
	return strict1(c, sel, n.arg, vkInt, func(out, v *vec, j, x int) error {
		out.i[j] = int64(utf8.RuneCountInString(v.s[x]))
		return nil
	})
}

// vsplitPart is split_part on strings read from the vectors: no datum is
// boxed per row (q22 splits every bid's URL three times).
type vsplitPart struct{ s, sep, n vnode }

func (n *vsplitPart) eval(c *Chunk, sel []int) (*vec, error) {
	s, err := n.s.eval(c, sel)
	if err != nil {
		return nil, err
	}
	return strict2(c, sel, n.sep, n.n, vkStr, func(out, sep, k *vec, j, x, y int) error {
		if s.isNull(j) {
			out.setNull(j, len(sel))
			return nil
		}
		r, err := splitPart(s.s[s.at(j)], sep.s[x], k.i[y])
		out.s[j] = r
		return err
	})
}

// vstrict runs a strict function's row implementation for each selected
// row: NULL in, NULL out.
type vstrict struct {
	impl     func([]types.Datum, types.Type) (types.Datum, error)
	args     []vnode
	argTypes []types.Type
	t        types.Type
}

func (n *vstrict) eval(c *Chunk, sel []int) (*vec, error) {
	vs := make([]*vec, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(c, sel)
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	out := newVec(vkindOf(n.t), len(sel))
	args := make([]types.Datum, len(vs))
	// A constant argument is boxed once.
	for i, v := range vs {
		if v.konst && !v.isNull(0) {
			args[i] = v.datum(0, n.argTypes[i])
		}
	}
rows:
	for j := range sel {
		for i, v := range vs {
			if v.isNull(j) {
				out.setNull(j, len(sel))
				continue rows
			}
			if !v.konst {
				args[i] = v.datum(j, n.argTypes[i])
				if s, ok := args[i].(string); ok && i > 0 {
					// Later arguments (patterns, formats) may be kept
					// in caches: they must not pin the chunk.
					args[i] = strings.Clone(s)
				}
			}
		}
		d, err := n.impl(args, n.t)
		if err != nil {
			return nil, err
		}
		if d == nil {
			out.setNull(j, len(sel))
			continue
		}
		if !out.put(j, d) {
			return nil, types.Errorf(types.CodeInternalError, "vectorized function returned %T for %s", d, n.t)
		}
	}
	return out, nil
}

// vdecArith is numeric + - * with the row path's arithmetic.
type vdecArith struct {
	op   string
	l, r vnode
	t    types.Type
}

func (n *vdecArith) eval(c *Chunk, sel []int) (*vec, error) {
	return strict2(c, sel, n.l, n.r, vkDec, func(out, l, r *vec, j, x, y int) error {
		d, err := decimalArith(n.op, l.d[x], r.d[y], n.t)
		if err != nil {
			return err
		}
		out.d[j] = d.(types.Decimal)
		return nil
	})
}

// vcast converts with the row path's casts; an integer to an
// unconstrained numeric needs no datum.
type vcast struct {
	arg      vnode
	from, to types.Type
}

func (n *vcast) eval(c *Chunk, sel []int) (*vec, error) {
	k := vkindOf(n.to)
	direct := n.to.Family == types.Numeric && n.to.Precision == 0 && n.from.IsInteger()
	return strict1(c, sel, n.arg, k, func(out, v *vec, j, x int) error {
		if direct {
			out.d[j] = types.DecimalFromInt(v.i[x])
			return nil
		}
		d, err := types.Cast(v.datum(j, n.from), n.from, n.to)
		if err != nil {
			return err
		}
		if d == nil {
			out.setNull(j, len(sel))
		} else if !out.put(j, d) {
			return types.Errorf(types.CodeInternalError, "vectorized cast returned %T for %s", d, n.to)
		}
		return nil
	})
}
