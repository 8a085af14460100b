package engine

import (
	"fmt"
	"sort"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// buildGraph turns the plan tree into the operator graph, giving
// stateful operators state ids from base upward.
func (f *dataflow) buildGraph(base uint32) error {
	next := base
	alloc := func(n uint32) (uint32, error) {
		id := next
		next += n
		if next > base+idsPerObject-1 {
			return 0, types.Errorf(types.CodeProgramLimitExceeded, "query has too many stateful operators")
		}
		return id, nil
	}
	hasSession := false
	f.plan.Walk(func(p *planner.Plan) {
		for _, s := range p.Steps {
			if _, ok := s.(*planner.SessionStep); ok {
				hasSession = true
			}
		}
	})
	g := &exec.Graph{}
	f.cur.graph = g
	first := f.cur.index == 0
	nodeOf := map[*planner.Plan]int{}
	infosAt := map[*planner.Plan]int{} // where a leaf's step infos start in f.ops
	var add func(p *planner.Plan, parent, side int) error
	add = func(p *planner.Plan, parent, side int) error {
		idx := len(g.Nodes)
		nodeOf[p] = idx
		node := &exec.GraphNode{Parent: parent, Side: side}
		g.Nodes = append(g.Nodes, node)
		switch {
		case p.Source != nil:
			for i, src := range f.sources {
				if src.obj.Name == p.Source.Name && first {
					f.leaves[i] = append(f.leaves[i], idx)
					src.need(p.SourceCols)
				}
			}
		case p.Join != nil:
			j, info, err := f.buildJoin(p.Join, alloc)
			if err != nil {
				return err
			}
			node.Head = j
			if err := add(p.Join.Left, idx, 0); err != nil {
				return err
			}
			if err := add(p.Join.Right, idx, 1); err != nil {
				return err
			}
			if first {
				f.ops = append(f.ops, info)
			}
		case p.Union != nil:
			var timed []bool
			for _, u := range p.Union {
				timed = append(timed, planTimed(u))
			}
			node.Head = exec.NewUnion(timed)
			for i, u := range p.Union {
				if err := add(u, idx, i); err != nil {
					return err
				}
			}
			if first {
				f.ops = append(f.ops, opInfo{name: "Union"})
			}
		default:
			return fmt.Errorf("plan node without input")
		}
		infosAt[p] = len(f.ops)
		ops, err := f.buildSteps(idx, p.Steps, alloc, hasSession)
		node.Ops = ops
		return err
	}
	if err := add(f.plan, -1, 0); err != nil {
		return err
	}
	// Runs of steps two inputs compute alike run once. Drop's operators
	// were built all the same, so state ids stay where they were (a view
	// made before sharing keeps its state), but never run.
	shares := planner.SharedRuns(f.plan)
	// The skipped runs' entries leave the operator list last to first,
	// so earlier positions hold.
	sort.Slice(shares, func(i, j int) bool { return infosAt[shares[i].Drop] > infosAt[shares[j].Drop] })
	for _, sh := range shares {
		n, infos := f.stepOps(sh.Keep.Steps[:sh.Steps])
		if n == 0 {
			continue // only exchanges, which one task does not run
		}
		f.share(nodeOf[sh.Keep], nodeOf[sh.Drop], n, first)
		if first {
			at := infosAt[sh.Drop]
			f.ops = append(f.ops[:at], f.ops[at+infos:]...)
		}
	}
	return nil
}

// exchanges reports whether exchange steps become operators: with one
// task there is nothing to exchange. buildSteps and stepOps must agree.
func (f *dataflow) exchanges() bool { return len(f.tasks) > 1 || f.view.Tasks > 1 }

// stepOps is how many operators steps make: an exchange makes none with
// one task.
func (f *dataflow) stepOps(steps []planner.Step) (n, infos int) {
	for _, s := range steps {
		if _, ok := s.(*planner.ExchangeStep); ok {
			if !f.exchanges() {
				continue
			}
			n++
			continue
		}
		n++
		infos++
	}
	return n, infos
}

// share makes leaves a and b of the current task's graph compute their
// first n operators once: a new leaf runs a's, and feeds what is left of
// a and of b, both now headed by a pass-through. With first it also moves
// the source's leaves and the exchange positions.
func (f *dataflow) share(a, b, n int, first bool) {
	g := f.cur.graph
	A, B := g.Nodes[a], g.Nodes[b]
	s := len(g.Nodes)
	g.Nodes = append(g.Nodes, &exec.GraphNode{Ops: append(exec.Pipeline(nil), A.Ops[:n]...), Parent: a, Side: 0,
		Also: []exec.GraphEdge{{Parent: b, Side: 0}}})
	A.Head, A.Ops = exec.PassThrough{}, append(exec.Pipeline(nil), A.Ops[n:]...)
	B.Head, B.Ops = exec.PassThrough{}, append(exec.Pipeline(nil), B.Ops[n:]...)
	if !first {
		return
	}
	for i, leaves := range f.leaves {
		var kept []int
		for _, l := range leaves {
			switch l {
			case a:
				kept = append(kept, s)
			case b:
			default:
				kept = append(kept, l)
			}
		}
		f.leaves[i] = kept
	}
	var xs []exec.OpPos
	for _, x := range f.graph.Exchanges {
		switch {
		case x.Node == a && x.Op < n:
			x.Node = s
		case x.Node == a || x.Node == b && x.Op >= n:
			x.Op -= n
		case x.Node == b:
			continue
		}
		xs = append(xs, x)
	}
	f.graph.Exchanges = xs
}

// planTimed reports whether a sub-plan's sources deliver watermarks.
func planTimed(p *planner.Plan) bool {
	for _, l := range p.Leaves() {
		if l.Source.Kind == sql.RelStream && l.Source.WatermarkCol >= 0 {
			return true
		}
	}
	return false
}

// buildJoin makes a join's operator.
func (f *dataflow) buildJoin(pj *planner.JoinInput, alloc func(uint32) (uint32, error)) (*exec.HashJoin, opInfo, error) {
	id, err := alloc(3)
	if err != nil {
		return nil, opInfo{}, err
	}
	kinds := map[planner.JoinKind]exec.JoinType{planner.Inner: exec.JoinInner, planner.LeftOuter: exec.JoinLeft,
		planner.RightOuter: exec.JoinRight, planner.FullOuter: exec.JoinFull, planner.Semi: exec.JoinSemi, planner.Anti: exec.JoinAnti}
	j := &exec.HashJoin{Kind: kinds[pj.Kind], Keys: [2][]int{pj.LeftKeys, pj.RightKeys}, Temporal: pj.Temporal,
		Timed: [2]bool{planTimed(pj.Left), planTimed(pj.Right)}, IDs: [2]uint32{id, id + 1}, Aux: id + 2, State: f.cur.handle,
		AppendOnly: pj.AppendOnly, Keyed: pj.Keyed}
	for side, in := range []*planner.Plan{pj.Left, pj.Right} {
		for _, c := range in.Cols {
			j.Types[side] = append(j.Types[side], c.Type)
		}
		if x := pj.Expire[side]; x != nil {
			j.Expire[side] = &exec.JoinExpiry{Col: x.Col, Delta: x.Delta, OtherCol: x.OtherCol, OtherSlack: x.OtherSlack}
		}
	}
	if pj.Cond != nil {
		if j.Cond, err = f.compile(pj.Cond); err != nil {
			return nil, opInfo{}, err
		}
	}
	name := "HashJoin"
	if pj.Temporal {
		name = "LookupJoin"
	}
	window := pj.Expire[0] != nil || pj.Expire[1] != nil
	return j, opInfo{name: name, ids: []uint32{id, id + 1, id + 2}, counters: id + 2, window: window}, nil
}

// buildSteps turns a plan node's steps into operators.
func (f *dataflow) buildSteps(node int, steps []planner.Step, alloc func(uint32) (uint32, error), hasSession bool) (exec.Pipeline, error) {
	var pipe exec.Pipeline
	first := f.cur.index == 0
	for _, s := range steps {
		var op exec.Operator
		info := opInfo{}
		switch st := s.(type) {
		case *planner.ExchangeStep:
			if !f.exchanges() {
				continue // one task: nothing to exchange
			}
			x := &exec.Exchange{Tasks: max(f.view.Tasks, 1)}
			for _, k := range st.Keys {
				c, err := f.compile(k)
				if err != nil {
					return nil, err
				}
				x.Keys = append(x.Keys, c)
			}
			if first {
				f.graph.Exchanges = append(f.graph.Exchanges, exec.OpPos{Node: node, Op: len(pipe)})
			}
			pipe = append(pipe, x)
			continue
		case *planner.FilterStep:
			c, err := f.compile(st.Cond)
			if err != nil {
				return nil, err
			}
			op, info.name = &exec.Filter{Cond: c}, "Filter"
		case *planner.ProjectStep:
			es := make([]exec.Expr, len(st.Exprs))
			for i, x := range st.Exprs {
				c, err := f.compile(x)
				if err != nil {
					return nil, err
				}
				es[i] = c
			}
			op, info.name = &exec.Project{Exprs: es}, "Project"
		case *planner.TumbleStep:
			op, info.name = &exec.Tumble{TimeCol: st.TimeCol, Size: st.Size, Offset: st.Offset}, "Tumble"
		case *planner.HopStep:
			op, info.name = &exec.Hop{TimeCol: st.TimeCol, Size: st.Size, Slide: st.Slide, Offset: st.Offset, Keep: st.Keep}, "Hop"
		case *planner.SessionStep:
			id, err := alloc(1)
			if err != nil {
				return nil, err
			}
			sw := &exec.SessionWindow{TimeCol: st.TimeCol, Keys: st.Keys, Gap: st.Gap, AllowLateness: st.AllowLateness, ID: id, State: f.cur.handle}
			if st.FindsLate && f.late != nil {
				sw.LateSink = f.cur.lateSink
			}
			op, info = sw, opInfo{name: "SessionWindow", ids: []uint32{id}, counters: id, window: st.FindsLate}
		case *planner.TopNStep:
			id, err := alloc(1)
			if err != nil {
				return nil, err
			}
			t, err := f.buildTopN(st, id)
			if err != nil {
				return nil, err
			}
			op, info = t, opInfo{name: "TopN", ids: []uint32{id}}
		case *planner.AggStep:
			tables := uint32(2)
			if st.Session != nil {
				tables = 3 // the session index
			}
			id, err := alloc(tables)
			if err != nil {
				return nil, err
			}
			agg := &exec.HashAgg{WindowGroup: st.WindowGroup, WindowEndDelta: st.WindowEndDelta, WindowSize: st.WindowSize,
				EmitOnClose: st.EmitOnClose, AllowLateness: st.AllowLateness, EarlyFire: st.EarlyFire,
				AppendOnlyInput: st.AppendOnlyInput, GroupsID: id, ValuesID: id + 1, State: f.cur.handle}
			if h := st.Hop; h != nil {
				agg.Hop = &exec.HopSlices{TimeCol: h.TimeCol, Size: h.Size, Slide: h.Slide, Offset: h.Offset}
			}
			ids := []uint32{id, id + 1}
			if ss := st.Session; ss != nil {
				agg.Session = &exec.SessionMerge{TimeCol: ss.TimeCol, Keys: ss.Keys, Gap: ss.Gap, ID: id + 2}
				ids = append(ids, id+2)
			}
			for _, g := range st.Groups {
				c, err := f.compile(g)
				if err != nil {
					return nil, err
				}
				agg.Groups = append(agg.Groups, c)
			}
			filters := map[string]exec.Expr{} // one compiled FILTER per condition, so its mask is made once
			for _, a := range st.Aggs {
				spec := exec.AggSpec{Func: a.Func, Distinct: a.Distinct, T: a.Type}
				if len(a.Args) > 0 {
					if spec.Arg, err = f.compile(a.Args[0]); err != nil {
						return nil, err
					}
				}
				if a.Filter != nil {
					text := sql.FormatExpr(a.Filter)
					if spec.Filter = filters[text]; spec.Filter == nil {
						if spec.Filter, err = f.compile(a.Filter); err != nil {
							return nil, err
						}
						filters[text] = spec.Filter
					}
				}
				agg.Aggs = append(agg.Aggs, spec)
			}
			if st.WindowGroup >= 0 && !hasSession && st.Session == nil && f.late != nil {
				agg.LateSink = f.cur.lateSink
			}
			op, info = agg, opInfo{name: "HashAgg", ids: ids, counters: id, window: st.WindowGroup >= 0 || st.Session != nil && st.Session.FindsLate}
		default:
			return nil, fmt.Errorf("unknown plan step %T", s)
		}
		pipe = append(pipe, op)
		if first {
			f.ops = append(f.ops, info)
		}
	}
	return pipe, nil
}

// buildTopN makes a top-N operator.
func (f *dataflow) buildTopN(st *planner.TopNStep, id uint32) (*exec.TopN, error) {
	t := &exec.TopN{Func: st.Func, Limit: st.Limit, Offset: st.Offset, AppendOnlyInput: st.AppendOnlyInput, ID: id, State: f.cur.handle}
	for _, p := range st.Partition {
		c, err := f.compile(p)
		if err != nil {
			return nil, err
		}
		t.Partition = append(t.Partition, c)
	}
	for _, o := range st.Order {
		c, err := f.compile(o.E)
		if err != nil {
			return nil, err
		}
		t.Order = append(t.Order, exec.OrderKey{E: c, Desc: o.Desc, NullsFirst: o.NullsFirst})
	}
	t.Types = st.InputTypes
	return t, nil
}

// compile compiles a continuous query's expression: proctime() reads the
// dataflow's clock; other functions of when or by whom a statement runs
// are refused, since a view's rows must not depend on them.
func (f *dataflow) compile(e sql.Expr) (exec.Expr, error) {
	env := &evalEnv{catalogCall: func(e sql.Expr, sub func(sql.Expr) (exec.Expr, error)) (exec.Expr, bool, error) {
		c, ok := e.(*sql.Call)
		if !ok {
			return nil, false, nil
		}
		switch c.Func {
		case "proctime":
			return &exec.ProcTime{Clock: f.clock, T: c.T}, true, nil
		case "now", "current_timestamp", "localtimestamp", "current_date", "version", "current_database",
			"current_schema", "current_user", "session_user", "user", "pg_backend_pid", "current_setting":
			return nil, true, types.Errorf(types.CodeFeatureNotSupported, "%s() is not allowed in a materialized view: its result would depend on when the view runs", c.Func)
		}
		return nil, false, nil
	}}
	return compileExprWith(e, env, f.compile)
}
