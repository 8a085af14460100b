package planner

import "github.com/weir-db/weir/sql"

// PushJoinFilters moves the conjuncts of a join's residual condition that
// read one side only below the join, as a filter on that side's input.
// The side then stores only rows that can match: q20 (bids joined with
// auctions of one category) stored every auction and tested the category
// against each bid it met; filtered first, four in five auctions are never
// stored, and the bids of those auctions meet no row.
//
// A conjunct stays in the join when it reads a side whose unmatched rows
// the join outputs (the preserved side of an outer join: the conjunct
// decides what matches, not which rows exist), when it reads the clock
// (it is evaluated when the join meets the pair), when it holds a
// subquery, and when it reads the table side of a lookup join, which
// reads the table directly. Which rows a side stores changes with it, so
// it is a fusion: views created before keep their plan.
func PushJoinFilters(root *Plan) {
	root.Walk(func(p *Plan) {
		if p.Join != nil && p.Join.Cond != nil {
			pushJoinFilters(p.Join)
		}
	})
}

func pushJoinFilters(j *JoinInput) {
	nl := len(j.Left.Cols)
	var kept []sql.Expr
	var pushed [2][]sql.Expr
	for _, c := range conjuncts(j.Cond) {
		lo, hi, opaque := colRange(c)
		side := -1
		switch {
		case opaque || lo < 0 || readsClock(c):
		case hi < nl:
			side = 0
		case lo >= nl:
			side = 1
		}
		if side < 0 || !j.filterable(side) {
			kept = append(kept, c)
			continue
		}
		if side == 1 {
			c = shift(c, -nl)
		}
		pushed[side] = append(pushed[side], c)
	}
	for side, in := range []*Plan{j.Left, j.Right} {
		if len(pushed[side]) == 0 {
			continue
		}
		at := len(in.Steps)
		if at > 0 {
			if _, ok := in.Steps[at-1].(*ExchangeStep); ok {
				at-- // filter before the rows move between tasks
			}
		}
		in.insert(at, &FilterStep{Cond: and(pushed[side])}, in.edgeBefore(at))
	}
	j.Cond = nil
	if len(kept) > 0 {
		j.Cond = and(kept)
	}
}

// filterable reports whether rows of side that fail a condition on that
// side alone can be dropped before the join.
func (j *JoinInput) filterable(side int) bool {
	switch {
	case j.Temporal && side == 1:
		return false
	case side == 0:
		return j.Kind == Inner || j.Kind == RightOuter
	default:
		return j.Kind == Inner || j.Kind == LeftOuter
	}
}

// readsClock reports whether e reads the time of day.
func readsClock(e sql.Expr) bool {
	found := false
	sql.WalkExpr(e, func(e sql.Expr) bool {
		if c, ok := e.(*sql.Call); ok {
			switch c.Func {
			case "now", "proctime", "current_timestamp", "localtimestamp", "current_date":
				found = true
			}
		}
		return !found
	})
	return found
}
