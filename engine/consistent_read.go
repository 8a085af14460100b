package engine

import (
	"context"
	"sort"
	"sync"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/storage/state"
)

// Interactive queries read materialized views from one Pebble snapshot.
// When a query reads several views that share an input, the snapshot is
// taken only once those views have applied exactly the same prefix of it,
// so two views over the same stream never disagree within a query: the
// views ahead are held at their position (a cap on what they read) while
// the others catch up to it, then the snapshot is taken between epochs.

type snapshotKey struct{}

// viewSnapshot is the snapshot a query's view scans read, if any.
func viewSnapshot(ctx context.Context) *state.Snapshot {
	s, _ := ctx.Value(snapshotKey{}).(*state.Snapshot)
	return s
}

// alignMu serializes alignments: caps of two at once could conflict.
var alignMu sync.Mutex

// withViewSnapshot runs fn with a context whose views read one consistent
// snapshot.
func (e *Engine) withViewSnapshot(ctx context.Context, q *sql.Query, fn func(context.Context) error) error {
	names := map[string]bool{}
	viewsInRel(q.Rel, names)
	var flows []*dataflow
	e.mu.Lock()
	for n := range names {
		if f := e.flows[n]; f != nil {
			flows = append(flows, f)
		}
	}
	e.mu.Unlock()
	if len(flows) == 0 {
		return fn(ctx)
	}
	sort.Slice(flows, func(i, j int) bool { return flows[i].view.Name < flows[j].view.Name })
	snap, err := e.alignedSnapshot(ctx, flows)
	if err != nil {
		return err
	}
	defer snap.Close()
	return fn(context.WithValue(ctx, snapshotKey{}, snap))
}

// alignedSnapshot brings views sharing a source to the same position in
// it and snapshots their rows there.
func (e *Engine) alignedSnapshot(ctx context.Context, flows []*dataflow) (*state.Snapshot, error) {
	if !sharesSource(flows) {
		lockAll(flows)
		defer unlockAll(flows)
		return e.st.NewSnapshot(), nil
	}
	alignMu.Lock()
	defer alignMu.Unlock()
	defer func() {
		for _, f := range flows {
			f.setCap(nil)
		}
	}()
	for {
		// The furthest any of them has read of each source: hold them
		// all there, wait for the rest, and check under their locks.
		lockAll(flows)
		target := map[string][]int64{}
		for _, f := range flows {
			for _, src := range f.sources {
				t := target[src.obj.Name]
				if t == nil {
					t = make([]int64, len(src.offsets))
					target[src.obj.Name] = t
				}
				for p, off := range src.offsets {
					t[p] = max(t[p], off)
				}
			}
		}
		aligned := true
		for _, f := range flows {
			for _, src := range f.sources {
				for p, off := range src.offsets {
					aligned = aligned && off == target[src.obj.Name][p]
				}
			}
		}
		if aligned {
			snap := e.st.NewSnapshot()
			unlockAll(flows)
			return snap, nil
		}
		for _, f := range flows {
			f.setCap(target)
		}
		unlockAll(flows)
		for _, f := range flows {
			want := make([][]int64, len(f.sources))
			for i, src := range f.sources {
				want[i] = target[src.obj.Name]
			}
			if err := f.waitFor(ctx, want); err != nil {
				return nil, err
			}
		}
	}
}

// sharesSource reports whether two of the views read the same relation.
func sharesSource(flows []*dataflow) bool {
	seen := map[string]bool{}
	for _, f := range flows {
		mine := map[string]bool{}
		for _, src := range f.sources {
			if seen[src.obj.Name] && !mine[src.obj.Name] {
				return true
			}
			mine[src.obj.Name] = true
		}
		for n := range mine {
			seen[n] = true
		}
	}
	return false
}

// lockAll holds every view between epochs, in name order.
func lockAll(flows []*dataflow) {
	for _, f := range flows {
		f.commitMu.Lock()
	}
}

func unlockAll(flows []*dataflow) {
	for i := len(flows) - 1; i >= 0; i-- {
		flows[i].commitMu.Unlock()
	}
}

// viewsInRel collects the relations a bound query reads, subqueries
// included; the caller keeps those that are running views.
func viewsInRel(r sql.Rel, out map[string]bool) {
	switch n := r.(type) {
	case *sql.Scan:
		out[n.Relation.Name] = true
	case *sql.IndexScan:
		out[n.Relation.Name] = true
	case *sql.Filter:
		viewsInRel(n.Input, out)
		viewsInExpr(n.Cond, out)
	case *sql.Project:
		viewsInRel(n.Input, out)
		for _, x := range n.Exprs {
			viewsInExpr(x, out)
		}
	case *sql.Window:
		viewsInRel(n.Input, out)
	case *sql.Aggregate:
		viewsInRel(n.Input, out)
		for _, a := range n.Aggs {
			for _, x := range a.Args {
				viewsInExpr(x, out)
			}
		}
	case *sql.Sort:
		viewsInRel(n.Input, out)
	case *sql.Limit:
		viewsInRel(n.Input, out)
	case *sql.Join:
		viewsInRel(n.Left, out)
		viewsInRel(n.Right, out)
		viewsInExpr(n.On, out)
	case *sql.SetOp:
		viewsInRel(n.Left, out)
		viewsInRel(n.Right, out)
	case *sql.Over:
		viewsInRel(n.Input, out)
	}
}

func viewsInExpr(e sql.Expr, out map[string]bool) {
	sql.WalkExpr(e, func(e sql.Expr) bool {
		if x, ok := e.(*sql.Subquery); ok {
			viewsInRel(x.Query, out)
		}
		return true
	})
}
