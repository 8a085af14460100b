package exec

import (
	"cmp"
	"slices"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// SessionMerge makes a HashAgg compute SESSION windows itself, from the
// rows before the SESSION window: each session's group holds its
// aggregates, and when rows extend or bridge sessions, the groups of the
// sessions they join are folded into the new session's group and leave.
// A row is folded once, however long its session grows; the SESSION
// window instead keeps every row of an open session and re-emits them
// all, with their new bounds, whenever the session changes.
//
// The aggregation's expressions are over the SESSION window's output as
// it would be: the input columns, then window_start and window_end. The
// group columns other than the window's are Keys, the window's are plain
// column references that nothing else reads, the input is append-only
// and no aggregate keeps a value multiset (DISTINCT): the planner fuses
// only such aggregations. Which rows are late, and which sessions have
// expired, follows the SESSION window exactly (see sessionIndex), so the
// result is the same.
type SessionMerge struct {
	TimeCol int
	Keys    []int // input columns the sessions are per
	Gap     int64 // microseconds
	ID      uint32

	idx    sessionIndex
	in     int // the input's width: window_start's column
	merges []sessionMerge
	// Buffers of sessionChunk, kept for the next chunk.
	old, spans, now []windowing.Span
}

// sessionMerge is a session of a chunk that took in open sessions.
type sessionMerge struct {
	vals []types.Datum // its group values
	olds []windowing.Span
}

// mergeRow is a row of a chunk on its way to its session.
type mergeRow struct {
	ts int64
	i  int
}

func (h *HashAgg) sessions() (*sessionIndex, error) {
	s := h.Session
	x := &s.idx
	x.id, x.state, x.gap, x.lateness = s.ID, h.State, s.Gap, h.AllowLateness
	return x, x.load()
}

// sessionChunk is the local phase's input for a chunk of rows before the
// SESSION window: each on-time row with the bounds of its session after
// the chunk. It updates the session index, and records in
// h.Session.merges the sessions whose groups the chunk folds together.
// Rows with a NULL time are in no session and are dropped; late rows are
// dropped and counted.
func (h *HashAgg) sessionChunk(c *Chunk) (*Chunk, error) {
	if h.LateSink != nil {
		return nil, types.Errorf(types.CodeInternalError, "an aggregation merging sessions cannot route late rows")
	}
	for ai := range h.Aggs {
		if h.usesMultiset(&h.Aggs[ai]) {
			return nil, types.Errorf(types.CodeInternalError, "an aggregation merging sessions cannot keep value multisets")
		}
	}
	s := h.Session
	x, err := h.sessions()
	if err != nil {
		return nil, err
	}
	col, ok := c.Rec.Column(s.TimeCol).(*array.Timestamp)
	if !ok {
		return nil, types.Errorf(types.CodeInternalError, "SESSION time column %d is not a timestamp", s.TimeCol)
	}
	s.in = len(c.Types)
	h.windowGroups = h.windowGroups[:0]
	for g, e := range h.Groups {
		if cr, ok := e.(*ColRef); ok && cr.Idx >= len(c.Types) {
			h.windowGroups = append(h.windowGroups, g)
		}
	}
	// The chunk's rows by key, keys in order of first appearance.
	type keyRows struct {
		pk   []byte
		rows []mergeRow
	}
	var keys []keyRows
	at := map[string]int{}
	var pk []byte
	for i := 0; i < c.Len(); i++ {
		if col.IsNull(i) {
			continue
		}
		pk = pk[:0]
		for _, k := range s.Keys {
			pk = types.AppendKey(pk, c.Types[k], types.GetDatum(c.Rec.Column(k), c.Types[k], i), false)
		}
		j, ok := at[string(pk)]
		if !ok {
			j = len(keys)
			at[string(pk)] = j
			keys = append(keys, keyRows{pk: append([]byte(nil), pk...)})
		}
		keys[j].rows = append(keys[j].rows, mergeRow{ts: int64(col.Value(i)), i: i})
	}
	s.merges = s.merges[:0]
	pol := windowing.Policy{AllowLateness: h.AllowLateness}
	var keep []int
	var bounds []windowing.Span // keep's sessions
	for _, kr := range keys {
		m, err := x.marker(kr.pk)
		if err != nil {
			return nil, err
		}
		rows := kr.rows[:0]
		for _, r := range kr.rows {
			if x.late(m, r.ts) {
				h.Late++
				continue
			}
			rows = append(rows, r)
		}
		if len(rows) == 0 {
			continue
		}
		slices.SortFunc(rows, func(a, b mergeRow) int { return cmp.Compare(a.ts, b.ts) })
		old, err := x.touching(s.old[:0], kr.pk, rows[0].ts, rows[len(rows)-1].ts)
		if err != nil {
			return nil, err
		}
		s.old = old
		s.spans = sessionsWith(s.spans[:0], rows, old, s.Gap)
		now := s.now[:0]
		oi, ri := 0, 0
		for _, sp := range s.spans {
			o0, r0 := oi, ri
			for oi < len(old) && old[oi].Start < sp.End {
				oi++
			}
			for ri < len(rows) && rows[ri].ts < sp.End {
				ri++
			}
			olds := old[o0:oi]
			if len(olds) == 0 && pol.Expired(sp.End, h.wm.v) {
				// A session of new rows alone that has expired already.
				h.Late += int64(ri - r0)
				continue
			}
			now = append(now, sp)
			for _, r := range rows[r0:ri] {
				keep = append(keep, r.i)
				bounds = append(bounds, sp)
			}
			if len(olds) > 0 && (len(olds) > 1 || olds[0] != sp) && len(h.windowGroups) > 0 {
				s.merges = append(s.merges, sessionMerge{vals: h.sessionVals(c, rows[r0].i, sp), olds: slices.Clone(olds)})
			}
		}
		s.now = now
		if err := x.replace(kr.pk, old, now); err != nil {
			return nil, err
		}
	}
	tc := Take(c, keep)
	if tc == nil {
		return nil, nil
	}
	return withSpans(tc, func(i int) (int64, int64) { return bounds[i].Start, bounds[i].End }), nil
}

// sessionsWith appends to buf the sessions of rows (sorted by time)
// together with the open sessions old: the union of each row's [ts, ts +
// gap) and each old session, touching spans joined, as windowing.Sessions
// makes them from all the rows.
func sessionsWith(buf []windowing.Span, rows []mergeRow, old []windowing.Span, gap int64) []windowing.Span {
	add := func(sp windowing.Span) {
		if n := len(buf); n > 0 && sp.Start <= buf[n-1].End {
			buf[n-1].End = max(buf[n-1].End, sp.End)
			return
		}
		buf = append(buf, sp)
	}
	i, j := 0, 0
	for i < len(rows) || j < len(old) {
		if j == len(old) || i < len(rows) && rows[i].ts < old[j].Start {
			add(windowing.Span{Start: rows[i].ts, End: rows[i].ts + gap})
			i++
		} else {
			add(old[j])
			j++
		}
	}
	return buf
}

// sessionVals is the group values of row i of c in session sp.
func (h *HashAgg) sessionVals(c *Chunk, i int, sp windowing.Span) []types.Datum {
	vals := make([]types.Datum, len(h.Groups))
	for g, e := range h.Groups {
		if cr := e.(*ColRef); cr.Idx < len(c.Types) {
			vals[g] = types.GetDatum(c.Rec.Column(cr.Idx), c.Types[cr.Idx], i)
		}
	}
	return h.withSession(vals, sp)
}

// withSession returns vals with its window columns those of session sp.
func (h *HashAgg) withSession(vals []types.Datum, sp windowing.Span) []types.Datum {
	out := slices.Clone(vals)
	for _, g := range h.windowGroups {
		if h.Groups[g].(*ColRef).Idx == h.Session.in {
			out[g] = types.DTimestamp(sp.Start)
		} else {
			out[g] = types.DTimestamp(sp.End)
		}
	}
	return out
}

// foldMerged folds the groups of the sessions each merged session took
// in into its partial, and removes them, appending their retractions.
func (h *HashAgg) foldMerged(order []*partial, cb *ChunkBuilder) error {
	merges := h.Session.merges
	if len(merges) == 0 {
		return nil
	}
	byKey := make(map[string]*partial, len(order))
	for _, p := range order {
		byKey[p.mapKey()] = p
	}
	var key []byte
	for _, m := range merges {
		key = h.appendGroupKey(key[:0], m.vals)
		p := byKey[string(key)]
		if p == nil {
			return types.Errorf(types.CodeInternalError, "a merged session has no partial")
		}
		for _, o := range m.olds {
			vals := h.withSession(m.vals, o)
			okey := h.appendGroupKey(nil, vals)
			if string(okey) == string(key) {
				// The session kept its group: the partial merges into it.
				continue
			}
			correct := !h.EmitOnClose || h.WindowGroup >= 0 && h.policy().Closed(o.End, h.wm.v)
			g, err := h.load(okey, vals, correct)
			if err != nil {
				return err
			}
			if g.count <= 0 {
				return types.Errorf(types.CodeDataCorrupted, "an open session has no aggregation group")
			}
			if err := h.fold(p, h.asPartial(g)); err != nil {
				return err
			}
			g.count = 0
			clear(g.accs)
			if err := h.settle(g, correct, cb); err != nil {
				return err
			}
		}
	}
	return nil
}

// asPartial is group g's state as a partial, to fold into another.
func (h *HashAgg) asPartial(g *groupState) *partial {
	p := &partial{rows: g.count, aggs: make([]aggPartial, len(h.Aggs))}
	for ai, a := range h.Aggs {
		n, _ := g.accs[ai][0].(int64)
		p.aggs[ai].n = n
		switch a.Func {
		case "sum", "avg":
			p.aggs[ai].sum = g.accs[ai][1]
		case "min", "max":
			p.aggs[ai].ext = g.accs[ai][1]
		}
	}
	return p
}
