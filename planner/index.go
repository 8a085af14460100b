package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// chooseIndex replaces a filtered scan with an index scan when a conjunct
// constrains an index's leading column: equalities on a prefix of its
// columns, then at most one range on the next. The filter stays above, so
// the index only narrows what is read.
func chooseIndex(scan *sql.Scan, conds []sql.Expr) sql.Rel {
	var best *sql.IndexScan
	bestScore := 0
	for _, idx := range scan.Relation.Indexes {
		is := &sql.IndexScan{Relation: scan.Relation, Index: idx}
		score := 0
		for ci, col := range idx.Columns {
			if eq := constBound(conds, col, "="); eq != nil {
				is.Eq = append(is.Eq, eq)
				score += 2
				continue
			}
			if idx.Desc[ci] {
				break // ranges on descending columns are not used yet
			}
			for _, op := range []string{">", ">="} {
				if lo := constBound(conds, col, op); lo != nil && is.Lo == nil {
					is.Lo, is.LoIncl = lo, op == ">="
					score++
				}
			}
			for _, op := range []string{"<", "<="} {
				if hi := constBound(conds, col, op); hi != nil && is.Hi == nil {
					is.Hi, is.HiIncl = hi, op == "<="
					score++
				}
			}
			break
		}
		if score > bestScore {
			best, bestScore = is, score
		}
	}
	if best == nil {
		return scan
	}
	return best
}

// constBound finds `column op constant` (either way round) among conds and
// returns the constant, converted to the column's type.
func constBound(conds []sql.Expr, col int, op string) sql.Expr {
	flip := map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
	for _, c := range conds {
		call, ok := c.(*sql.Call)
		if !ok || len(call.Args) != 2 {
			continue
		}
		for side := 0; side < 2; side++ {
			want := op
			if side == 1 {
				want = flip[op]
			}
			if call.Func != want {
				continue
			}
			ref, other := call.Args[side], call.Args[1-side]
			t, ok := indexColumn(ref, col)
			if !ok || !isConstant(other) {
				continue
			}
			if other.Type() != t {
				// Only conversions that keep order and equality exact.
				if !(other.Type().IsInteger() && t.IsInteger()) {
					continue
				}
				other = &sql.Cast{E: other, T: t}
			}
			return other
		}
	}
	return nil
}

// indexColumn matches a reference to column col, allowing an integer
// widening cast around it.
func indexColumn(e sql.Expr, col int) (types.Type, bool) {
	switch x := e.(type) {
	case *sql.ColRef:
		return x.T, x.Idx == col
	case *sql.Cast:
		if c, ok := x.E.(*sql.ColRef); ok && c.Idx == col && c.T.IsInteger() && x.T.IsInteger() {
			return c.T, true
		}
	}
	return types.Type{}, false
}

func isConstant(e sql.Expr) bool {
	switch x := e.(type) {
	case *sql.Const, *sql.Param:
		return true
	case *sql.Cast:
		return isConstant(x.E)
	case *sql.Call:
		for _, a := range x.Args {
			if !isConstant(a) {
				return false
			}
		}
		return x.Func != "now" && x.Func != "proctime"
	}
	return false
}
