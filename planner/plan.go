package planner

import (
	"fmt"
	"strings"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// Emits describes the changes an edge carries.
type Emits uint8

// Edge kinds.
const (
	AppendOnly Emits = iota // inserts only
	Retracting              // inserts, deletes and update pairs
)

func (e Emits) String() string {
	if e == AppendOnly {
		return "append-only"
	}
	return "retracting"
}

// Plan is a linear dataflow: rows from Source (or Values) through Steps.
type Plan struct {
	Source *sql.Relation // nil when Values is set
	Values *sql.Values
	Steps  []Step
	Cols   []sql.Column
	Emits  Emits
}

// Step is one operator of a plan.
type Step interface{ step() }

// FilterStep keeps rows where Cond holds.
type FilterStep struct{ Cond sql.Expr }

// ProjectStep computes Exprs.
type ProjectStep struct{ Exprs []sql.Expr }

// TumbleStep appends window_start and window_end.
type TumbleStep struct {
	TimeCol      int
	Size, Offset int64
}

// AggStep groups and aggregates.
type AggStep struct {
	Groups []sql.Expr
	Aggs   []sql.AggCall
	// WindowGroup is the index in Groups of a window column (-1: none), and
	// WindowEndDelta what to add to it to get the window's end.
	WindowGroup    int
	WindowEndDelta int64
	EmitOnClose    bool
}

// SortStep orders the final result (interactive queries only).
type SortStep struct{ Keys []sql.SortKey }

// LimitStep cuts the final result (interactive queries only).
type LimitStep struct{ Count, Offset int64 }

func (*FilterStep) step()  {}
func (*ProjectStep) step() {}
func (*TumbleStep) step()  {}
func (*AggStep) step()     {}
func (*SortStep) step()    {}
func (*LimitStep) step()   {}

// windowCol records that a column carries a window bound.
type windowCol struct {
	isStart bool
	size    int64
}

type builder struct {
	plan *Plan
	// wcols maps current column positions to window columns.
	wcols map[int]windowCol
	emits Emits
	// continuous is set for materialized views.
	continuous bool
	watermark  bool // the source carries a watermark
}

// PlanView plans a materialized view's dataflow.
func PlanView(q *sql.Query, emit sql.Emit) (*Plan, error) {
	b := &builder{plan: &Plan{Cols: q.Cols}, continuous: true}
	if err := b.build(q.Rel); err != nil {
		return nil, err
	}
	if emit.Policy == sql.EmitOnWindowClose {
		var agg *AggStep
		for _, s := range b.plan.Steps {
			if a, ok := s.(*AggStep); ok {
				agg = a
			}
		}
		switch {
		case agg == nil || agg.WindowGroup < 0:
			return nil, types.Errorf(types.CodeInvalidObjectDefinition, "EMIT ON WINDOW CLOSE requires an aggregation grouped by window_start or window_end")
		case !b.watermark:
			return nil, types.Errorf(types.CodeInvalidObjectDefinition, "EMIT ON WINDOW CLOSE requires a source with a WATERMARK")
		}
		agg.EmitOnClose = true
		b.emits = AppendOnly
	}
	for _, s := range b.plan.Steps {
		if _, ok := s.(*SortStep); ok {
			return nil, types.Errorf(types.CodeFeatureNotSupported, "ORDER BY without LIMIT cannot be maintained in a materialized view; order when you query it")
		}
		if _, ok := s.(*LimitStep); ok {
			return nil, types.Errorf(types.CodeFeatureNotSupported, "LIMIT in a materialized view is not supported yet")
		}
	}
	b.plan.Emits = b.emits
	return b.plan, nil
}

// PlanQuery plans an interactive query over the current contents of its
// source.
func PlanQuery(q *sql.Query) (*Plan, error) {
	b := &builder{plan: &Plan{Cols: q.Cols}}
	if err := b.build(q.Rel); err != nil {
		return nil, err
	}
	b.plan.Emits = b.emits
	return b.plan, nil
}

func (b *builder) add(s Step) { b.plan.Steps = append(b.plan.Steps, s) }

func (b *builder) build(r sql.Rel) error {
	switch n := r.(type) {
	case *sql.Scan:
		switch n.Relation.Kind {
		case sql.RelStream:
			b.emits = AppendOnly
			b.watermark = n.Relation.WatermarkCol >= 0
		case sql.RelTable:
			b.emits = Retracting
		case sql.RelMaterializedView:
			if b.continuous {
				return types.Errorf(types.CodeFeatureNotSupported, "materialized views over materialized views are not supported yet")
			}
		default:
			if b.continuous {
				return types.Errorf(types.CodeFeatureNotSupported, "a materialized view cannot read %s \"%s\"", n.Relation.Kind, n.Relation.Name)
			}
		}
		b.plan.Source = n.Relation
		b.wcols = map[int]windowCol{}
	case *sql.Values:
		if b.continuous {
			return types.Errorf(types.CodeFeatureNotSupported, "a materialized view needs a FROM clause")
		}
		b.plan.Values = n
		b.wcols = map[int]windowCol{}
	case *sql.Filter:
		if err := b.build(n.Input); err != nil {
			return err
		}
		b.add(&FilterStep{Cond: n.Cond})
	case *sql.Project:
		if err := b.build(n.Input); err != nil {
			return err
		}
		next := map[int]windowCol{}
		identity := len(n.Exprs) == len(n.Input.Columns())
		for i, e := range n.Exprs {
			c, ok := e.(*sql.ColRef)
			if ok {
				if w, ok := b.wcols[c.Idx]; ok {
					next[i] = w
				}
			}
			if !ok || c.Idx != i {
				identity = false
			}
		}
		b.wcols = next
		if !identity {
			b.add(&ProjectStep{Exprs: n.Exprs})
		}
	case *sql.Window:
		if err := b.build(n.Input); err != nil {
			return err
		}
		if n.Kind != sql.Tumble {
			return types.Errorf(types.CodeFeatureNotSupported, "%s windows are not supported yet", n.Kind)
		}
		base := len(n.Input.Columns())
		b.add(&TumbleStep{TimeCol: n.TimeCol, Size: n.Size, Offset: n.Offset})
		b.wcols[base] = windowCol{isStart: true, size: n.Size}
		b.wcols[base+1] = windowCol{size: n.Size}
	case *sql.Aggregate:
		if err := b.build(n.Input); err != nil {
			return err
		}
		a := &AggStep{Groups: n.GroupBy, Aggs: n.Aggs, WindowGroup: -1}
		for i, g := range n.GroupBy {
			if c, ok := g.(*sql.ColRef); ok {
				if w, ok := b.wcols[c.Idx]; ok && a.WindowGroup < 0 {
					a.WindowGroup = i
					if w.isStart {
						a.WindowEndDelta = w.size
					}
				}
			}
		}
		next := map[int]windowCol{}
		for i, g := range n.GroupBy {
			if c, ok := g.(*sql.ColRef); ok {
				if w, ok := b.wcols[c.Idx]; ok {
					next[i] = w
				}
			}
		}
		b.wcols = next
		b.add(a)
		b.emits = Retracting
	case *sql.Sort:
		if err := b.build(n.Input); err != nil {
			return err
		}
		b.add(&SortStep{Keys: n.Keys})
	case *sql.Limit:
		if err := b.build(n.Input); err != nil {
			return err
		}
		b.add(&LimitStep{Count: n.Count, Offset: n.Offset})
	default:
		return types.Errorf(types.CodeFeatureNotSupported, "query shape %T is not supported", r)
	}
	return nil
}

// Explain renders the plan, one operator per line, source last.
func (p *Plan) Explain() string {
	var lines []string
	for i := len(p.Steps) - 1; i >= 0; i-- {
		switch s := p.Steps[i].(type) {
		case *FilterStep:
			lines = append(lines, "Filter")
		case *ProjectStep:
			lines = append(lines, fmt.Sprintf("Project (%d columns)", len(s.Exprs)))
		case *TumbleStep:
			lines = append(lines, fmt.Sprintf("Tumble (size %dus, offset %dus)", s.Size, s.Offset))
		case *AggStep:
			emit := "on update"
			if s.EmitOnClose {
				emit = "on window close"
			}
			lines = append(lines, fmt.Sprintf("HashAgg (%d groups, %d aggregates, emit %s)", len(s.Groups), len(s.Aggs), emit))
		case *SortStep:
			lines = append(lines, "Sort")
		case *LimitStep:
			lines = append(lines, fmt.Sprintf("Limit %d offset %d", s.Count, s.Offset))
		}
	}
	if p.Source != nil {
		lines = append(lines, fmt.Sprintf("Scan %s %s", p.Source.Kind, p.Source.Name))
	} else {
		lines = append(lines, "Values")
	}
	for i := range lines {
		lines[i] = strings.Repeat("  ", i) + "-> " + lines[i]
	}
	return fmt.Sprintf("Output: %s\n%s", p.Emits, strings.Join(lines, "\n"))
}
