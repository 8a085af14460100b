package planner

import "github.com/weir-db/weir/sql"

// FuseHopSlices lets each aggregation over HOP windows compute the
// windows itself, by slices (see exec.HopSlices): the HopStep goes, the
// AggStep records it in Hop, and an exchange between them partitions by
// the group columns other than the window's. A row then travels and is
// folded once, not once per window.
//
// An aggregation is fused when HOP's input is append-only, its window
// columns appear only as plain group columns (no aggregate reads them,
// no group expression computes with them, no filter between reads them),
// and the view routes no late rows (a late row is a row with its window,
// which slices do not keep).
//
// It changes how rows are spread over a view's tasks, and so where their
// state lives: the engine applies it to views created since it exists,
// recording that in the catalog, and never to an older view.
func FuseHopSlices(root *Plan) {
	if root.Late != nil {
		return
	}
	root.Walk(func(p *Plan) {
		in := inputWidth(p) // the columns step i receives
		for i := 0; i < len(p.Steps); {
			if fuseHopAt(p, i, in) {
				continue // step i is now the one after HOP, over the same columns
			}
			in = stepWidth(p.Steps[i], in)
			i++
		}
	})
}

// fuseHopAt fuses p's step i, over in columns, into the aggregation after
// it when step i is a HOP that can be, and reports whether it did.
func fuseHopAt(p *Plan, i, in int) bool {
	hop, ok := p.Steps[i].(*HopStep)
	if !ok || in < 0 || p.inputEmits(i) != AppendOnly {
		return false
	}
	// Filters that read no window column and an exchange may lie between:
	// they see the same columns with HOP gone.
	j := i + 1
	var x *ExchangeStep
	for ; j < len(p.Steps); j++ {
		if f, ok := p.Steps[j].(*FilterStep); ok && !readsCols(f.Cond, in) {
			continue
		}
		if e, ok := p.Steps[j].(*ExchangeStep); ok && x == nil {
			x = e
			continue
		}
		break
	}
	if j >= len(p.Steps) {
		return false
	}
	agg, ok := p.Steps[j].(*AggStep)
	if !ok || !sliceable(agg, in) {
		return false
	}
	if x != nil {
		x.Keys = nil
		for _, g := range agg.Groups {
			if !readsCols(g, in) {
				x.Keys = append(x.Keys, g)
			}
		}
	}
	agg.Hop = &HopStep{TimeCol: hop.TimeCol, Size: hop.Size, Slide: hop.Slide, Offset: hop.Offset}
	p.Steps = append(p.Steps[:i], p.Steps[i+1:]...)
	p.Edges = append(p.Edges[:i], p.Edges[i+1:]...)
	return true
}

// sliceable reports whether agg, over HOP's output of in input columns
// and then window_start and window_end, can aggregate by slices.
func sliceable(agg *AggStep, in int) bool {
	if agg.Hop != nil {
		return false
	}
	for _, e := range agg.Groups {
		if c, ok := e.(*sql.ColRef); !ok && readsCols(e, in) || ok && c.Idx >= in+2 {
			return false
		}
	}
	for _, a := range agg.Aggs {
		for _, e := range a.Args {
			if readsCols(e, in) {
				return false
			}
		}
		if a.Filter != nil && readsCols(a.Filter, in) {
			return false
		}
	}
	return true
}

// readsCols reports whether e reads a column at index from or above.
func readsCols(e sql.Expr, from int) bool {
	reads := false
	sql.WalkExpr(e, func(e sql.Expr) bool {
		if c, ok := e.(*sql.ColRef); ok && c.Idx >= from {
			reads = true
		}
		return !reads
	})
	return reads
}
