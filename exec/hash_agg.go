package exec

import (
	"bytes"
	"slices"

	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// AggSpec is one aggregate of a HashAgg.
type AggSpec struct {
	Func     string      // count_star, count, sum, avg, min, max; batch only: string_agg, array_agg, bool_and, bool_or
	Arg      Expr        // nil for count_star
	Delim    types.Datum // string_agg's delimiter
	Distinct bool
	Filter   Expr // nil when absent
	// Order is the order values are aggregated in (batch string_agg and
	// array_agg; nil: input order).
	Order []OrderKey
	T     types.Type
}

// HashAgg maintains grouped aggregates over a changelog, emitting the
// changes of its output rows. State (table GroupsID) holds, per group key,
// the group values, the row count and each aggregate's accumulator; table
// ValuesID holds the value multisets that DISTINCT, min and max need to
// survive deletions, and the provisional rows of early firings.
//
// Aggregation is two-phase within a chunk: a local phase folds the chunk's
// rows into per-group partial aggregates in memory (net row counts, sums,
// and net multiplicity changes per distinct value), then a global phase
// merges each group's partial into its state once, so state is read and
// written once per group and value per chunk, not per row.
//
// Windowed aggregation (WindowGroup >= 0) orders state by the window
// column and follows the window policy (see windowing.Policy): a window
// closes when the watermark reaches its end (EMIT ON WINDOW CLOSE emits
// its final rows then, retracting any provisional ones); until the
// watermark reaches end + AllowLateness rows still correct it, emitted as
// retractions of the closed window's row; then its state is purged and
// rows for it are late: dropped, counted, and handed to LateSink.
type HashAgg struct {
	Groups         []Expr
	Aggs           []AggSpec
	WindowGroup    int   // index into Groups of window_start or window_end; -1 without windows
	WindowEndDelta int64 // added to the window column to get window_end
	// WindowSize is the window's length when known (TUMBLE, HOP; 0 for
	// SESSION), to report a late row's window.
	WindowSize  int64
	EmitOnClose bool
	// AllowLateness keeps closed windows correctable this much longer.
	AllowLateness int64
	// EarlyFire makes an EMIT ON WINDOW CLOSE aggregation emit provisional
	// rows for open windows on every Fire message.
	EarlyFire bool
	// AppendOnlyInput is set by the planner when the input carries only
	// inserts: min and max then keep a running value, no multiset.
	AppendOnlyInput    bool
	GroupsID, ValuesID uint32
	State              *StateHandle
	LateSink           *LateSink
	// Late counts rows dropped because their window had expired (once per
	// window a HOP row missed). It is persisted with the state.
	Late int64
	// CacheGroups bounds the groups kept decoded in memory (0: a default).
	CacheGroups int
	// Hop, when set, makes the aggregation compute HOP windows itself
	// (see HopSlices); the input is then HOP's input.
	Hop *HopSlices
	// Session, when set, makes the aggregation compute SESSION windows
	// itself (see SessionMerge); the input is then the window's input.
	Session *SessionMerge

	hot        hotState
	wm         counter
	late       counter
	groupTypes []types.Type
	accTs      []types.Type
	need       []bool // input columns the expressions read; nil: all
	// filterVecs are the aggregates' FILTER kernels (nil: evaluated row
	// by row), compiled on first use.
	filterVecs []vnode
	// lastGroups is how many groups the last chunk had: the next one's
	// map and partials are sized for as many.
	lastGroups int
	saveRow    []types.Datum // save's buffers
	saveBuf    []byte
	valueKey   []byte // bumpValue's buffers
	valueBuf   []byte
	// oldBuf and nowBuf hold a group's output rows before and after a
	// change, from load to the change's emission.
	oldBuf, nowBuf []types.Datum
	// windowGroups are the groups that are HOP's or SESSION's window
	// columns, with Hop or Session.
	windowGroups []int
	groupBlocks  groupSlab
	// families are the DISTINCT aggregates that share value entries, and
	// familyOf each aggregate's family (-1: none; nil: no families); see
	// hash_agg_families.go. unshared makes new state as before families
	// existed, for tests of state stored then.
	families       []distinctFamily
	familyOf       []int
	familiesLoaded bool
	familyKeys     []string
	unshared       bool
}

var (
	watermarkKey = []byte{0xff, 'w', 'm'}
	lateKey      = []byte{0xff, 'l', 'a', 't', 'e'}
)

// groupState is one group as loaded from state during a chunk.
type groupState struct {
	key   []byte
	vals  []types.Datum
	count int64
	accs  [][2]types.Datum // per aggregate: values counted, running value
	old   []types.Datum    // output before this chunk (nil: absent)
	// cached says the group is in the hot state's cache, so saving it
	// need not add it again; stored says it is in the groups table, as
	// newGroups knows.
	cached, stored bool
}

// OutTypes is the output schema: group columns, then aggregates.
func (h *HashAgg) OutTypes() []types.Type {
	var ts []types.Type
	for _, g := range h.Groups {
		ts = append(ts, g.Type())
	}
	for _, a := range h.Aggs {
		ts = append(ts, a.T)
	}
	return ts
}

func (h *HashAgg) policy() windowing.Policy {
	return windowing.Policy{OnClose: h.EmitOnClose, AllowLateness: h.AllowLateness}
}

// Scalar reports whether this is an aggregate without GROUP BY, which has
// exactly one output row even over no input.
func (h *HashAgg) Scalar() bool { return len(h.Groups) == 0 }

// Init emits the empty-input row of a scalar aggregate the first time a
// dataflow starts (nothing otherwise).
func (h *HashAgg) Init() ([]Message, error) {
	if !h.Scalar() {
		return nil, nil
	}
	if _, err := h.State.Store.Get(h.GroupsID, []byte{}); err == nil {
		return nil, nil
	} else if err != ErrNotFound {
		return nil, err
	}
	g := &groupState{key: []byte{}, accs: make([][2]types.Datum, len(h.Aggs))}
	if err := h.save(g); err != nil {
		return nil, err
	}
	cb := NewChunkBuilder(h.OutTypes())
	cb.Append(Insert, h.output(nil, g))
	return []Message{{Chunk: cb.Build()}}, nil
}

func (h *HashAgg) loadCounters() error {
	h.wm.key, h.late.key = watermarkKey, lateKey
	if err := h.wm.load(h.State.Store, h.GroupsID, windowing.NoWatermark); err != nil {
		return err
	}
	if !h.late.loaded {
		if err := h.late.load(h.State.Store, h.GroupsID, 0); err != nil {
			return err
		}
		h.Late = h.late.v
	}
	return nil
}

// Process implements Operator.
func (h *HashAgg) Process(m Message) ([]Message, error) {
	if err := h.loadCounters(); err != nil {
		return nil, err
	}
	if err := h.loadFamilies(); err != nil {
		return nil, err
	}
	switch {
	case m.Watermark != nil:
		return h.onWatermark(*m.Watermark)
	case m.Fire:
		return h.onFire()
	case m.Chunk == nil:
		return []Message{m}, nil
	}
	order, err := h.partials(m.Chunk)
	if err != nil {
		return nil, err
	}
	if h.Late != h.late.v {
		h.late.v = h.Late
		if err := h.late.store(h.State.Store, h.GroupsID); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(order, func(a, b *partial) int { return bytes.Compare(a.key, b.key) })
	cb := NewChunkBuilder(h.OutTypes())
	cb.ReserveRows(len(order))
	if h.Session != nil {
		if err := h.foldMerged(order, cb); err != nil {
			return nil, err
		}
	}
	for _, p := range order {
		if err := h.global(p, cb); err != nil {
			return nil, err
		}
	}
	if oc := cb.Build(); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}

// emitDiff appends the change from old to now (either may be nil).
func emitDiff(cb *ChunkBuilder, old, now []types.Datum) {
	switch {
	case old == nil && now != nil:
		cb.Append(Insert, now)
	case old != nil && now == nil:
		cb.Append(Delete, old)
	case old != nil && now != nil && !rowsEqual(old, now):
		cb.Append(UpdateDelete, old)
		cb.Append(UpdateInsert, now)
	}
}

func rowsEqual(a, b []types.Datum) bool {
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || a[i] != nil && types.Compare(a[i], b[i]) != 0 {
			return false
		}
	}
	return true
}

// Reset drops in-memory positions so they are re-read from state; the
// runtime calls it after discarding a failed epoch.
func (h *HashAgg) Reset() {
	h.wm.loaded, h.late.loaded = false, false
	h.familiesLoaded = false
	h.hot = hotState{}
	if h.Session != nil {
		h.Session.idx.reset()
	}
}
