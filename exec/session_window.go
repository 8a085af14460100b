package exec

import (
	"bytes"
	"encoding/binary"
	"sort"

	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// SessionWindow assigns rows to session windows per key, appending
// window_start and window_end. A session spans [first row's time, last
// row's time + Gap); a row inside or touching a session extends it, and a
// row that bridges sessions merges them. Because a row's window changes
// as its session grows, merges or (after a retraction) splits, the
// operator keeps the rows of open sessions and emits the changes of
// (row, window) pairs: a row whose window changed is retracted with its
// old bounds and inserted with the new ones (an UpdateDelete/UpdateInsert
// pair), so an aggregation downstream stays exact.
//
// A session expires when the watermark reaches its end plus
// AllowLateness: its rows leave state. A row is late when it touches (or
// precedes) an expired session of its key, or when the session it would
// form from new rows alone has expired already; late rows are dropped,
// counted and handed to LateSink. So no accepted row ever joins an
// expired session, and the result equals sessions recomputed over the
// accepted rows.
//
// What expired is known from the session index (see sessionIndex),
// which shares the operator's table with the rows:
//
//	'r' key ts row       multiplicity (varint), row     rows of open sessions
//	0xff ...             watermark, late count
type SessionWindow struct {
	TimeCol       int
	Keys          []int // partition columns (the aggregation's other group columns)
	Gap           int64
	AllowLateness int64
	ID            uint32
	State         *StateHandle
	LateSink      *LateSink
	Late          int64

	wm, late counter
	inTypes  []types.Type
	idx      sessionIndex
}

// sessionRow is one distinct input row of a key during a chunk.
type sessionRow struct {
	ts       int64
	rk       []byte // memcomparable row key
	row      []types.Datum
	old, now int64 // multiplicity before and after the chunk
}

type sessionChange struct {
	sign int64
	ts   int64
	row  []types.Datum
}

const tagRows = 'r'

func (w *SessionWindow) policy() windowing.Policy {
	return windowing.Policy{AllowLateness: w.AllowLateness}
}

func (w *SessionWindow) loadCounters() error {
	w.wm.key, w.late.key = watermarkKey, lateKey
	if err := w.wm.load(w.State.Store, w.ID, windowing.NoWatermark); err != nil {
		return err
	}
	if !w.late.loaded {
		if err := w.late.load(w.State.Store, w.ID, 0); err != nil {
			return err
		}
		w.Late = w.late.v
	}
	w.idx.id, w.idx.state, w.idx.gap, w.idx.lateness = w.ID, w.State, w.Gap, w.AllowLateness
	return w.idx.load()
}

// Reset implements Resetter.
func (w *SessionWindow) Reset() {
	w.wm.loaded, w.late.loaded = false, false
	w.idx.reset()
}

// Process implements Operator.
func (w *SessionWindow) Process(m Message) ([]Message, error) {
	if err := w.loadCounters(); err != nil {
		return nil, err
	}
	if m.Watermark != nil {
		return w.onWatermark(*m.Watermark)
	}
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	w.inTypes = c.Types
	byKey := map[string][]sessionChange{}
	var keys []string
	for i := 0; i < c.Len(); i++ {
		row := c.Row(i, nil)
		ts := row[w.TimeCol]
		if ts == nil {
			continue
		}
		k := string(w.partitionKey(row))
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], sessionChange{sign: c.Ops[i].Sign(), ts: int64(ts.(types.DTimestamp)), row: row})
	}
	sort.Strings(keys)
	outTypes := append(append([]types.Type(nil), c.Types...), types.TTimestamp, types.TTimestamp)
	cb := NewChunkBuilder(outTypes)
	for _, k := range keys {
		if err := w.processKey([]byte(k), byKey[k], cb); err != nil {
			return nil, err
		}
	}
	if w.Late != w.late.v {
		w.late.v = w.Late
		if err := w.late.store(w.State.Store, w.ID); err != nil {
			return nil, err
		}
	}
	if oc := cb.Build(); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}

func (w *SessionWindow) partitionKey(row []types.Datum) []byte {
	k := []byte{}
	for _, i := range w.Keys {
		k = types.AppendKey(k, w.inTypes[i], row[i], false)
	}
	return k
}

// processKey applies one key's changes: late ones are dropped, the rest
// recompute the sessions they touch.
func (w *SessionWindow) processKey(pk []byte, changes []sessionChange, cb *ChunkBuilder) error {
	m, err := w.idx.marker(pk)
	if err != nil {
		return err
	}
	kept := changes[:0]
	for _, ch := range changes {
		if w.idx.late(m, ch.ts) {
			w.Late++
			w.LateSink.Add(w.idx.lateWindow(m, ch.ts), ch.row)
			continue
		}
		kept = append(kept, ch)
	}
	if len(kept) == 0 {
		return nil
	}
	lo, hi := kept[0].ts, kept[0].ts
	for _, ch := range kept {
		lo, hi = min(lo, ch.ts), max(hi, ch.ts)
	}
	// The open sessions the changes can touch.
	old, err := w.idx.touching(nil, pk, lo, hi)
	if err != nil {
		return err
	}
	// Their rows: every row with a time in [first start, last row time].
	rows := map[string]*sessionRow{}
	if len(old) > 0 {
		from, to := old[0].Start, old[len(old)-1].End-w.Gap
		prefix := tagged(tagRows, pk)
		err = w.State.Store.Scan(w.ID, prefix, func(k, v []byte) error {
			rest := k[len(prefix):]
			ts, err := decodeTS(rest)
			if err != nil {
				return err
			}
			if ts > to {
				return errStopScan
			}
			if ts < from {
				return nil
			}
			n, sz := binary.Varint(v)
			row, err := types.DecodeRow(v[sz:], w.inTypes, nil)
			if err != nil {
				return err
			}
			rows[string(rest)] = &sessionRow{ts: ts, rk: append([]byte(nil), rest...), row: row, old: n, now: n}
			return nil
		})
		if err != nil && err != errStopScan {
			return err
		}
	}
	for _, ch := range kept {
		rk := RowKey(w.inTypes, ch.row)
		full := tsKey(nil, ch.ts)
		full = append(full, rk...)
		r := rows[string(full)]
		if r == nil {
			r = &sessionRow{ts: ch.ts, rk: full, row: ch.row}
			rows[string(full)] = r
		}
		r.now += ch.sign
		if r.now < 0 {
			return types.Errorf(types.CodeDataCorrupted, "session window received a retraction for a row it does not hold")
		}
	}
	all := make([]*sessionRow, 0, len(rows))
	for _, r := range rows {
		all = append(all, r)
	}
	sort.Slice(all, func(i, j int) bool { return bytes.Compare(all[i].rk, all[j].rk) < 0 })
	var times []int64
	for _, r := range all {
		if r.now > 0 {
			times = append(times, r.ts)
		}
	}
	now := w.dropExpired(windowing.Sessions(nil, times, w.Gap), all)
	// Emit the changed (row, window) pairs and store the rows.
	out := make([]types.Datum, 0, len(w.inTypes)+2)
	emit := func(op Op, r *sessionRow, s windowing.Span, n int64) {
		out = append(append(out[:0], r.row...), types.DTimestamp(s.Start), types.DTimestamp(s.End))
		for ; n > 0; n-- {
			cb.Append(op, out)
		}
	}
	for _, r := range all {
		ow, nw := spanOf(old, r.ts), spanOf(now, r.ts)
		switch {
		case r.old > 0 && r.now > 0 && ow == nw:
			if r.now > r.old {
				emit(Insert, r, nw, r.now-r.old)
			} else {
				emit(Delete, r, ow, r.old-r.now)
			}
		default:
			pairs := min(r.old, r.now)
			for i := int64(0); i < pairs; i++ {
				emit(UpdateDelete, r, ow, 1)
				emit(UpdateInsert, r, nw, 1)
			}
			emit(Delete, r, ow, r.old-pairs)
			emit(Insert, r, nw, r.now-pairs)
		}
		if r.old == r.now {
			continue
		}
		k := tagged(tagRows, pk, r.rk)
		if r.now == 0 {
			err = w.State.Store.Delete(w.ID, k)
		} else {
			err = w.State.Store.Set(w.ID, k, types.AppendRow(binary.AppendVarint(nil, r.now), w.inTypes, r.row))
		}
		if err != nil {
			return err
		}
	}
	return w.idx.replace(pk, old, now)
}

// dropExpired drops, as late, the rows of new sessions that have already
// expired: a session whose end plus the allowed lateness the watermark has
// passed, made only of rows this chunk inserts. (A session holding older
// rows is open or was, and sessions only shrink by retraction.)
func (w *SessionWindow) dropExpired(spans []windowing.Span, all []*sessionRow) []windowing.Span {
	pol := w.policy()
	fresh := make([]bool, len(spans))
	for i, s := range spans {
		fresh[i] = pol.Expired(s.End, w.wm.v)
	}
	for _, r := range all {
		if r.old > 0 {
			if i := spanIndex(spans, r.ts); i >= 0 {
				fresh[i] = false
			}
		}
	}
	kept := spans[:0:0]
	for i, s := range spans {
		if !fresh[i] {
			kept = append(kept, s)
		}
	}
	if len(kept) == len(spans) {
		return spans
	}
	for _, r := range all {
		if i := spanIndex(spans, r.ts); i >= 0 && fresh[i] {
			for ; r.now > 0; r.now-- {
				w.Late++
				w.LateSink.Add(spans[i], r.row)
			}
		}
	}
	return kept
}

func spanIndex(spans []windowing.Span, ts int64) int {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].End > ts })
	if i < len(spans) && spans[i].Start <= ts {
		return i
	}
	return -1
}

// spanOf finds the session holding ts (sessions sorted, disjoint).
func spanOf(spans []windowing.Span, ts int64) windowing.Span {
	if i := spanIndex(spans, ts); i >= 0 {
		return spans[i]
	}
	return windowing.Span{}
}

// onWatermark expires sessions whose end plus the allowed lateness the
// watermark has reached, with their rows, and markers no on-time row can
// touch any more.
func (w *SessionWindow) onWatermark(wm int64) ([]Message, error) {
	fwd := []Message{{Watermark: &wm}}
	if wm <= w.wm.v {
		return fwd, nil
	}
	w.wm.v = wm
	if err := w.wm.store(w.State.Store, w.ID); err != nil {
		return nil, err
	}
	if err := w.idx.advance(wm, w.dropRows); err != nil {
		return nil, err
	}
	return fwd, nil
}

// dropRows removes the rows of an expired session.
func (w *SessionWindow) dropRows(pk []byte, s windowing.Span) error {
	st := w.State.Store
	prefix := tagged(tagRows, pk)
	var rows [][]byte
	err := st.Scan(w.ID, prefix, func(k, _ []byte) error {
		ts, err := decodeTS(k[len(prefix):])
		if err != nil {
			return err
		}
		if ts >= s.End-w.Gap+1 {
			return errStopScan
		}
		if ts >= s.Start {
			rows = append(rows, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil && err != errStopScan {
		return err
	}
	for _, k := range rows {
		if err := st.Delete(w.ID, k); err != nil {
			return err
		}
	}
	return nil
}
