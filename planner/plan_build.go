package planner

import (
	"fmt"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// colInfo is what the planner knows about a column of the current edge.
type colInfo struct {
	window   *windowCol // set for window_start and window_end
	origin   int        // the session window's input column it copies (-1: none)
	wm       bool       // carries the source's event-time watermark
	proctime bool       // is proctime()
}

// windowCol records that a column carries a window bound.
type windowCol struct {
	kind    sql.WindowKind
	isStart bool
	size    int64 // window length; 0 for sessions
	// timed is set when the window runs on a watermark (event time with a
	// WATERMARK, or processing time), so windows close and state is purged.
	timed bool
}

type builder struct {
	plan  *Plan
	cols  []colInfo
	emits Emits
	key   []int // the current edge's key, when it is upsert
	// continuous is set for materialized views.
	continuous bool
	emit       sql.Emit
	windowed   bool // the plan has a window table function
	session    *SessionStep
	late       *LateSpec
	// topN maps ranking window functions filtered to their top rows to
	// the number of rows kept.
	topN map[*sql.Over]int64
}

func (b *builder) add(s Step, out Emits) {
	b.plan.Steps = append(b.plan.Steps, s)
	b.plan.Edges = append(b.plan.Edges, out)
	b.emits = out
	if out != Upsert {
		b.key = nil
	}
}

func plainCols(n int) []colInfo {
	out := make([]colInfo, n)
	for i := range out {
		out[i].origin = -1
	}
	return out
}

func (b *builder) build(r sql.Rel) error {
	switch n := r.(type) {
	case *sql.Scan:
		b.cols = plainCols(len(n.Relation.Columns))
		switch n.Relation.Kind {
		case sql.RelStream:
			b.emits = AppendOnly
			if wc := n.Relation.WatermarkCol; wc >= 0 {
				b.cols[wc].wm = true
			}
		case sql.RelTable:
			b.emits = Upsert
			b.key = append([]int(nil), n.Relation.PrimaryKey...)
		case sql.RelMaterializedView:
			// Read through the view's changelog.
			b.emits = Retracting
		default:
			if b.continuous {
				return types.Errorf(types.CodeFeatureNotSupported, "a materialized view cannot read %s \"%s\"", n.Relation.Kind, n.Relation.Name)
			}
		}
		b.plan.Source = n.Relation
		b.plan.SourceEmits = b.emits
	case *sql.Values:
		if b.continuous {
			if len(n.Cols) > 0 {
				return types.Errorf(types.CodeFeatureNotSupported, "a materialized view cannot read VALUES; put the rows in a table and read that")
			}
			return types.Errorf(types.CodeFeatureNotSupported, "a materialized view needs a FROM clause")
		}
		b.plan.Values = n
		b.cols = plainCols(len(n.Cols))
		b.emits = AppendOnly
	case *sql.Filter:
		if b.continuous {
			if ok, err := b.subqueryJoin(n); ok || err != nil {
				return err
			}
			if rel, conds, ok, err := scalarJoin(n.Input, []sql.Expr{n.Cond}); ok || err != nil {
				if err != nil {
					return err
				}
				// Filter the joined rows, then drop the scalars' columns.
				width := len(n.Input.Columns())
				return b.build(&sql.Project{Input: &sql.Filter{Input: rel, Cond: conds[0]}, Exprs: colRefs(columnTypes(rel.Columns()), allCols(width)), Cols: n.Input.Columns()})
			}
		}
		if j, ok := n.Input.(*sql.Join); ok && b.continuous && !j.Temporal && (j.Kind == sql.InnerJoin || j.Kind == sql.CrossJoin) {
			// WHERE over an inner join is part of its condition, where
			// equalities become keys and time bounds let state expire.
			merged := *j
			merged.Kind = sql.InnerJoin
			merged.On = n.Cond
			if j.On != nil {
				merged.On = and([]sql.Expr{j.On, n.Cond})
			}
			return b.join(&merged)
		}
		if over, limit, ok := rankLimit(n); ok && b.continuous {
			if b.topN == nil {
				b.topN = map[*sql.Over]int64{}
			}
			b.topN[over] = limit
		}
		if err := b.build(n.Input); err != nil {
			return err
		}
		key := b.key
		b.add(&FilterStep{Cond: n.Cond}, b.emits)
		b.key = key
	case *sql.Project:
		if b.continuous {
			if rel, exprs, ok, err := scalarJoin(n.Input, n.Exprs); ok || err != nil {
				if err != nil {
					return err
				}
				return b.build(&sql.Project{Input: rel, Exprs: exprs, Cols: n.Cols})
			}
		}
		if err := b.build(n.Input); err != nil {
			return err
		}
		return b.project(n)
	case *sql.Window:
		if err := b.build(n.Input); err != nil {
			return err
		}
		return b.window(n)
	case *sql.Aggregate:
		if err := b.build(n.Input); err != nil {
			return err
		}
		return b.aggregate(n)
	case *sql.Sort:
		if err := b.build(n.Input); err != nil {
			return err
		}
		key := b.key
		b.add(&SortStep{Keys: n.Keys}, b.emits)
		b.key = key
	case *sql.Join:
		return b.join(n)
	case *sql.SetOp:
		return b.setOp(n)
	case *sql.Over:
		if !b.continuous {
			return types.Errorf(types.CodeFeatureNotSupported, "window functions run on the batch engine")
		}
		return b.over(n)
	case *sql.Limit:
		if s, ok := n.Input.(*sql.Sort); ok && b.continuous && n.Count >= 0 {
			return b.topNLimit(n, s)
		}
		if err := b.build(n.Input); err != nil {
			return err
		}
		b.add(&LimitStep{Count: n.Count, Offset: n.Offset}, b.emits)
	default:
		return types.Errorf(types.CodeFeatureNotSupported, "query shape %T is not supported", r)
	}
	return nil
}

func (b *builder) project(n *sql.Project) error {
	next := plainCols(len(n.Exprs))
	identity := len(n.Exprs) == len(b.cols)
	for i, e := range n.Exprs {
		switch x := e.(type) {
		case *sql.ColRef:
			next[i] = b.cols[x.Idx]
			if x.Idx != i {
				identity = false
			}
		case *sql.Call:
			identity = false
			if x.Func == "proctime" {
				next[i].proctime = true
			}
		default:
			identity = false
		}
		if usesProcTime(e) {
			b.plan.ProcTime = true
		}
	}
	if identity {
		return nil
	}
	// The key survives when every key column is projected.
	var key []int
	if b.emits == Upsert {
		key, _ = projectedCols(b.key, n.Exprs)
	}
	out := b.emits
	if out == Upsert && key == nil && len(b.key) > 0 {
		out = Retracting
	}
	b.cols = next
	b.add(&ProjectStep{Exprs: n.Exprs}, out)
	if out == Upsert {
		b.key = key
	}
	return nil
}

// usesProcTime reports whether e calls proctime().
func usesProcTime(e sql.Expr) bool {
	found := false
	sql.WalkExpr(e, func(e sql.Expr) bool {
		if c, ok := e.(*sql.Call); ok && c.Func == "proctime" {
			found = true
		}
		return !found
	})
	return found
}

func (b *builder) window(n *sql.Window) error {
	if n.Size <= 0 || n.Kind == sql.Hop && (n.Slide <= 0 || n.Size%n.Slide != 0) {
		return types.Errorf(types.CodeInvalidParameterValue, "%s window sizes must be positive, and a HOP size a multiple of its slide", n.Kind)
	}
	tc := b.cols[n.TimeCol]
	timed := tc.wm || tc.proctime
	if tc.proctime {
		b.plan.ProcTimeWatermark = true
	}
	b.windowed = true
	base := len(b.cols)
	out := b.emits
	if out == Upsert {
		out = Retracting
	}
	size := n.Size
	switch n.Kind {
	case sql.Tumble:
		b.add(&TumbleStep{TimeCol: n.TimeCol, Size: n.Size, Offset: n.Offset}, out)
	case sql.Hop:
		b.add(&HopStep{TimeCol: n.TimeCol, Size: n.Size, Slide: n.Slide, Offset: n.Offset}, out)
	case sql.Session:
		if b.session != nil {
			return types.Errorf(types.CodeFeatureNotSupported, "a materialized view supports one SESSION window")
		}
		s := &SessionStep{TimeCol: n.TimeCol, Gap: n.Size, FindsLate: timed}
		b.session = s
		b.add(s, Retracting)
		size = 0
		for i := range b.cols {
			b.cols[i].origin = i
		}
		if timed {
			b.late = lateSpec(n.Input.Columns(), b.cols[:base])
		}
	default:
		return types.Errorf(types.CodeFeatureNotSupported, "%s windows are not supported", n.Kind)
	}
	b.cols = append(b.cols,
		colInfo{origin: -1, window: &windowCol{kind: n.Kind, isStart: true, size: size, timed: timed}},
		colInfo{origin: -1, window: &windowCol{kind: n.Kind, size: size, timed: timed}})
	return nil
}

// lateSpec lays out a late-rows stream for rows with the given columns:
// the view, the window missed, then the row's columns other than window
// bounds.
func lateSpec(cols []sql.Column, info []colInfo) *LateSpec {
	l := &LateSpec{Cols: []sql.Column{
		{Name: "view_name", Type: types.TText}, {Name: "window_start", Type: types.TTimestamp}, {Name: "window_end", Type: types.TTimestamp}}}
	used := map[string]bool{"view_name": true, "window_start": true, "window_end": true}
	for i, c := range cols {
		if info[i].window != nil || c.Hidden {
			continue
		}
		name := c.Name
		for k := 1; used[name]; k++ {
			name = fmt.Sprintf("%s_%d", c.Name, k)
		}
		used[name] = true
		l.Cols = append(l.Cols, sql.Column{Name: name, Type: c.Type})
		l.Row = append(l.Row, i)
	}
	return l
}

func (b *builder) aggregate(n *sql.Aggregate) error {
	a := &AggStep{Groups: append([]sql.Expr(nil), n.GroupBy...), Aggs: n.Aggs, WindowGroup: -1, AppendOnlyInput: b.emits == AppendOnly}
	var win *windowCol
	for i, g := range n.GroupBy {
		c, ok := g.(*sql.ColRef)
		if !ok || b.cols[c.Idx].window == nil || !b.cols[c.Idx].window.timed {
			continue
		}
		w := b.cols[c.Idx].window
		// Sessions are closed by their end: prefer window_end.
		if a.WindowGroup < 0 || w.kind == sql.Session && !w.isStart && win.isStart {
			a.WindowGroup, win = i, w
			a.WindowEndDelta, a.WindowSize = 0, w.size
			if w.isStart {
				a.WindowEndDelta = w.size
			}
		}
	}
	hidden := -1
	if win != nil && win.kind == sql.Session && win.isStart {
		// window_start alone does not tell when a session ends: group by
		// its window_end too (it is a function of the key and the start),
		// and project it away after.
		for i, ci := range b.cols {
			if ci.window != nil && ci.window.kind == sql.Session && !ci.window.isStart {
				hidden = len(a.Groups)
				a.Groups = append(a.Groups, &sql.ColRef{Idx: i, T: types.TTimestamp, Name: "window_end"})
				a.WindowGroup, a.WindowEndDelta = hidden, 0
				break
			}
		}
		if hidden < 0 {
			return types.Errorf(types.CodeFeatureNotSupported, "aggregating SESSION windows needs their window_end in scope")
		}
	}
	if b.session != nil {
		b.session.Keys = nil
		for _, g := range n.GroupBy {
			c, ok := g.(*sql.ColRef)
			if ok && b.cols[c.Idx].window != nil {
				continue
			}
			if !ok || b.cols[c.Idx].origin < 0 {
				return types.Errorf(types.CodeFeatureNotSupported, "GROUP BY over a SESSION window supports only window_start, window_end and columns of the windowed relation")
			}
			b.session.Keys = append(b.session.Keys, b.cols[c.Idx].origin)
		}
	}
	if a.WindowGroup >= 0 && b.session == nil {
		b.late = lateSpec(n.Input.Columns(), b.cols)
	}
	b.add(a, Upsert)
	b.key = make([]int, len(n.GroupBy))
	for i := range b.key {
		b.key[i] = i
	}
	next := plainCols(len(a.Groups) + len(n.Aggs))
	for i, g := range a.Groups {
		if c, ok := g.(*sql.ColRef); ok {
			next[i].window = b.cols[c.Idx].window
		}
	}
	b.cols = next
	if hidden >= 0 {
		var exprs []sql.Expr
		for i := range next {
			if i != hidden {
				exprs = append(exprs, &sql.ColRef{Idx: i, T: outType(a, i)})
			}
		}
		b.cols = append(append([]colInfo(nil), next[:hidden]...), next[hidden+1:]...)
		key := b.key
		b.add(&ProjectStep{Exprs: exprs}, Upsert)
		b.key = key
	}
	return nil
}

// outType is the type of an aggregation's output column i.
func outType(a *AggStep, i int) types.Type {
	if i < len(a.Groups) {
		return a.Groups[i].Type()
	}
	return a.Aggs[i-len(a.Groups)].Type
}

// projectedCols finds where a projection puts each of cols; false when
// one is not passed on as it is.
func projectedCols(cols []int, exprs []sql.Expr) ([]int, bool) {
	var out []int
	for _, c := range cols {
		found := -1
		for i, e := range exprs {
			if r, ok := e.(*sql.ColRef); ok && r.Idx == c {
				found = i
				break
			}
		}
		if found < 0 {
			return nil, false
		}
		out = append(out, found)
	}
	return out, true
}
