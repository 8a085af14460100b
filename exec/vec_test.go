package exec

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestVecMatchesRowPath checks the kernels against the row path: random
// expressions (comparisons, AND/OR/NOT with NULLs, integer arithmetic with
// overflow, CASE, string functions, the generic strict call) over random
// chunks give the same values, NULLs included, and fail together; a
// filter keeps the same rows. Guarded failures (CASE WHEN x <> 0 THEN
// 1 % x) must not fail, as the row path's laziness promises.
func TestVecMatchesRowPath(t *testing.T) {
	ts := []types.Type{types.TInt8, types.TInt4, types.TText, types.TBool, types.TTimestamp, types.Type{Family: types.Varchar, Width: 20},
		types.TNumeric, {Family: types.Numeric, Precision: 12, Scale: 2}}
	for seed := int64(0); seed < 1000; seed++ {
		rng := rand.New(rand.NewSource(seed))
		c := randomVecChunk(rng, ts, 1+rng.Intn(40))
		g := &exprGen{rng: rng, ts: ts}
		kind := []vkind{vkBool, vkInt, vkStr, vkDec}[rng.Intn(4)]
		e := g.gen(kind, 4)
		n, ok := compileVec(e)
		if !ok {
			t.Fatalf("seed %d: no kernels for %s", seed, describe(e))
		}
		want, werr := Eval(e, c)
		v, gerr := n.eval(c, allRows(c))
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("seed %d: %s: row path error %v, kernels %v", seed, describe(e), werr, gerr)
		}
		if werr != nil {
			continue
		}
		got := vecArray(v, e.Type(), c.Len())
		for i := 0; i < c.Len(); i++ {
			w, g := types.GetDatum(want, e.Type(), i), types.GetDatum(got, e.Type(), i)
			if fmt.Sprint(w) != fmt.Sprint(g) {
				t.Fatalf("seed %d: %s row %d: row path %v, kernels %v", seed, describe(e), i, w, g)
			}
		}
		if kind == vkBool {
			f := &Filter{Cond: e}
			out, err := f.Process(Message{Chunk: c})
			if err != nil {
				t.Fatal(err)
			}
			kept := 0
			for _, m := range out {
				kept += m.Chunk.Len()
			}
			wantKept := 0
			for i := 0; i < c.Len(); i++ {
				if types.GetDatum(want, e.Type(), i) == true {
					wantKept++
				}
			}
			if kept != wantKept {
				t.Fatalf("seed %d: filter %s kept %d rows, want %d", seed, describe(e), kept, wantKept)
			}
		}
	}
	// A guarded division by zero does not fail.
	c := randomVecChunk(rand.New(rand.NewSource(1)), ts, 50)
	x := &ColRef{Idx: 0, T: types.TInt8}
	guard := &Case{Conds: []Expr{&Call{Func: "<>", Args: []Expr{x, &Const{V: int64(0), T: types.TInt8}}, T: types.TBool}},
		Thens: []Expr{&Call{Func: "%", Args: []Expr{&Const{V: int64(7), T: types.TInt8}, x}, T: types.TInt8}}, T: types.TInt8}
	and := &Call{Func: "and", Args: []Expr{&Call{Func: "<>", Args: []Expr{x, &Const{V: int64(0), T: types.TInt8}}, T: types.TBool},
		&Call{Func: "=", Args: []Expr{&Call{Func: "%", Args: []Expr{&Const{V: int64(7), T: types.TInt8}, x}, T: types.TInt8}, &Const{V: int64(1), T: types.TInt8}}, T: types.TBool}}, T: types.TBool}
	for _, e := range []Expr{guard, and} {
		n, ok := compileVec(e)
		if !ok {
			t.Fatalf("no kernels for %s", describe(e))
		}
		if _, err := n.eval(c, allRows(c)); err != nil {
			t.Fatalf("%s: %v", describe(e), err)
		}
	}
}

func randomVecChunk(rng *rand.Rand, ts []types.Type, n int) *Chunk {
	cb := NewChunkBuilder(ts)
	words := []string{"", "a/b/c", "Apple", "GOOGLE", "x/y", "channel-1", "ÄÖ/ü", "//", "a"}
	for i := 0; i < n; i++ {
		row := make([]types.Datum, len(ts))
		for j, t := range ts {
			if rng.Intn(6) == 0 {
				continue // NULL
			}
			switch t.Family {
			case types.Int8:
				row[j] = []int64{0, 1, -1, 7, 100, math.MaxInt64, math.MinInt64, 1 << 40}[rng.Intn(8)]
			case types.Int4:
				row[j] = []int64{0, 2, -3, math.MaxInt32, math.MinInt32}[rng.Intn(5)]
			case types.Text, types.Varchar:
				row[j] = words[rng.Intn(len(words))]
			case types.Bool:
				row[j] = rng.Intn(2) == 0
			case types.Timestamp:
				row[j] = types.DTimestamp(rng.Int63n(4)*1_000_000 + rng.Int63n(3)*3_600_000_000)
			case types.Numeric:
				d, _ := types.ParseDecimal([]string{"0", "1.5", "-2.25", "1000000.00", "0.908", "12345678.9"}[rng.Intn(6)])
				if t.Precision > 0 {
					d = d.Rescale(t.Scale)
				}
				row[j] = d
			}
		}
		cb.Append(Insert, row)
	}
	return cb.Build()
}

type exprGen struct {
	rng *rand.Rand
	ts  []types.Type
}

func (g *exprGen) col(fams ...types.Family) Expr {
	var idx []int
	for i, t := range g.ts {
		for _, f := range fams {
			if t.Family == f {
				idx = append(idx, i)
			}
		}
	}
	i := idx[g.rng.Intn(len(idx))]
	return &ColRef{Idx: i, T: g.ts[i]}
}

func (g *exprGen) gen(k vkind, depth int) Expr {
	r := g.rng.Intn(10)
	if depth == 0 {
		r = 0
	}
	b := func(fn string, args ...Expr) Expr { return &Call{Func: fn, Args: args, T: types.TBool} }
	switch k {
	case vkBool:
		switch {
		case r < 2:
			if g.rng.Intn(4) == 0 {
				return &Const{V: []types.Datum{true, false, nil}[g.rng.Intn(3)], T: types.TBool}
			}
			return g.col(types.Bool)
		case r < 5:
			op := []string{"=", "<>", "<", "<=", ">", ">="}[g.rng.Intn(6)]
			switch g.rng.Intn(4) {
			case 0:
				return b(op, g.gen(vkInt, depth-1), g.intOf(types.TInt8, depth-1))
			case 1:
				return b(op, g.gen(vkStr, depth-1), g.gen(vkStr, depth-1))
			case 2:
				if g.rng.Intn(2) == 0 {
					return b(op, g.decOf(depth-1), g.decOf(depth-1))
				}
				return b(op, g.col(types.Timestamp), &Const{V: types.DTimestamp(2_000_000), T: types.TTimestamp})
			}
			return b(op, g.gen(vkBool, depth-1), g.gen(vkBool, depth-1))
		case r < 7:
			fn := []string{"and", "or"}[g.rng.Intn(2)]
			args := []Expr{g.gen(vkBool, depth-1), g.gen(vkBool, depth-1)}
			if g.rng.Intn(2) == 0 {
				args = append(args, g.gen(vkBool, depth-1))
			}
			return b(fn, args...)
		case r < 8:
			return b("not", g.gen(vkBool, depth-1))
		case r < 9:
			return b([]string{"is_null", "is_not_null"}[g.rng.Intn(2)], g.gen([]vkind{vkBool, vkInt, vkStr}[g.rng.Intn(3)], depth-1))
		}
		return g.caseOf(vkBool, types.TBool, depth)
	case vkInt:
		return g.intOf(types.TInt8, depth)
	case vkDec:
		return g.decOf(depth)
	}
	switch {
	case r < 3:
		if g.rng.Intn(4) == 0 {
			return &Const{V: []types.Datum{"a/b", "Apple", nil}[g.rng.Intn(3)], T: types.TText}
		}
		return g.col(types.Text)
	case r < 5:
		return &Call{Func: []string{"lower", "upper"}[g.rng.Intn(2)], Args: []Expr{g.gen(vkStr, depth-1)}, T: types.TText}
	case r < 7:
		sep := Expr(&Const{V: []types.Datum{"/", "/", "", nil}[g.rng.Intn(4)], T: types.TText})
		if g.rng.Intn(4) == 0 {
			sep = g.gen(vkStr, depth-1)
		}
		n := []types.Datum{int64(1), int64(2), int64(-1), int64(0), int64(3), nil}[g.rng.Intn(6)]
		return &Call{Func: "split_part", Args: []Expr{g.gen(vkStr, depth-1), sep, &Const{V: n, T: types.TInt8}}, T: types.TText}
	case r < 8 && g.rng.Intn(2) == 0:
		return &Cast{E: g.intOf(types.TInt8, depth-1), T: types.TText}
	case r < 8:
		return &Call{Func: "replace", Args: []Expr{g.gen(vkStr, depth-1), g.gen(vkStr, depth-1), &Const{V: "-", T: types.TText}}, T: types.TText}
	}
	return g.caseOf(vkStr, types.TText, depth)
}

// intOf generates an integer expression of type t (int8 or int4).
func (g *exprGen) intOf(t types.Type, depth int) Expr {
	r := g.rng.Intn(10)
	if depth == 0 {
		r = 0
	}
	switch {
	case r < 3:
		if g.rng.Intn(3) == 0 {
			return &Const{V: []types.Datum{int64(0), int64(3), int64(-2), nil}[g.rng.Intn(4)], T: t}
		}
		if t.Family == types.Int4 {
			return g.col(types.Int4)
		}
		return g.col(types.Int8)
	case r < 7:
		op := []string{"+", "-", "*", "%"}[g.rng.Intn(4)]
		return &Call{Func: op, Args: []Expr{g.intOf(t, depth-1), g.intOf(t, depth-1)}, T: t}
	case r < 8 && t.Family == types.Int8:
		return &Call{Func: "length", Args: []Expr{g.gen(vkStr, depth-1)}, T: types.TInt8}
	case r < 9 && t.Family == types.Int8:
		return &Call{Func: "strpos", Args: []Expr{g.gen(vkStr, depth-1), g.gen(vkStr, depth-1)}, T: types.TInt8}
	case r < 9:
		return g.intOf(types.TInt4, depth-1)
	}
	return g.caseOf(vkInt, t, depth)
}

// decOf generates an unconstrained numeric expression.
func (g *exprGen) decOf(depth int) Expr {
	r := g.rng.Intn(10)
	if depth == 0 {
		r = 0
	}
	switch {
	case r < 2:
		if g.rng.Intn(3) == 0 {
			d, _ := types.ParseDecimal([]string{"0.908", "1000000", "5"}[g.rng.Intn(3)])
			return &Const{V: d, T: types.TNumeric}
		}
		return g.col(types.Numeric)
	case r < 4:
		return &Cast{E: g.intOf(types.TInt8, depth-1), T: types.TNumeric}
	case r < 7:
		op := []string{"+", "-", "*"}[g.rng.Intn(3)]
		return &Call{Func: op, Args: []Expr{g.decOf(depth - 1), g.decOf(depth - 1)}, T: types.TNumeric}
	case r < 8:
		return &Call{Func: "extract", Args: []Expr{&Const{V: "hour", T: types.TText}, g.col(types.Timestamp)}, T: types.NumericOf(0)}
	case r < 9:
		return &Cast{E: &Const{V: []string{"2.5", "x"}[g.rng.Intn(2)], T: types.TText}, T: types.TNumeric}
	}
	return g.caseOf(vkDec, types.TNumeric, depth)
}

func (g *exprGen) caseOf(k vkind, t types.Type, depth int) Expr {
	c := &Case{T: t}
	for n := 1 + g.rng.Intn(3); n > 0; n-- {
		c.Conds = append(c.Conds, g.gen(vkBool, depth-1))
		if k == vkInt {
			c.Thens = append(c.Thens, g.intOf(t, depth-1))
		} else if k == vkDec {
			c.Thens = append(c.Thens, g.decOf(depth-1))
		} else {
			c.Thens = append(c.Thens, g.gen(k, depth-1))
		}
	}
	if g.rng.Intn(2) == 0 {
		if k == vkInt {
			c.Else = g.intOf(t, depth-1)
		} else if k == vkDec {
			c.Else = g.decOf(depth - 1)
		} else {
			c.Else = g.gen(k, depth-1)
		}
	}
	return c
}

func describe(e Expr) string {
	switch x := e.(type) {
	case *ColRef:
		return fmt.Sprintf("$%d", x.Idx)
	case *Const:
		return fmt.Sprintf("%#v", x.V)
	case *Call:
		s := x.Func + "("
		for i, a := range x.Args {
			if i > 0 {
				s += ", "
			}
			s += describe(a)
		}
		return s + ")"
	case *Case:
		s := "CASE"
		for i := range x.Conds {
			s += " WHEN " + describe(x.Conds[i]) + " THEN " + describe(x.Thens[i])
		}
		if x.Else != nil {
			s += " ELSE " + describe(x.Else)
		}
		return s + " END"
	}
	return fmt.Sprintf("%T", e)
}
