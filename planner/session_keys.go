package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// SessionKeys finds the SESSION window an aggregation reads (through
// filters and projections) and the window's input columns that partition
// its sessions: the aggregation's group columns other than the window
// bounds, traced back to the window's input. w is nil when the
// aggregation reads no SESSION window. Interactive queries use it to
// build the batch SESSION operator, as PlanView does for views.
func SessionKeys(a *sql.Aggregate) (w *sql.Window, keys []int, keyTypes []types.Type, err error) {
	// origin[i] is the column of the current relation that column i of
	// the aggregation's input copies (-1: computed).
	origin := make([]int, len(a.Input.Columns()))
	for i := range origin {
		origin[i] = i
	}
	r := a.Input
	for w == nil {
		switch n := r.(type) {
		case *sql.Filter:
			r = n.Input
		case *sql.Project:
			for i, o := range origin {
				if o < 0 {
					continue
				}
				if c, ok := n.Exprs[o].(*sql.ColRef); ok {
					origin[i] = c.Idx
				} else {
					origin[i] = -1
				}
			}
			r = n.Input
		case *sql.Window:
			if n.Kind != sql.Session {
				return nil, nil, nil, nil
			}
			w = n
		default:
			return nil, nil, nil, nil
		}
	}
	base := len(w.Input.Columns())
	for _, g := range a.GroupBy {
		c, ok := g.(*sql.ColRef)
		if ok && origin[c.Idx] >= base {
			continue // window_start or window_end
		}
		if !ok || origin[c.Idx] < 0 {
			return nil, nil, nil, types.Errorf(types.CodeFeatureNotSupported, "GROUP BY over a SESSION window supports only window_start, window_end and columns of the windowed relation")
		}
		keys = append(keys, origin[c.Idx])
		keyTypes = append(keyTypes, w.Input.Columns()[origin[c.Idx]].Type)
	}
	return w, keys, keyTypes, nil
}
