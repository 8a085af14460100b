package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// ExchangeStep repartitions rows across a view's parallel tasks by the
// hash of Keys, so that every row a stateful operator must see together
// reaches the same task. No keys sends every row to one task. It marks a
// fragment boundary: the steps between two exchanges run as one task per
// partition.
type ExchangeStep struct {
	Keys []sql.Expr
}

func (*ExchangeStep) step() {}

// distribution is how an edge's rows are spread over tasks: by the hash
// of some columns (a row's task is a function of those columns), all in
// one task (single), or arbitrarily (known false, as a source split
// evenly).
type distribution struct {
	known  bool
	single bool
	cols   []int
}

// satisfies reports whether rows equal on keys are already in one task.
func (d distribution) satisfies(keys []int, keyed bool) bool {
	if !d.known {
		return false
	}
	if d.single {
		return true
	}
	if !keyed || len(d.cols) == 0 {
		return false
	}
	for _, c := range d.cols {
		found := false
		for _, k := range keys {
			found = found || k == c
		}
		if !found {
			return false
		}
	}
	return true
}

// placeExchanges inserts the exchanges a parallel run of the plan needs:
// before each stateful operator whose key the rows are not already
// partitioned by, on each join input, and before the view's rows are
// written when they can be retracted (equal rows must meet in one task).
func placeExchanges(p *Plan) {
	d, ts := placeIn(p, sourceTypes(p))
	// Append-only rows are stored each under a key of its own, so equal
	// rows need not meet. An upsert output's rows are stored by its key,
	// so all changes under one key must meet.
	if p.Emits == Upsert && !d.satisfies(p.Key, len(p.Key) > 0) {
		p.insert(len(p.Steps), &ExchangeStep{Keys: named(colRefs(ts, p.Key), p.Cols)}, p.Emits)
		return
	}
	if !d.known && p.Emits != AppendOnly {
		p.insert(len(p.Steps), &ExchangeStep{Keys: named(colRefs(ts, allCols(len(ts))), p.Cols)}, p.Emits)
	}
}

func sourceTypes(p *Plan) []types.Type {
	switch {
	case p.Source != nil:
		return columnTypes(p.Source.Columns)
	case p.Values != nil:
		return columnTypes(p.Values.Cols)
	}
	return nil
}

// placeIn places exchanges in q and its inputs and returns the output
// distribution and column types.
func placeIn(q *Plan, ts []types.Type) (distribution, []types.Type) {
	var d distribution
	switch {
	case q.Source != nil && q.Source.Kind == sql.RelTable:
		// The runtime spreads a table's changes by their primary key.
		d = distribution{known: true, cols: append([]int(nil), q.Source.PrimaryKey...)}
	case q.Join != nil:
		j := q.Join
		var sideTypes [2][]types.Type
		for side, in := range []*Plan{j.Left, j.Right} {
			keys := j.LeftKeys
			if side == 1 {
				keys = j.RightKeys
			}
			id, its := placeIn(in, sourceTypes(in))
			sideTypes[side] = its
			if !id.satisfies(keys, len(keys) > 0) {
				in.insert(len(in.Steps), &ExchangeStep{Keys: named(colRefs(its, keys), in.Cols)}, in.Emits)
			}
		}
		d = distribution{known: true, cols: append([]int(nil), j.LeftKeys...), single: len(j.LeftKeys) == 0}
		ts = append([]types.Type(nil), sideTypes[0]...)
		if j.Kind != Semi && j.Kind != Anti {
			ts = append(ts, sideTypes[1]...)
		}
	case q.Union != nil:
		for _, u := range q.Union {
			_, ts = placeIn(u, sourceTypes(u))
		}
	}
	for i := 0; i < len(q.Steps); i++ {
		switch s := q.Steps[i].(type) {
		case *ProjectStep:
			next := distribution{known: d.known, single: d.single}
			if !d.single && len(d.cols) == 0 {
				// Spread by a function of columns the projection may drop.
				next = distribution{}
			}
			if cols, ok := projectedCols(d.cols, s.Exprs); ok {
				next.cols = cols
			} else {
				next = distribution{}
			}
			d = next
			ts = exprTypes(s.Exprs)
		case *TumbleStep, *HopStep:
			ts = append(ts, types.TTimestamp, types.TTimestamp)
		case *SessionStep:
			if q.exchangeFor(&i, d, ts, s.Keys, true) {
				d = distribution{known: true, cols: s.Keys, single: len(s.Keys) == 0}
			}
			ts = append(ts, types.TTimestamp, types.TTimestamp)
		case *AggStep:
			cols, keyed := exprCols(s.Groups)
			if !d.satisfies(cols, keyed) {
				q.insert(i, &ExchangeStep{Keys: s.Groups}, q.edgeBefore(i))
				i++
				// The output holds the groups first.
				d = distribution{known: true, single: len(s.Groups) == 0, cols: allCols(len(s.Groups))}
			} else {
				// The rows stay spread by whichever group columns spread them.
				next := distribution{known: true, single: d.single}
				for _, c := range d.cols {
					for g, gc := range cols {
						if gc == c {
							next.cols = append(next.cols, g)
							break
						}
					}
				}
				d = next
			}
			ts = exprTypes(s.Groups)
			for _, a := range s.Aggs {
				ts = append(ts, a.Type)
			}
		case *TopNStep:
			cols, keyed := exprCols(s.Partition)
			if !d.satisfies(cols, keyed) {
				q.insert(i, &ExchangeStep{Keys: s.Partition}, q.edgeBefore(i))
				i++
				d = distribution{known: true, single: len(s.Partition) == 0, cols: cols}
			}
			if s.Func != "" {
				ts = append(ts, types.TInt8)
			}
		}
	}
	return d, ts
}

// exchangeFor inserts an exchange by column keys before step i unless d
// satisfies them, and reports whether it did.
func (q *Plan) exchangeFor(i *int, d distribution, ts []types.Type, keys []int, keyed bool) bool {
	if d.satisfies(keys, keyed) {
		return false
	}
	q.insert(*i, &ExchangeStep{Keys: colRefs(ts, keys)}, q.edgeBefore(*i))
	*i++
	return true
}

// edgeBefore is what step i receives.
func (q *Plan) edgeBefore(i int) Emits {
	if i == 0 {
		return q.SourceEmits
	}
	return q.Edges[i-1]
}

// insert puts s at position i, emitting what it receives.
func (q *Plan) insert(i int, s Step, out Emits) {
	q.Steps = append(q.Steps[:i], append([]Step{s}, q.Steps[i:]...)...)
	q.Edges = append(q.Edges[:i], append([]Emits{out}, q.Edges[i:]...)...)
}

func exprCols(es []sql.Expr) ([]int, bool) {
	var out []int
	for _, e := range es {
		c, ok := e.(*sql.ColRef)
		if !ok {
			return nil, false
		}
		out = append(out, c.Idx)
	}
	return out, true
}

func exprTypes(es []sql.Expr) []types.Type {
	out := make([]types.Type, len(es))
	for i, e := range es {
		out[i] = e.Type()
	}
	return out
}

func colRefs(ts []types.Type, cols []int) []sql.Expr {
	out := make([]sql.Expr, len(cols))
	for i, c := range cols {
		out[i] = &sql.ColRef{Idx: c, T: ts[c]}
	}
	return out
}

func allCols(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// named gives column references the names of cols.
func named(es []sql.Expr, cols []sql.Column) []sql.Expr {
	for _, e := range es {
		if c, ok := e.(*sql.ColRef); ok && c.Idx < len(cols) {
			c.Name = cols[c.Idx].Name
		}
	}
	return es
}
