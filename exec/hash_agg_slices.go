package exec

import (
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/weir-db/weir/types"
)

// HopSlices makes a HashAgg compute HOP windows itself, from the rows
// before HOP, by window slicing (as Flink's window aggregation does): the
// time axis is cut at every Slide, each row is folded once into its
// slice's partial, and each slice's partial is then folded into each of
// the Size/Slide windows that hold the slice. A row costs one partial
// lookup instead of one per window, and nothing copies it per window.
//
// The aggregation's expressions are over HOP's output as it would be:
// the input columns, then window_start and window_end. Group columns
// that are window_start or window_end must be plain column references,
// no other expression may read them, and the input must be append-only
// (the planner fuses only such aggregations). Size is a multiple of
// Slide, so a slice lies whole in each of its windows.
type HopSlices struct {
	TimeCol             int
	Size, Slide, Offset int64 // microseconds
}

// partials runs the local phase over a chunk: per group, with Hop per
// window from per slice, with Session per session after the chunk.
func (h *HashAgg) partials(c *Chunk) ([]*partial, error) {
	if h.Session != nil {
		sc, err := h.sessionChunk(c)
		if err != nil || sc == nil {
			return nil, err
		}
		return h.local(sc)
	}
	if h.Hop == nil {
		return h.local(c)
	}
	sc, err := h.sliceChunk(c)
	if err != nil || sc == nil {
		return nil, err
	}
	slices, err := h.local(sc)
	if err != nil {
		return nil, err
	}
	return h.spread(slices)
}

// sliceChunk is the local phase's input for a chunk of rows before HOP:
// each row with the window_start and window_end of its latest window,
// which stand for its slice. Rows with a NULL time are in no window and
// are dropped. A row whose latest window has expired has expired in all
// of its windows: it is dropped and counted late once per window, as
// HOP's copies of it would be.
func (h *HashAgg) sliceChunk(c *Chunk) (*Chunk, error) {
	if h.LateSink != nil {
		return nil, types.Errorf(types.CodeInternalError, "an aggregation over HOP slices cannot route late rows")
	}
	hs := h.Hop
	col, ok := c.Rec.Column(hs.TimeCol).(*array.Timestamp)
	if !ok {
		return nil, types.Errorf(types.CodeInternalError, "HOP time column %d is not a timestamp", hs.TimeCol)
	}
	h.windowGroups = h.windowGroups[:0]
	for g, e := range h.Groups {
		if cr, ok := e.(*ColRef); ok && cr.Idx >= len(c.Types) {
			h.windowGroups = append(h.windowGroups, g)
		}
	}
	pol := h.policy()
	var keep []int // the rows kept, once one is dropped
	dropped := false
	for i := 0; i < c.Len(); i++ {
		drop := col.IsNull(i)
		if !drop && h.WindowGroup >= 0 && pol.Expired(h.sliceStart(int64(col.Value(i)))+hs.Size, h.wm.v) {
			h.Late += hs.Size / hs.Slide
			drop = true
		}
		switch {
		case drop && !dropped:
			dropped = true
			for k := 0; k < i; k++ {
				keep = append(keep, k)
			}
		case !drop && dropped:
			keep = append(keep, i)
		}
	}
	if dropped {
		if c = Take(c, keep); c == nil {
			return nil, nil
		}
	}
	ts, _ := timeValues(c, hs.TimeCol)
	return withWindowCols(c, ts, hs.Size, h.sliceStart), nil
}

// sliceStart is the start of the latest window holding time ts, which
// is also where its slice starts.
func (h *HashAgg) sliceStart(ts int64) int64 {
	d := ts - h.Hop.Offset
	q := d / h.Hop.Slide
	if d%h.Hop.Slide < 0 {
		q--
	}
	return q*h.Hop.Slide + h.Hop.Offset
}

// spread folds slice partials into the partials of their windows, in
// order of first appearance. A window that has expired takes no partial:
// the slice's rows count late for it.
func (h *HashAgg) spread(slices []*partial) ([]*partial, error) {
	hs := h.Hop
	k := hs.Size / hs.Slide
	n := len(slices) * int(k)
	parts := make(map[string]*partial, n)
	order := make([]*partial, 0, n)
	slab := partialSlab{size: max(n, 16), aggs: len(h.Aggs), vals: len(h.Groups)}
	pol := h.policy()
	vals := make([]types.Datum, len(h.Groups))
	var key []byte
	for _, s := range slices {
		for j := int64(0); j < k; j++ {
			back := j * hs.Slide
			end := s.end - back
			if h.WindowGroup >= 0 && pol.Expired(end, h.wm.v) {
				h.Late += s.rows
				continue
			}
			copy(vals, s.vals)
			for _, g := range h.windowGroups {
				if t, ok := vals[g].(types.DTimestamp); ok {
					vals[g] = t - types.DTimestamp(back)
				}
			}
			key = h.appendGroupKey(key[:0], vals)
			p := parts[string(key)]
			if p == nil {
				p = slab.next(key, vals, end)
				parts[p.mapKey()] = p
				order = append(order, p)
			}
			if err := h.fold(p, s); err != nil {
				return nil, err
			}
		}
	}
	return order, nil
}

// fold adds partial src into dst, as if dst's rows had included src's.
func (h *HashAgg) fold(dst, src *partial) error {
	dst.rows += src.rows
	for ai := range h.Aggs {
		a, d, s := &h.Aggs[ai], &dst.aggs[ai], &src.aggs[ai]
		d.n += s.n
		if s.sum != nil {
			sum, err := addAcc(d.sum, s.sum, 1, h.accType(*a))
			if err != nil {
				return err
			}
			d.sum = sum
		}
		if s.ext != nil && (d.ext == nil || better(a.Func, s.ext, d.ext)) {
			d.ext = s.ext
		}
		for vk, sv := range s.vals {
			if d.vals == nil {
				d.vals = map[string]*valueDelta{}
			}
			dv := d.vals[vk]
			if dv == nil {
				dv = &valueDelta{v: sv.v}
				d.vals[vk] = dv
			}
			dv.d += sv.d
		}
	}
	return nil
}
