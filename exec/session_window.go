package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sort"

	"github.com/weir-db/weir/storage/encoding"
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
// To know what expired, a marker keeps each key's latest expired session.
// A marker goes once the watermark is gap + AllowLateness past the
// session and the key has no open session (rows that old start expired
// sessions of their own, unless an open session took them in); its end
// then raises the horizon, at or below which every row is late. So state
// stays bounded by the open sessions and the keys seen lately, at the
// price of calling late a row more than gap + lateness behind the
// watermark whose key's sessions all expired.
//
// State (table ID), tags first:
//
//	'r' key ts row       multiplicity (varint), row     rows of open sessions
//	's' key start        end (big-endian)               open sessions by key
//	'e' end key start    -                              open sessions by end, for expiry
//	'c' key              start, end, expiry             the key's latest expired session
//	'x' expiry key       -                              markers by when they may go
//	0xff ...             watermark, late count, horizon
type SessionWindow struct {
	TimeCol       int
	Keys          []int // partition columns (the aggregation's other group columns)
	Gap           int64
	AllowLateness int64
	ID            uint32
	State         *StateHandle
	LateSink      *LateSink
	Late          int64

	wm, late, horizon counter
	inTypes           []types.Type
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

const (
	tagRows     = 'r'
	tagSessions = 's'
	tagEnds     = 'e'
	tagClosed   = 'c'
	tagExpiry   = 'x'
)

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
	w.horizon.key = horizonKey
	return w.horizon.load(w.State.Store, w.ID, windowing.NoWatermark)
}

var horizonKey = []byte{0xff, 'h', 'z'}

// Reset implements Resetter.
func (w *SessionWindow) Reset() { w.wm.loaded, w.late.loaded, w.horizon.loaded = false, false, false }

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

func tsKey(buf []byte, ts int64) []byte { return encoding.AppendInt(buf, ts) }

func decodeTS(k []byte) (int64, error) {
	kind, i, _, _, _, err := encoding.Decode(k)
	if err != nil || kind != encoding.KindInt {
		return 0, types.Errorf(types.CodeDataCorrupted, "session window state key is corrupt")
	}
	return i, nil
}

func tagged(tag byte, parts ...[]byte) []byte {
	k := []byte{tag}
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// sessionMarker is a key's latest expired session and when its marker
// may go.
type sessionMarker struct {
	span   windowing.Span
	expiry int64
}

// marker reads the key's latest expired session.
func (w *SessionWindow) marker(pk []byte) (sessionMarker, bool, error) {
	v, err := w.State.Store.Get(w.ID, tagged(tagClosed, pk))
	if errors.Is(err, ErrNotFound) {
		return sessionMarker{}, false, nil
	}
	if err != nil {
		return sessionMarker{}, false, err
	}
	if len(v) != 24 {
		return sessionMarker{}, false, types.Errorf(types.CodeDataCorrupted, "session marker is corrupt")
	}
	u := func(i int) int64 { return int64(binary.BigEndian.Uint64(v[8*i:])) }
	return sessionMarker{span: windowing.Span{Start: u(0), End: u(1)}, expiry: u(2)}, true, nil
}

// setMarker writes a key's marker and its expiry entry.
func (w *SessionWindow) setMarker(pk []byte, m sessionMarker) error {
	v := binary.BigEndian.AppendUint64(nil, uint64(m.span.Start))
	v = binary.BigEndian.AppendUint64(v, uint64(m.span.End))
	v = binary.BigEndian.AppendUint64(v, uint64(m.expiry))
	if err := w.State.Store.Set(w.ID, tagged(tagClosed, pk), v); err != nil {
		return err
	}
	return w.State.Store.Set(w.ID, tagged(tagExpiry, tsKey(nil, m.expiry), pk), nil)
}

// processKey applies one key's changes: late ones are dropped, the rest
// recompute the sessions they touch.
func (w *SessionWindow) processKey(pk []byte, changes []sessionChange, cb *ChunkBuilder) error {
	m, hasMarker, err := w.marker(pk)
	if err != nil {
		return err
	}
	kept := changes[:0]
	for _, ch := range changes {
		switch {
		case hasMarker && ch.ts <= m.span.End || ch.ts <= w.horizon.v:
			w.Late++
			win := windowing.Span{Start: ch.ts, End: ch.ts + w.Gap}
			if hasMarker && m.span.Touches(ch.ts, w.Gap) {
				win = m.span
			}
			w.LateSink.Add(win, ch.row)
		default:
			kept = append(kept, ch)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	lo, hi := kept[0].ts, kept[0].ts
	for _, ch := range kept {
		lo, hi = min(lo, ch.ts), max(hi, ch.ts)
	}
	// The open sessions the changes can touch.
	var old []windowing.Span
	err = w.State.Store.Scan(w.ID, tagged(tagSessions, pk), func(k, v []byte) error {
		start, err := decodeTS(k[1+len(pk):])
		if err != nil {
			return err
		}
		if start > hi+w.Gap {
			return errStopScan
		}
		end := int64(binary.BigEndian.Uint64(v))
		if end >= lo {
			old = append(old, windowing.Span{Start: start, End: end})
		}
		return nil
	})
	if err != nil && err != errStopScan {
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
	for _, s := range old {
		if err := w.State.Store.Delete(w.ID, tagged(tagSessions, pk, tsKey(nil, s.Start))); err != nil {
			return err
		}
		if err := w.State.Store.Delete(w.ID, tagged(tagEnds, tsKey(nil, s.End), pk, tsKey(nil, s.Start))); err != nil {
			return err
		}
	}
	for _, s := range now {
		if err := w.State.Store.Set(w.ID, tagged(tagSessions, pk, tsKey(nil, s.Start)), binary.BigEndian.AppendUint64(nil, uint64(s.End))); err != nil {
			return err
		}
		if err := w.State.Store.Set(w.ID, tagged(tagEnds, tsKey(nil, s.End), pk, tsKey(nil, s.Start)), nil); err != nil {
			return err
		}
	}
	return nil
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
// watermark has reached, and markers no on-time row can touch any more.
func (w *SessionWindow) onWatermark(wm int64) ([]Message, error) {
	fwd := []Message{{Watermark: &wm}}
	if wm <= w.wm.v {
		return fwd, nil
	}
	w.wm.v = wm
	if err := w.wm.store(w.State.Store, w.ID); err != nil {
		return nil, err
	}
	pol := w.policy()
	type expiring struct {
		pk   []byte
		span windowing.Span
		key  []byte
	}
	var todo []expiring
	err := w.State.Store.Scan(w.ID, []byte{tagEnds}, func(k, _ []byte) error {
		end, err := decodeTS(k[1:])
		if err != nil {
			return err
		}
		if !pol.Expired(end, wm) {
			return errStopScan
		}
		pk := append([]byte(nil), k[10:len(k)-9]...)
		start, err := decodeTS(k[len(k)-9:])
		if err != nil {
			return err
		}
		todo = append(todo, expiring{pk: pk, span: windowing.Span{Start: start, End: end}, key: append([]byte(nil), k...)})
		return nil
	})
	if err != nil && err != errStopScan {
		return nil, err
	}
	for _, x := range todo {
		if err := w.expire(x.pk, x.span, x.key); err != nil {
			return nil, err
		}
	}
	// Markers whose expiry the watermark reached go, unless the key has an
	// open session an old row could still join; their ends raise the
	// horizon.
	type due struct{ key, pk []byte }
	var dues []due
	err = w.State.Store.Scan(w.ID, []byte{tagExpiry}, func(k, _ []byte) error {
		at, err := decodeTS(k[1:])
		if err != nil {
			return err
		}
		if at > wm {
			return errStopScan
		}
		dues = append(dues, due{key: append([]byte(nil), k...), pk: append([]byte(nil), k[10:]...)})
		return nil
	})
	if err != nil && err != errStopScan {
		return nil, err
	}
	for _, d := range dues {
		if err := w.State.Store.Delete(w.ID, d.key); err != nil {
			return nil, err
		}
		m, ok, err := w.marker(d.pk)
		if err != nil || !ok {
			return nil, err
		}
		open, err := w.firstOpen(d.pk)
		if err != nil {
			return nil, err
		}
		if open != nil {
			// Look again once that session could have expired.
			m.expiry = open.End + w.Gap + w.AllowLateness
			if err := w.setMarker(d.pk, m); err != nil {
				return nil, err
			}
			continue
		}
		if err := w.State.Store.Delete(w.ID, tagged(tagClosed, d.pk)); err != nil {
			return nil, err
		}
		if m.span.End > w.horizon.v {
			w.horizon.v = m.span.End
			if err := w.horizon.store(w.State.Store, w.ID); err != nil {
				return nil, err
			}
		}
	}
	return fwd, nil
}

// expire removes an expired session's rows and records the key's marker.
func (w *SessionWindow) expire(pk []byte, s windowing.Span, endKey []byte) error {
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
	if err := st.Delete(w.ID, endKey); err != nil {
		return err
	}
	if err := st.Delete(w.ID, tagged(tagSessions, pk, tsKey(nil, s.Start))); err != nil {
		return err
	}
	prev, had, err := w.marker(pk)
	if err != nil {
		return err
	}
	if had {
		if prev.span.End >= s.End {
			return nil
		}
		if err := st.Delete(w.ID, tagged(tagExpiry, tsKey(nil, prev.expiry), pk)); err != nil {
			return err
		}
	}
	return w.setMarker(pk, sessionMarker{span: s, expiry: s.End + w.Gap + w.AllowLateness})
}

// firstOpen returns the key's earliest open session (nil: none).
func (w *SessionWindow) firstOpen(pk []byte) (*windowing.Span, error) {
	var out *windowing.Span
	prefix := tagged(tagSessions, pk)
	err := w.State.Store.Scan(w.ID, prefix, func(k, v []byte) error {
		start, err := decodeTS(k[len(prefix):])
		if err != nil {
			return err
		}
		out = &windowing.Span{Start: start, End: int64(binary.BigEndian.Uint64(v))}
		return errStopScan
	})
	if err != nil && err != errStopScan {
		return nil, err
	}
	return out, nil
}
