package engine

import (
	"context"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
)

// batchBuilder turns a bound query into batch operators for an
// interactive statement.
type batchBuilder struct {
	// sessions holds, per SESSION window, the grouping keys sessions are
	// kept per (found from the aggregation above it).
	sessions map[*sql.Window]sessionKeys
	e        *Engine
	ctx      context.Context
	env      *evalEnv
	stack    *exec.OuterRows
	// limits holds scans under a LIMIT with nothing between that drops
	// rows: they may stop after that many.
	limits map[*sql.Scan]int64
}

type sessionKeys struct {
	cols  []int
	types []types.Type
}

func (e *Engine) newBatchBuilder(ctx context.Context, env *evalEnv) *batchBuilder {
	return &batchBuilder{e: e, ctx: ctx, env: env, stack: &exec.OuterRows{}}
}

// run evaluates a query to rows.
func (b *batchBuilder) run(q *sql.Query) ([][]types.Datum, error) {
	op, err := b.build(planner.OptimizeBatch(q.Rel))
	if err != nil {
		return nil, err
	}
	return op.Rows()
}

func (b *batchBuilder) expr(e sql.Expr) (exec.Expr, error) { return compileExprBatch(e, b) }

func (b *batchBuilder) exprs(es []sql.Expr) ([]exec.Expr, error) {
	out := make([]exec.Expr, len(es))
	for i, e := range es {
		c, err := b.expr(e)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func (b *batchBuilder) build(r sql.Rel) (exec.BatchOp, error) {
	switch n := r.(type) {
	case *sql.Scan:
		rel := n.Relation
		if rel.Kind == sql.RelSystem {
			t, ok := lookupSystemTable(rel.Name)
			if !ok {
				return nil, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", rel.Name)
			}
			user := "weir"
			if b.env != nil && b.env.user != "" {
				user = b.env.user
			}
			return &exec.BatchSource{Fn: func() ([][]types.Datum, error) { return b.e.systemRows(t, user) }}, nil
		}
		ctx := b.ctx
		if lim, ok := b.limits[n]; ok {
			ctx = context.WithValue(ctx, rowLimitKey{}, lim)
		}
		return &exec.BatchSource{Fn: func() ([][]types.Datum, error) { return b.e.relationRows(ctx, rel) }}, nil
	case *sql.TableFunc:
		args, err := b.exprs(n.Args)
		if err != nil {
			return nil, err
		}
		return &exec.BatchSource{Fn: func() ([][]types.Datum, error) { return tableFuncRows(n.Func, args) }}, nil
	case *sql.IndexScan:
		return &exec.BatchSource{Fn: func() ([][]types.Datum, error) { return b.e.indexScanRows(b.ctx, n, b) }}, nil
	case *sql.Values:
		rows := n.Rows
		width := len(n.Cols)
		compiled := make([][]exec.Expr, len(rows))
		for i, r := range rows {
			c, err := b.exprs(r)
			if err != nil {
				return nil, err
			}
			compiled[i] = c
		}
		return &exec.BatchSource{Fn: func() ([][]types.Datum, error) {
			out := make([][]types.Datum, len(compiled))
			for i, r := range compiled {
				row := make([]types.Datum, width)
				for j, x := range r {
					v, err := x.EvalRow(nil)
					if err != nil {
						return nil, err
					}
					row[j] = v
				}
				out[i] = row
			}
			return out, nil
		}}, nil
	case *sql.Filter:
		in, err := b.build(n.Input)
		if err != nil {
			return nil, err
		}
		c, err := b.expr(n.Cond)
		if err != nil {
			return nil, err
		}
		return &exec.BatchFilter{Input: in, Cond: c}, nil
	case *sql.Project:
		in, err := b.build(n.Input)
		if err != nil {
			return nil, err
		}
		es, err := b.exprs(n.Exprs)
		if err != nil {
			return nil, err
		}
		return &exec.BatchProject{Input: in, Exprs: es}, nil
	case *sql.ProjectSet:
		// The planner does not know ProjectSet: optimize below it here.
		in, err := b.build(planner.OptimizeBatch(n.Input))
		if err != nil {
			return nil, err
		}
		ps := &exec.BatchProjectSet{Input: in}
		for _, f := range n.Funcs {
			args, err := b.exprs(f.Args)
			if err != nil {
				return nil, err
			}
			ps.Funcs = append(ps.Funcs, &exec.SetFunc{Name: f.Func, Args: args, T: f.T})
		}
		return ps, nil
	case *sql.Window:
		in, err := b.build(n.Input)
		if err != nil {
			return nil, err
		}
		if n.Kind == sql.Session {
			k := b.sessions[n] // no aggregation above: one global set of sessions
			return &exec.BatchSessionWindow{Input: in, TimeCol: n.TimeCol, Gap: n.Size, Keys: k.cols, KeyTypes: k.types}, nil
		}
		return &exec.BatchWindowTVF{Input: in, TimeCol: n.TimeCol, Size: n.Size, Slide: n.Slide, Offset: n.Offset}, nil
	case *sql.Aggregate:
		w, keys, kts, err := planner.SessionKeys(n)
		if err != nil {
			return nil, err
		}
		if w != nil {
			if b.sessions == nil {
				b.sessions = map[*sql.Window]sessionKeys{}
			}
			b.sessions[w] = sessionKeys{cols: keys, types: kts}
		}
		in, err := b.build(n.Input)
		if err != nil {
			return nil, err
		}
		groups, err := b.exprs(n.GroupBy)
		if err != nil {
			return nil, err
		}
		agg := &exec.BatchAgg{Input: in, Groups: groups}
		for _, a := range n.Aggs {
			spec := exec.AggSpec{Func: a.Func, Distinct: a.Distinct, T: a.Type}
			if len(a.Args) > 0 {
				if spec.Arg, err = b.expr(a.Args[0]); err != nil {
					return nil, err
				}
			}
			if len(a.Args) > 1 {
				if c, ok := a.Args[1].(*sql.Const); ok {
					spec.Delim = c.Value
				}
			}
			if a.Filter != nil {
				if spec.Filter, err = b.expr(a.Filter); err != nil {
					return nil, err
				}
			}
			for _, o := range a.Order {
				k := exec.OrderKey{Desc: o.Desc, NullsFirst: o.NullsFirst}
				if k.E, err = b.expr(o.E); err != nil {
					return nil, err
				}
				spec.Order = append(spec.Order, k)
			}
			agg.Aggs = append(agg.Aggs, spec)
		}
		return agg, nil
	case *sql.Sort:
		in, err := b.build(n.Input)
		if err != nil {
			return nil, err
		}
		s := &exec.BatchSort{Input: in}
		for _, k := range n.Keys {
			s.Keys = append(s.Keys, exec.SortKeyExpr{Col: k.Col, Desc: k.Desc, NullsFirst: k.NullsFirst})
		}
		return s, nil
	case *sql.Limit:
		if scan := limitedScan(n.Input); scan != nil && n.Count >= 0 {
			if b.limits == nil {
				b.limits = map[*sql.Scan]int64{}
			}
			b.limits[scan] = n.Count + n.Offset
		}
		in, err := b.build(n.Input)
		if err != nil {
			return nil, err
		}
		return &exec.BatchLimit{Input: in, Count: n.Count, Offset: n.Offset}, nil
	case *sql.Join:
		left, err := b.build(n.Left)
		if err != nil {
			return nil, err
		}
		right, err := b.build(n.Right)
		if err != nil {
			return nil, err
		}
		lw, rw := len(n.Left.Columns()), len(n.Right.Columns())
		lk, rk, residual := planner.EquiKeys(n.On, lw)
		j := &exec.BatchHashJoin{Left: left, Right: right, LeftWidth: lw, RightWidth: rw}
		if j.LeftKeys, err = b.exprs(lk); err != nil {
			return nil, err
		}
		if j.RightKeys, err = b.exprs(rk); err != nil {
			return nil, err
		}
		for _, k := range lk {
			j.KeyTypes = append(j.KeyTypes, k.Type())
		}
		if residual != nil {
			if j.Residual, err = b.expr(residual); err != nil {
				return nil, err
			}
		}
		switch n.Kind {
		case sql.LeftJoin:
			j.Type = exec.JoinLeft
		case sql.RightJoin:
			j.Type = exec.JoinRight
		case sql.FullJoin:
			j.Type = exec.JoinFull
		}
		return j, nil
	case *sql.SetOp:
		left, err := b.build(n.Left)
		if err != nil {
			return nil, err
		}
		right, err := b.build(n.Right)
		if err != nil {
			return nil, err
		}
		s := &exec.BatchSetOp{Left: left, Right: right, All: n.All}
		switch n.Kind {
		case sql.Intersect:
			s.Type = exec.SetIntersect
		case sql.Except:
			s.Type = exec.SetExcept
		}
		for _, c := range n.Cols {
			s.Types = append(s.Types, c.Type)
		}
		return s, nil
	case *sql.Over:
		in, err := b.build(n.Input)
		if err != nil {
			return nil, err
		}
		o := &exec.BatchOver{Input: in}
		for _, f := range n.Funcs {
			of := exec.OverFunc{Func: f.Func, T: f.Type}
			if len(f.Args) > 0 {
				if of.Arg, err = b.expr(f.Args[0]); err != nil {
					return nil, err
				}
			}
			if of.PartitionBy, err = b.exprs(f.PartitionBy); err != nil {
				return nil, err
			}
			for _, ob := range f.OrderBy {
				x, err := b.expr(ob.E)
				if err != nil {
					return nil, err
				}
				of.OrderBy = append(of.OrderBy, x)
				of.Desc = append(of.Desc, ob.Desc)
				of.NullsFirst = append(of.NullsFirst, ob.NullsFirst)
			}
			o.Funcs = append(o.Funcs, of)
		}
		return o, nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "query shape %T is not supported", r)
}

// rowLimitKey carries how many rows a scan may stop after.
type rowLimitKey struct{}

// limitedScan finds the scan under a LIMIT when only projections (one
// row out per row in) lie between.
func limitedScan(r sql.Rel) *sql.Scan {
	for {
		switch n := r.(type) {
		case *sql.Project:
			r = n.Input
		case *sql.Scan:
			return n
		default:
			return nil
		}
	}
}

// relationRows reads a relation's current rows: a stream's log up to its
// end, a table's or a view's committed rows. Under a LIMIT, streams and
// views stop reading once they have enough.
func (e *Engine) relationRows(ctx context.Context, rel *sql.Relation) ([][]types.Datum, error) {
	o, ok := e.cat.get(rel.Name)
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", rel.Name)
	}
	ts := o.types()
	var out [][]types.Datum
	limit, limited := ctx.Value(rowLimitKey{}).(int64)
	enough := func() bool { return limited && int64(len(out)) >= limit }
	check := func() error {
		if enough() {
			return errStopRead
		}
		if len(out)%4096 == 0 && ctx.Err() != nil {
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		return nil
	}
	switch o.Kind {
	case sql.RelStream:
		t, ok := e.log.Topic(o.Topic)
		if !ok {
			return nil, types.Errorf(types.CodeDataCorrupted, "topic of stream %s is missing", o.Name)
		}
		for part := 0; part < t.NumPartitions(); part++ {
			end := t.EndOffset(part)
			for off := t.StartOffset(part); off < end; {
				next, err := t.Read(part, off, 1<<20, func(at int64, r wlog.Record) error {
					if at >= end {
						return errStopRead
					}
					row, err := types.DecodeRow(r.Value, ts, nil)
					if err != nil {
						return err
					}
					out = append(out, row)
					return check()
				})
				if err == errStopRead {
					break
				}
				if err != nil {
					return nil, types.Wrap(err, types.CodeDataCorrupted, "reading stream %s", o.Name)
				}
				if next <= off {
					break
				}
				off = next
			}
			if enough() {
				break
			}
		}
		out = append(out, txnOf(ctx).streamAppends(o)...)
	case sql.RelTable:
		if err := e.scanTableIn(txnOf(ctx), o, func(row []types.Datum) error {
			out = append(out, row)
			return check()
		}); err != nil && err != errStopRead {
			return nil, err
		}
	case sql.RelMaterializedView:
		snap := viewSnapshot(ctx)
		if snap == nil {
			snap = e.st.NewSnapshot()
			defer snap.Close()
		}
		if err := snap.Scan(o.ID, nil, func(k, v []byte) error {
			return exec.ForEachViewRow(v, ts, func(row []types.Datum, n int64) error {
				for i := int64(0); i < n; i++ {
					out = append(out, row)
					if err := check(); err != nil {
						return err
					}
				}
				return nil
			})
		}); err != nil && err != errStopRead {
			return nil, err
		}
	default:
		return nil, types.Errorf(types.CodeFeatureNotSupported, "cannot read %s \"%s\"", o.Kind, o.Name)
	}
	return out, nil
}

// compileExprBatch compiles an expression of an interactive query,
// including subqueries (evaluated with the batch operators) and references
// to the enclosing queries' rows.
func compileExprBatch(e sql.Expr, b *batchBuilder) (exec.Expr, error) {
	switch x := e.(type) {
	case *sql.OuterRef:
		return &exec.OuterRef{Stack: b.stack, Depth: x.Depth, Idx: x.Idx, T: x.T}, nil
	case *sql.Subquery:
		plan, err := b.build(planner.OptimizeBatch(x.Query))
		if err != nil {
			return nil, err
		}
		s := &exec.SubqueryExpr{Plan: plan, Stack: b.stack, Correlated: hasOuterRefs(x.Query), Negated: x.Negated, T: x.T}
		switch x.Kind {
		case sql.ScalarSubquery:
			s.Kind = exec.SubScalar
		case sql.ExistsSubquery:
			s.Kind = exec.SubExists
		case sql.ArraySubquery:
			s.Kind = exec.SubArray
			s.ElemType = x.Query.Columns()[0].Type
		default:
			s.Kind = exec.SubIn
			if x.Kind == sql.AnySubquery {
				s.Kind = exec.SubAny
			} else if x.Kind == sql.AllSubquery {
				s.Kind = exec.SubAll
			}
			if s.Test, err = b.expr(x.Test); err != nil {
				return nil, err
			}
			t := x.Test.Type()
			s.Cmp = &exec.Call{Func: x.Op, Args: []exec.Expr{&exec.Const{T: t}, &exec.Const{T: t}}, T: types.TBool}
		}
		return s, nil
	}
	return compileExprWith(e, b.env, func(sub sql.Expr) (exec.Expr, error) { return compileExprBatch(sub, b) })
}

// hasOuterRefs reports whether a subquery reads its enclosing rows.
func hasOuterRefs(r sql.Rel) bool {
	found := false
	var walkExpr func(sql.Expr)
	var walkRel func(sql.Rel)
	walkExpr = func(e sql.Expr) {
		switch x := e.(type) {
		case *sql.OuterRef:
			found = true
		case *sql.Call:
			for _, a := range x.Args {
				walkExpr(a)
			}
		case *sql.Cast:
			walkExpr(x.E)
		case *sql.Case:
			for _, w := range x.Whens {
				walkExpr(w.Cond)
				walkExpr(w.Then)
			}
			if x.Else != nil {
				walkExpr(x.Else)
			}
		case *sql.Subquery:
			if x.Test != nil {
				walkExpr(x.Test)
			}
			walkRel(x.Query)
		}
	}
	walkRel = func(r sql.Rel) {
		switch n := r.(type) {
		case *sql.Filter:
			walkExpr(n.Cond)
			walkRel(n.Input)
		case *sql.Project:
			for _, e := range n.Exprs {
				walkExpr(e)
			}
			walkRel(n.Input)
		case *sql.Aggregate:
			for _, g := range n.GroupBy {
				walkExpr(g)
			}
			for _, a := range n.Aggs {
				for _, x := range a.Args {
					walkExpr(x)
				}
				if a.Filter != nil {
					walkExpr(a.Filter)
				}
			}
			walkRel(n.Input)
		case *sql.Join:
			if n.On != nil {
				walkExpr(n.On)
			}
			walkRel(n.Left)
			walkRel(n.Right)
		case *sql.SetOp:
			walkRel(n.Left)
			walkRel(n.Right)
		case *sql.Sort:
			walkRel(n.Input)
		case *sql.Limit:
			walkRel(n.Input)
		case *sql.Over:
			walkRel(n.Input)
		case *sql.Window:
			walkRel(n.Input)
		case *sql.Values:
			for _, row := range n.Rows {
				for _, e := range row {
					walkExpr(e)
				}
			}
		}
	}
	walkRel(r)
	return found
}

// tableFuncRows evaluates a set-returning function.
func tableFuncRows(fn string, args []exec.Expr) ([][]types.Datum, error) {
	vals, err := (&exec.SetFunc{Name: fn, Args: args, T: types.TText}).Values(nil)
	if err != nil {
		return nil, err
	}
	out := make([][]types.Datum, len(vals))
	for i, v := range vals {
		out[i] = []types.Datum{v}
	}
	return out, nil
}
