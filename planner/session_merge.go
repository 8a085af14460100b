package planner

// FuseSessions lets each aggregation over a SESSION window compute the
// sessions itself (see exec.SessionMerge): the SessionStep goes and the
// AggStep records it in Session. The aggregation then folds each row
// once and keeps no rows, where the SESSION window keeps every row of an
// open session and re-emits them all whenever the session grows.
//
// An aggregation is fused when it reads the window directly (a filter or
// projection between would see rows with their sessions), the window's
// input is append-only, its window columns appear only as plain group
// columns, no aggregate is DISTINCT (the groups of merging sessions fold
// together, which a value multiset cannot do in place), and the view
// routes no late rows. The exchange before the window already partitions
// by the session keys, which are the other group columns.
//
// The aggregation's state then differs from the SESSION window's and
// its own: the engine applies this to views created since it exists,
// recording that in the catalog, and never to an older view.
func FuseSessions(root *Plan) {
	if root.Late != nil {
		return
	}
	root.Walk(func(p *Plan) {
		in := inputWidth(p) // the columns step i receives
		for i := 0; i+1 < len(p.Steps); i++ {
			s, ok := p.Steps[i].(*SessionStep)
			agg, isAgg := p.Steps[i+1].(*AggStep)
			if ok && isAgg && in >= 0 && p.inputEmits(i) == AppendOnly && mergeable(agg, in) {
				agg.Session = &SessionStep{TimeCol: s.TimeCol, Gap: s.Gap, Keys: s.Keys, AllowLateness: s.AllowLateness, FindsLate: s.FindsLate}
				agg.AppendOnlyInput = true
				p.Steps = append(p.Steps[:i], p.Steps[i+1:]...)
				p.Edges = append(p.Edges[:i], p.Edges[i+1:]...)
			}
			in = stepWidth(p.Steps[i], in)
		}
	})
}

// mergeable reports whether agg, over a SESSION window's output of in
// input columns and then window_start and window_end, can merge
// sessions itself.
func mergeable(agg *AggStep, in int) bool {
	if agg.Session != nil || !sliceable(agg, in) {
		return false
	}
	for _, a := range agg.Aggs {
		if a.Distinct {
			return false
		}
	}
	return true
}
