package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// Emits describes the changes an edge carries.
type Emits uint8

// Edge kinds, from cheapest to consume to dearest.
const (
	// AppendOnly edges carry inserts only.
	AppendOnly Emits = iota
	// Upsert edges carry changes of rows identified by a key (a table's
	// primary key, an aggregation's group columns): each key has at most
	// one live row, so a consumer may apply them by key.
	Upsert
	// Retracting edges carry inserts, deletes and update pairs of rows
	// that need not be unique: a consumer must match whole rows.
	Retracting
)

func (e Emits) String() string {
	return [...]string{"append-only", "upsert", "retracting"}[e]
}

// Plan is a dataflow tree: rows enter from exactly one of Source, Values,
// Join (two sub-plans joined) or Union (the rows of every sub-plan), then
// pass through Steps. A view's plan is the root; its policy, late-row and
// processing-time fields are the root's alone.
type Plan struct {
	Source *sql.Relation
	// SourceCols, when set, marks the columns of Source the view reads;
	// the others may be NULL (see pruneSourceColumns).
	SourceCols []bool
	Values     *sql.Values
	Join       *JoinInput
	Union      []*Plan
	Steps      []Step
	Cols       []sql.Column
	// SourceEmits is what the source edge carries; Edges[i] what step i
	// emits; Emits what the view's output carries, and Key the output
	// columns that identify an upsert output's rows.
	SourceEmits Emits
	Edges       []Emits
	Emits       Emits
	Key         []int
	// Policy is the view's emit policy; Policy.EarlyEvery is the
	// processing time between provisional firings the runtime drives.
	Policy windowing.Policy
	// Late is where rows past the allowed lateness go (nil: only counted).
	Late *LateSpec
	// ProcTime is set when the plan reads proctime(): the runtime supplies
	// processing time. ProcTimeWatermark is set when its window runs on
	// processing time: the runtime's clock, not the source, drives the
	// watermark.
	ProcTime, ProcTimeWatermark bool
}

// LateSpec is a LATE ROWS INTO target: a stream whose rows are the view's
// name, the window the row missed, then the late row's columns.
type LateSpec struct {
	Into string
	Cols []sql.Column
	// Row lists, for each column after the first three, its index in the
	// input row of the operator that finds rows late.
	Row []int
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

// HopStep appends window_start and window_end, once per HOP window
// holding the row.
type HopStep struct {
	TimeCol             int
	Size, Slide, Offset int64
	// Keep marks the output columns read downstream, when known and the
	// input is append-only (nil: all): the others need not be copied.
	Keep []bool
}

// SessionStep appends window_start and window_end of each row's session,
// sessions being per Keys (input columns; the aggregation's group
// columns), retracting rows whose session changes.
type SessionStep struct {
	TimeCol       int
	Gap           int64
	Keys          []int
	AllowLateness int64
	// FindsLate is set when the step decides lateness (its window runs on
	// a watermark).
	FindsLate bool
}

// AggStep groups and aggregates. Aggregation is two-phase: each chunk is
// pre-aggregated per group in memory (local) before state is touched
// (global).
type AggStep struct {
	Groups []sql.Expr
	Aggs   []sql.AggCall
	// WindowGroup is the index in Groups of a window column (-1: none), and
	// WindowEndDelta what to add to it to get the window's end;
	// WindowSize the window's length (0 for sessions).
	WindowGroup    int
	WindowEndDelta int64
	WindowSize     int64
	EmitOnClose    bool
	EarlyFire      bool
	AllowLateness  int64
	// AppendOnlyInput lets min and max keep a running value instead of a
	// multiset.
	AppendOnlyInput bool
	// Hop, when set, is a HOP the aggregation computes itself by slices
	// (see FuseHopSlices): its input is HOP's input, and its expressions
	// are over HOP's output.
	Hop *HopStep
	// Session, when set, is a SESSION window the aggregation computes
	// itself (see FuseSessions): its input is the window's input, and its
	// expressions are over the window's output.
	Session *SessionStep
}

// keepsValues reports whether the aggregation keeps value multisets
// (DISTINCT; min and max over retractions; provisional rows).
func (a *AggStep) keepsValues() bool {
	if a.EarlyFire {
		return true
	}
	for _, c := range a.Aggs {
		if c.Distinct || (c.Func == "min" || c.Func == "max") && !a.AppendOnlyInput {
			return true
		}
	}
	return false
}

// SortStep orders the final result (interactive queries only).
type SortStep struct{ Keys []sql.SortKey }

// LimitStep cuts the final result (interactive queries only).
type LimitStep struct{ Count, Offset int64 }

func (*FilterStep) step()  {}
func (*ProjectStep) step() {}
func (*TumbleStep) step()  {}
func (*HopStep) step()     {}
func (*SessionStep) step() {}
func (*AggStep) step()     {}
func (*SortStep) step()    {}
func (*LimitStep) step()   {}

// PlanView plans a materialized view's dataflow.
func PlanView(q *sql.Query, emit sql.Emit) (*Plan, error) {
	if emit.Policy != sql.EmitOnWindowClose && (emit.EarlyEvery != 0 || emit.AllowLateness != 0 || emit.LateRowsInto != "") {
		return nil, types.Errorf(types.CodeInvalidObjectDefinition, "EARLY EVERY, ALLOW LATENESS and LATE ROWS INTO need EMIT ON WINDOW CLOSE")
	}
	if emit.EarlyEvery < 0 {
		return nil, types.Errorf(types.CodeInvalidParameterValue, "EARLY EVERY must be a positive interval")
	}
	if emit.AllowLateness < 0 {
		return nil, types.Errorf(types.CodeInvalidParameterValue, "ALLOW LATENESS must not be negative")
	}
	b := &builder{plan: &Plan{Cols: q.Cols}, continuous: true, emit: emit}
	if err := b.build(q.Rel); err != nil {
		return nil, err
	}
	if err := b.finishEmit(); err != nil {
		return nil, err
	}
	var err error
	b.plan.Walk(func(p *Plan) {
		for _, s := range p.Steps {
			switch s.(type) {
			case *SortStep:
				err = types.Errorf(types.CodeFeatureNotSupported, "ORDER BY without LIMIT cannot be maintained in a materialized view; order when you query it")
			case *LimitStep:
				err = types.Errorf(types.CodeFeatureNotSupported, "OFFSET without LIMIT cannot be maintained in a materialized view")
			}
		}
		if p.ProcTimeWatermark && p != b.plan {
			b.plan.ProcTimeWatermark = true
		}
		b.plan.ProcTime = b.plan.ProcTime || p.ProcTime
	})
	if err != nil {
		return nil, err
	}
	if b.plan.ProcTimeWatermark && len(b.plan.Leaves()) > 1 {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "a window on proctime() is supported only in a view over one input")
	}
	b.plan.Emits = b.emits
	b.plan.Key = b.key
	placeExchanges(b.plan)
	pruneSourceColumns(b.plan)
	hoistShared(b.plan)
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
	b.plan.Key = b.key
	return b.plan, nil
}

// finishEmit applies the view's emit policy to its windowed aggregation
// and works out what the output emits.
func (b *builder) finishEmit() error {
	p := b.plan
	p.Policy = windowing.Policy{OnClose: b.emit.Policy == sql.EmitOnWindowClose, EarlyEvery: b.emit.EarlyEvery, AllowLateness: b.emit.AllowLateness}
	var agg *AggStep
	for _, s := range p.Steps {
		if a, ok := s.(*AggStep); ok {
			agg = a
		}
	}
	if !p.Policy.OnClose {
		return nil
	}
	switch {
	case agg == nil || agg.WindowGroup < 0 && !b.windowed:
		return types.Errorf(types.CodeInvalidObjectDefinition, "EMIT ON WINDOW CLOSE requires an aggregation grouped by window_start or window_end")
	case agg.WindowGroup < 0 && b.windowed:
		return types.Errorf(types.CodeInvalidObjectDefinition, "EMIT ON WINDOW CLOSE requires a source with a WATERMARK on the window's time column (or a proctime() window)")
	}
	agg.EmitOnClose = true
	agg.EarlyFire = p.Policy.EarlyEvery > 0
	agg.AllowLateness = p.Policy.AllowLateness
	for _, s := range p.Steps {
		if ss, ok := s.(*SessionStep); ok {
			ss.AllowLateness = p.Policy.AllowLateness
		}
	}
	// Final rows once, over an append-only input, make an append-only
	// output; provisional rows and corrections make it upsert, as without
	// the policy.
	for i, s := range p.Steps {
		if s == Step(agg) && b.inputOf(i) == AppendOnly && !agg.EarlyFire && agg.AllowLateness == 0 {
			for j := i; j < len(p.Steps); j++ {
				p.Edges[j] = AppendOnly
			}
			b.emits, b.key = AppendOnly, nil
		}
	}
	if b.emit.LateRowsInto != "" {
		if b.late == nil {
			return types.Errorf(types.CodeInvalidObjectDefinition, "LATE ROWS INTO needs a window on event time")
		}
		p.Late = b.late
		p.Late.Into = b.emit.LateRowsInto
	}
	return nil
}

// inputOf is what step i receives.
func (b *builder) inputOf(i int) Emits {
	if i == 0 {
		return b.plan.SourceEmits
	}
	return b.plan.Edges[i-1]
}
