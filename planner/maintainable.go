package planner

import "github.com/weir-db/weir/types"

// streamingAggregates are the aggregates views maintain incrementally.
var streamingAggregates = map[string]bool{"count": true, "count_star": true, "sum": true, "avg": true, "min": true, "max": true}

// Unmaintainable returns the error a view's plan is refused with at
// CREATE when it aggregates with a function views cannot maintain
// (string_agg, array_agg, bool_and, ...; queries compute them), nil
// otherwise. It is not a planning error: a view created before views
// were checked still plans and starts, so its data dir opens.
func Unmaintainable(root *Plan) error {
	var err error
	root.Walk(func(p *Plan) {
		for _, s := range p.Steps {
			if a, ok := s.(*AggStep); ok && err == nil {
				for _, c := range a.Aggs {
					if !streamingAggregates[c.Func] {
						err = types.Errorf(types.CodeFeatureNotSupported, "%s is not supported in materialized views (only in queries)", c.Func)
						break
					}
				}
			}
		}
	})
	return err
}
