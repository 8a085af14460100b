package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// sub starts a builder for an input of a multi-input step.
func (b *builder) sub() *builder {
	return &builder{plan: &Plan{}, continuous: b.continuous, emit: b.emit, topN: b.topN}
}

// input builds r as a sub-plan and folds what it found into b.
func (b *builder) input(r sql.Rel) (*builder, error) {
	s := b.sub()
	if err := s.build(r); err != nil {
		return nil, err
	}
	s.plan.Cols = r.Columns()
	s.plan.Emits, s.plan.Key = s.emits, s.key
	b.windowed = b.windowed || s.windowed
	if b.late == nil {
		b.late = s.late
	}
	return s, nil
}

// timed reports whether a sub-plan delivers event-time watermarks.
func (p *Plan) timed() bool {
	for _, l := range p.Leaves() {
		if l.Source.Kind == sql.RelStream && l.Source.WatermarkCol >= 0 {
			return true
		}
	}
	return p.ProcTimeWatermark
}

// join plans a streaming join: equal columns become the hash key, time
// bounds between watermarked columns let each side's state expire, and
// the rest of ON stays a residual condition.
func (b *builder) join(n *sql.Join) error {
	if !b.continuous {
		return types.Errorf(types.CodeFeatureNotSupported, "joins run on the batch engine")
	}
	l, err := b.input(n.Left)
	if err != nil {
		return err
	}
	r, err := b.input(n.Right)
	if err != nil {
		return err
	}
	nl := len(l.cols)
	j := &JoinInput{Left: l.plan, Right: r.plan, Timed: [2]bool{l.plan.timed(), r.plan.timed()}, Temporal: n.Temporal}
	switch n.Kind {
	case sql.InnerJoin, sql.CrossJoin:
		j.Kind = Inner
	case sql.LeftJoin:
		j.Kind = LeftOuter
	case sql.RightJoin:
		j.Kind = RightOuter
	case sql.FullJoin:
		j.Kind = FullOuter
	}
	var rest []sql.Expr
	var on []sql.Expr
	if n.On != nil {
		on = conjuncts(n.On)
	}
	for _, c := range on {
		if lk, rk, ok := equiKey(c, l.plan.Cols, r.plan.Cols); ok {
			j.LeftKeys, j.RightKeys = append(j.LeftKeys, lk), append(j.RightKeys, rk)
			continue
		}
		rest = append(rest, c)
	}
	cols := append(append([]colInfo(nil), l.cols...), r.cols...)
	var bounds []bound
	for _, c := range rest {
		if x, ok := timeBound(c, nl); ok {
			bounds = append(bounds, x)
		}
	}
	// Equal time columns bound each other both ways (a window join on
	// window_start or window_end).
	for i, lk := range j.LeftKeys {
		rk := j.RightKeys[i] + nl
		if cols[lk].window != nil && cols[rk].window != nil || cols[lk].wm && cols[rk].wm {
			bounds = append(bounds, bound{lowerCol: lk, upperCol: rk, upperSide: 1}, bound{lowerCol: rk, upperCol: lk, upperSide: 0})
		}
	}
	local := func(i int) int {
		if i >= nl {
			return i - nl
		}
		return i
	}
	for _, x := range bounds {
		upper, lower := x.upperSide, 1-x.upperSide
		slack, ok := cols[x.lowerCol].watermarkSlack()
		if ok && j.Expire[upper] == nil && j.Timed[lower] {
			j.Expire[upper] = &Expiry{Col: local(x.upperCol), Delta: x.delta + slack, OtherCol: local(x.lowerCol), OtherSlack: slack}
		}
	}
	if len(rest) > 0 {
		j.Cond = and(rest)
	}
	if n.Temporal {
		if r.plan.Source == nil || r.plan.Source.Kind != sql.RelTable || len(r.plan.Steps) > 0 {
			return types.Errorf(types.CodeFeatureNotSupported, "FOR SYSTEM_TIME AS OF PROCTIME() joins a table directly")
		}
		if j.Kind != Inner && j.Kind != LeftOuter {
			return types.Errorf(types.CodeFeatureNotSupported, "a temporal join is an inner or LEFT join")
		}
		if len(j.LeftKeys) == 0 {
			return types.Errorf(types.CodeFeatureNotSupported, "a temporal join needs an equality condition on the table's columns")
		}
		j.Expire = [2]*Expiry{}
	}
	if len(j.LeftKeys) == 0 && !n.Temporal && (j.Expire[0] == nil || j.Expire[1] == nil) && !singleRow(n.Right) {
		return types.Errorf(types.CodeFeatureNotSupported,
			"a join without an equality condition would keep every row of both inputs forever; add an equality, or bound both sides' time columns (for example b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' HOUR on watermarked columns)")
	}
	j.AppendOnly = [2]bool{l.emits == AppendOnly, r.emits == AppendOnly}
	for side, in := range []*builder{l, r} {
		if in.emits == Upsert && len(in.key) > 0 {
			j.Keyed[side] = append([]int(nil), in.key...)
		}
	}
	b.plan.Join = j
	b.cols = cols
	b.emits, b.key = Retracting, nil
	appendOnly := l.emits == AppendOnly && r.emits == AppendOnly
	switch {
	case n.Temporal && l.emits == AppendOnly:
		b.emits = AppendOnly
	case j.Kind == Inner && appendOnly:
		b.emits = AppendOnly
	}
	b.plan.SourceEmits = b.emits
	return nil
}

// watermarkSlack reports whether every future row of the edge has this
// column plus slack at or above the edge's watermark: the source's
// event-time column (slack 0), the window_end of a window that closes on
// the watermark (0), or its window_start (the window's size; unknown for
// sessions).
func (c colInfo) watermarkSlack() (int64, bool) {
	switch {
	case c.wm:
		return 0, true
	case c.window == nil || !c.window.timed:
		return 0, false
	case !c.window.isStart:
		return 0, true
	case c.window.size > 0:
		return c.window.size, true
	}
	return 0, false
}

// equiKey recognizes left.col = right.col with types whose key encodings
// agree.
func equiKey(e sql.Expr, lc, rc []sql.Column) (int, int, bool) {
	c, ok := e.(*sql.Call)
	if !ok || c.Func != "=" || len(c.Args) != 2 {
		return 0, 0, false
	}
	a, ok1 := c.Args[0].(*sql.ColRef)
	z, ok2 := c.Args[1].(*sql.ColRef)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	nl := len(lc)
	if a.Idx >= nl {
		a, z = z, a
	}
	if a.Idx >= nl || z.Idx < nl {
		return 0, 0, false
	}
	if !sameKeyEncoding(a.T, z.T) {
		return 0, 0, false
	}
	return a.Idx, z.Idx - nl, true
}

func sameKeyEncoding(a, b types.Type) bool {
	switch {
	case a.IsInteger() && b.IsInteger(), a.IsString() && b.IsString():
		return true
	case a.Family == types.Numeric:
		return b.Family == types.Numeric && a.Scale == b.Scale
	}
	return a.Family == b.Family
}

// bound is lower <= upper + delta between columns of the two sides.
type bound struct {
	lowerCol, upperCol int
	upperSide          int // 0: the upper column is the left input's
	delta              int64
}

// timeBound recognizes a comparison between a time column of each side,
// each optionally plus or minus a fixed interval.
func timeBound(e sql.Expr, nl int) (bound, bool) {
	c, ok := e.(*sql.Call)
	if !ok || len(c.Args) != 2 {
		return bound{}, false
	}
	lo, hi := c.Args[0], c.Args[1]
	switch c.Func {
	case "<", "<=":
	case ">", ">=":
		lo, hi = hi, lo
	default:
		return bound{}, false
	}
	lc, ld, ok1 := shiftedCol(lo)
	hc, hd, ok2 := shiftedCol(hi)
	if !ok1 || !ok2 || (lc < nl) == (hc < nl) {
		return bound{}, false
	}
	side := 0
	if hc >= nl {
		side = 1
	}
	// lc + ld <= hc + hd  ⇔  lc <= hc + (hd - ld)
	return bound{lowerCol: lc, upperCol: hc, upperSide: side, delta: hd - ld}, true
}

// shiftedCol reads col, col + interval or col - interval over a timestamp.
func shiftedCol(e sql.Expr) (int, int64, bool) {
	switch x := e.(type) {
	case *sql.ColRef:
		return x.Idx, 0, x.T.IsTime()
	case *sql.Call:
		if (x.Func != "+" && x.Func != "-") || len(x.Args) != 2 {
			return 0, 0, false
		}
		col, ok := x.Args[0].(*sql.ColRef)
		k, ok2 := x.Args[1].(*sql.Const)
		if !ok || !ok2 || !col.T.IsTime() {
			return 0, 0, false
		}
		iv, ok := k.Value.(types.DInterval)
		if !ok || iv.Months != 0 {
			return 0, 0, false
		}
		d := iv.FixedMicros()
		if x.Func == "-" {
			d = -d
		}
		return col.Idx, d, true
	}
	return 0, 0, false
}

// setOp plans UNION [ALL]: the inputs' rows interleaved, then for UNION a
// grouping on every column.
func (b *builder) setOp(n *sql.SetOp) error {
	if !b.continuous {
		return types.Errorf(types.CodeFeatureNotSupported, "set operations run on the batch engine")
	}
	if n.Kind != sql.Union {
		return types.Errorf(types.CodeFeatureNotSupported, "%s in a materialized view is not supported yet; UNION and UNION ALL are", n.Kind)
	}
	var inputs []*builder
	for _, r := range []sql.Rel{n.Left, n.Right} {
		s, err := b.input(r)
		if err != nil {
			return err
		}
		// Cast to the result's types where an input differs.
		var casts []sql.Expr
		differs := false
		for i, c := range s.plan.Cols {
			var x sql.Expr = &sql.ColRef{Idx: i, T: c.Type, Name: c.Name}
			if c.Type != n.Cols[i].Type {
				x, differs = &sql.Cast{E: x, T: n.Cols[i].Type}, true
			}
			casts = append(casts, x)
		}
		if differs {
			s.add(&ProjectStep{Exprs: casts}, s.emits)
			s.plan.Emits = s.emits
		}
		inputs = append(inputs, s)
	}
	b.cols = plainCols(len(n.Cols))
	b.emits = AppendOnly
	for _, s := range inputs {
		b.plan.Union = append(b.plan.Union, s.plan)
		if s.emits != AppendOnly {
			b.emits = Retracting
		}
	}
	for i := range b.cols {
		b.cols[i].wm = inputs[0].cols[i].wm && inputs[1].cols[i].wm
	}
	b.key = nil
	b.plan.SourceEmits = b.emits
	if n.All {
		return nil
	}
	agg := &sql.Aggregate{Input: n, Cols: n.Cols}
	for i, c := range n.Cols {
		agg.GroupBy = append(agg.GroupBy, &sql.ColRef{Idx: i, T: c.Type, Name: c.Name})
	}
	return b.aggregate(agg)
}
