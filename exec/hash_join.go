package exec

import (
	"encoding/binary"
	"errors"

	"github.com/weir-db/weir/storage/encoding"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// JoinExpiry bounds how long a side's rows can still match: a row of the
// side is dropped once the other side's watermark passes row[Col] + Delta.
// Rows of the other side whose OtherCol plus OtherSlack is below its
// watermark are late: they are dropped and counted, since the rows they
// could match may be gone.
type JoinExpiry struct {
	Col        int
	Delta      int64
	OtherCol   int
	OtherSlack int64
}

// HashJoin is a symmetric hash join of two changelogs with state in
// Pebble. Each side's rows are stored under their join key, with their
// multiplicity and their degree (how many rows of the other side they
// match, counted with multiplicity), so every change is joined with the
// other side's current rows exactly once and an outer side's NULL padding
// is retracted when its first match appears and restored when its last
// match goes.
//
// State tables: IDs[0] and IDs[1] hold each side's rows, key = join key ‖
// row key, value = varint count ‖ varint degree ‖ row. Aux holds each
// expiring side's expiry index (side byte ‖ expiry time ‖ row key → state
// key) and the counters (late rows, watermarks).
//
// A Temporal join is a lookup: left rows probe the right side's current
// rows and are not stored (never revised); right changes only update
// state.
type HashJoin struct {
	Kind     JoinType
	Types    [2][]types.Type
	Keys     [2][]int
	Cond     Expr // over the left row then the right row; nil: none
	Temporal bool
	Expire   [2]*JoinExpiry
	Timed    [2]bool // which sides deliver watermarks
	IDs      [2]uint32
	Aux      uint32
	State    *StateHandle
	// CacheRows bounds the rows each side keeps decoded in memory (0: a
	// default).
	CacheRows int
	// AppendOnly marks sides whose input never retracts. Their rows are
	// stored each under a key of its own (join key ‖ sequence number,
	// counted in Aux; state written before held join key ‖ row key ‖
	// sequence), with no read for an equal row first.
	AppendOnly [2]bool
	// Keyed lists, per side, the columns of the side's upsert key (nil:
	// none): such a side has at most one live row per key, so its rows
	// are stored by that key and an update rewrites the row in place
	// (see hash_join_keyed.go).
	Keyed [2][]int

	started bool
	keyed   [2]bool // the side's rows are stored by their upsert key
	cache   [2]joinCache
	wms     sideWatermarks
	sideWM  [2]counter
	late    counter
	wm      counter
	seq     [2]counter
	seqUsed [2]bool
	// outData is, per side, the bytes of strings of the last output and
	// the input rows it came from: the next output reserves as many per
	// row.
	outData [2]struct {
		bytes, scaled []int
		rows          int
	}
	buckets [2]joinBuckets
	// unbucketed makes new append-only sides store rows as they were
	// before buckets existed, so tests can check that such state still
	// works.
	unbucketed bool
	// condCols are the columns of each side the condition reads (nil:
	// unknown, so pairs are laid out whole), found on first use.
	condCols      [2][]int
	condColsKnown bool
	condBuf       []types.Datum
	pairBuf       []types.Datum
	encBuf        []byte
	// keyBufs hold join keys (two: an update's old and new rows'), and
	// rowKeyBuf a row's key, while a change is applied.
	keyBufs   [2][]byte
	rowKeyBuf []byte
	leanKey   []byte // a state key stored by storeLean
	// expiredTo is, per side, the expiry index position below which
	// every entry is gone (nil: unknown since the start).
	expiredTo [2][]byte
}

var (
	sideWMKeys = [2][]byte{{0xff, 's', 0}, {0xff, 's', 1}}
	seqKeys    = [2][]byte{{0xff, 'q', 0}, {0xff, 'q', 1}}
	errStop    = errors.New("stop")
)

// Reset implements Resetter: in-memory copies are read again.
func (j *HashJoin) Reset() {
	j.started = false
	j.seqUsed = [2]bool{}
	j.expiredTo = [2][]byte{}
	j.dropCache()
}

func (j *HashJoin) start() error {
	if j.started {
		return nil
	}
	s := j.State.Store
	j.wms = newSideWatermarks(j.Timed[:])
	j.late = counter{key: lateKey}
	j.wm = counter{key: watermarkKey}
	if err := j.late.load(s, j.Aux, 0); err != nil {
		return err
	}
	if err := j.wm.load(s, j.Aux, windowing.NoWatermark); err != nil {
		return err
	}
	j.wms.out = j.wm.v
	for side := range j.sideWM {
		j.sideWM[side] = counter{key: sideWMKeys[side]}
		if err := j.sideWM[side].load(s, j.Aux, windowing.NoWatermark); err != nil {
			return err
		}
		j.wms.wm[side] = j.sideWM[side].v
		j.seq[side] = counter{key: seqKeys[side]}
		if err := j.seq[side].load(s, j.Aux, 0); err != nil {
			return err
		}
		if err := j.startBuckets(side); err != nil {
			return err
		}
		if err := j.startKeyed(side); err != nil {
			return err
		}
	}
	j.started = true
	return nil
}

// preserved reports whether side's unmatched rows are output padded.
func (j *HashJoin) preserved(side int) bool {
	switch j.Kind {
	case JoinLeft:
		return side == 0
	case JoinRight:
		return side == 1
	case JoinFull:
		return true
	}
	return false
}

// ProcessSide implements Combiner.
func (j *HashJoin) ProcessSide(side int, m Message) ([]Message, error) {
	if err := j.start(); err != nil {
		return nil, err
	}
	switch {
	case m.Watermark != nil:
		return j.watermark(side, *m.Watermark)
	case m.Fire:
		if side == 0 {
			return []Message{m}, nil
		}
		return nil, nil
	case m.Chunk == nil:
		return nil, nil
	}
	c := m.Chunk
	out := NewChunkBuilder(j.outTypes())
	out.ReserveRows(c.Len()) // a row matches about one row, in most joins
	// As many bytes of strings per input row as the side's last output,
	// up to a bound (past it, buffers grow as they fill).
	hint := &j.outData[side]
	hint.scaled = hint.scaled[:0]
	for _, n := range hint.bytes {
		hint.scaled = append(hint.scaled, min(n*c.Len()/max(hint.rows, 1), maxReservedData))
	}
	out.ReserveData(hint.scaled)
	row := make([]types.Datum, 0, len(c.Types))
	var old []types.Datum
	lean := c.Rec != nil && j.leanSide(side)
	for i := 0; i < c.Len(); i++ {
		if lean {
			if done, err := j.storeLean(side, c, i); err != nil {
				return nil, err
			} else if done {
				continue
			}
		}
		if j.keyed[side] && c.Ops[i] == UpdateDelete && i+1 < c.Len() && c.Ops[i+1] == UpdateInsert {
			old, row = c.Row(i, old), c.Row(i+1, row)
			if err := j.update(side, old, row, out); err != nil {
				return nil, err
			}
			i++
			continue
		}
		row = c.Row(i, row)
		if err := j.apply(side, row, c.Ops[i].Sign(), out); err != nil {
			return nil, err
		}
	}
	if j.seqUsed[side] {
		j.seqUsed[side] = false
		if err := j.seq[side].store(j.State.Store, j.Aux); err != nil {
			return nil, err
		}
	}
	if oc := out.Build(); oc != nil {
		hint.bytes, hint.rows = dataBytes(oc, hint.bytes), c.Len()
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}

func (j *HashJoin) outTypes() []types.Type {
	if j.Kind == JoinSemi || j.Kind == JoinAnti {
		return j.Types[0]
	}
	return append(append([]types.Type(nil), j.Types[0]...), j.Types[1]...)
}

// joinEntry is a stored row of one side.
type joinEntry struct {
	key    []byte
	count  int64
	degree int64
	row    []types.Datum
}

// encodeEntry encodes e's state value into a buffer reused from call to
// call (the store copies what it is given).
func (j *HashJoin) encodeEntry(e *joinEntry, side int) []byte {
	v := binary.AppendVarint(j.encBuf[:0], e.count)
	v = binary.AppendVarint(v, e.degree)
	j.encBuf = types.AppendRow(v, j.Types[side], e.row)
	return j.encBuf
}

func (j *HashJoin) decodeEntry(k, v []byte, side int) (joinEntry, error) {
	n, w := binary.Varint(v)
	if w <= 0 {
		return joinEntry{}, types.Errorf(types.CodeDataCorrupted, "corrupt join state entry")
	}
	d, w2 := binary.Varint(v[w:])
	if w2 <= 0 {
		return joinEntry{}, types.Errorf(types.CodeDataCorrupted, "corrupt join state entry")
	}
	row, err := types.DecodeRow(v[w+w2:], j.Types[side], nil)
	if err != nil {
		return joinEntry{}, err
	}
	return joinEntry{key: append([]byte(nil), k...), count: n, degree: d, row: row}, nil
}

// joinKey encodes row's join key, appending to buf; ok is false when a
// key column is NULL (such a row matches nothing).
func (j *HashJoin) joinKey(buf []byte, side int, row []types.Datum) ([]byte, bool) {
	k := buf
	for _, c := range j.Keys[side] {
		if row[c] == nil {
			return nil, false
		}
		k = types.AppendKey(k, j.Types[side][c], row[c], false)
	}
	return k, true
}

// matches returns the other side's rows under key k that satisfy the
// condition with row.
func (j *HashJoin) matches(side int, k []byte, row []types.Datum) ([]*joinEntry, error) {
	other := 1 - side
	rows, err := j.rowsOf(other, k)
	if err != nil {
		return nil, err
	}
	var out []*joinEntry
	for _, e := range rows.entries {
		if e.count <= 0 {
			continue
		}
		if j.Cond != nil {
			buf := j.condPair(side, row, e.row)
			ok, err := j.Cond.EvalRow(buf)
			if err != nil {
				return nil, err
			}
			if ok != true {
				continue
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// needsDegree reports whether side's rows must track their matches: an
// outer side pads the unmatched, a semi or anti join's left side emits by
// them.
func (j *HashJoin) needsDegree(side int) bool {
	return j.preserved(side) || side == 0 && (j.Kind == JoinSemi || j.Kind == JoinAnti)
}

// condPair lays out what the condition reads of the joined row of side's
// row and the other side's row, in a buffer reused from call to call:
// the other columns keep stale values the condition never reads.
func (j *HashJoin) condPair(side int, row, other []types.Datum) []types.Datum {
	if !j.condColsKnown {
		j.condColsKnown = true
		used := map[int]bool{}
		if exprColumns(j.Cond, used) {
			nl := len(j.Types[0])
			j.condCols = [2][]int{{}, {}}
			for c := range used {
				if c < nl {
					j.condCols[0] = append(j.condCols[0], c)
				} else {
					j.condCols[1] = append(j.condCols[1], c-nl)
				}
			}
		}
	}
	if j.condCols[0] == nil {
		j.condBuf = j.pair(j.condBuf, side, row, other)
		return j.condBuf
	}
	nl, n := len(j.Types[0]), len(j.Types[0])+len(j.Types[1])
	if len(j.condBuf) != n {
		j.condBuf = make([]types.Datum, n)
	}
	l, r := row, other
	if side == 1 {
		l, r = other, row
	}
	for _, c := range j.condCols[0] {
		j.condBuf[c] = l[c]
	}
	for _, c := range j.condCols[1] {
		j.condBuf[nl+c] = r[c]
	}
	return j.condBuf
}

// pair lays out the joined row of side's row and the other side's row.
func (j *HashJoin) pair(buf []types.Datum, side int, row, other []types.Datum) []types.Datum {
	buf = buf[:0]
	if side == 0 {
		return append(append(buf, row...), other...)
	}
	return append(append(buf, other...), row...)
}

// padded is side's row with NULLs for the other side's columns.
func (j *HashJoin) padded(side int, row []types.Datum) []types.Datum {
	nulls := make([]types.Datum, len(j.Types[1-side]))
	if side == 0 {
		return append(append([]types.Datum(nil), row...), nulls...)
	}
	return append(nulls, row...)
}

func opOf(sign int64) Op {
	if sign > 0 {
		return Insert
	}
	return Delete
}

func appendN(out *ChunkBuilder, op Op, row []types.Datum, n int64) {
	for ; n > 0; n-- {
		out.Append(op, row)
	}
}

// apply joins one change of side's row (sign +1 or -1) and updates state.
func (j *HashJoin) apply(side int, row []types.Datum, sign int64, out *ChunkBuilder) error {
	k, degree, ok, err := j.join(side, row, sign, 0, out)
	if err != nil || !ok {
		return err
	}
	_, err = j.store(side, k, row, sign, degree)
	return err
}

// join outputs what one change of side's row (sign +1 or -1) changes in
// the join's result, and updates the degrees of the other side's rows it
// matches. It returns the row's join key, encoded in key buffer slot (0
// or 1: valid until the next call with that slot), the row's degree, and
// whether the row is to be stored (not when it is late, or its key is
// NULL).
func (j *HashJoin) join(side int, row []types.Datum, sign int64, slot int, out *ChunkBuilder) (k []byte, degree int64, ok bool, err error) {
	if x := j.Expire[1-side]; x != nil && j.wms.wm[side] != windowing.NoWatermark {
		if t, ok := row[x.OtherCol].(types.DTimestamp); ok && int64(t)+x.OtherSlack < j.wms.wm[side] {
			j.late.v++
			return nil, 0, false, j.late.store(j.State.Store, j.Aux)
		}
	}
	op := opOf(sign)
	k, ok = j.joinKey(j.keyBufs[slot][:0], side, row)
	if !ok {
		if j.preserved(side) || side == 0 && j.Kind == JoinAnti {
			if j.Kind == JoinAnti {
				out.Append(op, row)
			} else {
				out.Append(op, j.padded(side, row))
			}
		}
		return nil, 0, false, nil
	}
	if j.Temporal && side == 1 {
		return k, 0, true, nil
	}
	ms, err := j.matches(side, k, row)
	if err != nil {
		return nil, 0, false, err
	}
	// Joined rows are laid out in a buffer reused from call to call: the
	// output builder copies them.
	buf := j.pairBuf
	defer func() { j.pairBuf = buf }()
	other := 1 - side
	track := j.needsDegree(other)
	semi := j.Kind == JoinSemi || j.Kind == JoinAnti
	for _, e := range ms {
		degree += e.count
		if j.Temporal {
			buf = j.pair(buf, side, row, e.row)
			out.Append(op, buf)
			continue
		}
		if !track {
			if !semi {
				buf = j.pair(buf, side, row, e.row)
				appendN(out, op, buf, e.count)
			}
			continue
		}
		before := e.degree
		e.degree += sign
		if e.degree < 0 {
			return nil, 0, false, types.Errorf(types.CodeDataCorrupted, "join state: a row matches a negative number of rows")
		}
		switch {
		case j.Kind == JoinSemi || j.Kind == JoinAnti:
			if side == 1 && (before == 0) != (e.degree == 0) {
				// A semi join's row appears with its first match, an anti
				// join's disappears.
				op := Insert
				if (e.degree > 0) == (j.Kind == JoinAnti) {
					op = Delete
				}
				appendN(out, op, e.row, e.count)
			}
		default:
			if j.preserved(other) && before == 0 && e.degree > 0 {
				appendN(out, Delete, j.padded(other, e.row), e.count)
			}
			buf = j.pair(buf, side, row, e.row)
			appendN(out, op, buf, e.count)
			if j.preserved(other) && before > 0 && e.degree == 0 {
				appendN(out, Insert, j.padded(other, e.row), e.count)
			}
		}
		if err := j.State.Store.Set(j.IDs[other], e.key, j.encodeEntry(e, other)); err != nil {
			return nil, 0, false, err
		}
	}
	switch {
	case j.Kind == JoinSemi && side == 0:
		if degree > 0 {
			out.Append(op, row)
		}
	case j.Kind == JoinAnti && side == 0:
		if degree == 0 {
			out.Append(op, row)
		}
	case j.preserved(side) && degree == 0:
		out.Append(op, j.padded(side, row))
	}
	if j.Temporal {
		return nil, 0, false, nil
	}
	if !j.needsDegree(side) {
		degree = 0
	}
	j.keyBufs[slot] = k
	return k, degree, true, nil
}

// store adds sign to row's multiplicity on side, with its degree, and
// keeps its expiry index entry; it returns the new multiplicity.
func (j *HashJoin) store(side int, k []byte, row []types.Datum, sign, degree int64) (int64, error) {
	if j.AppendOnly[side] {
		rows, err := j.cachedRows(side, k)
		if err != nil {
			return 0, err
		}
		return j.storeAppended(side, k, rows, row, sign, degree)
	}
	s := j.State.Store
	rows, e, rk, err := j.entryOf(side, k, row)
	if err != nil {
		return 0, err
	}
	if e != nil && j.keyed[side] && (sign > 0 && e.count > 0 || sign < 0 && !rowsEqual(e.row, row)) {
		return 0, types.Errorf(types.CodeDataCorrupted, "join state: a change does not match the row its side holds under the change's key")
	}
	if e == nil {
		if sign < 0 {
			return 0, types.Errorf(types.CodeDataCorrupted, "join received a retraction for a row it does not hold")
		}
		e = &joinEntry{key: j.changelogKey(side, k, rk, row), row: append([]types.Datum(nil), row...)}
		if b := &j.buckets[side]; b.width > 0 {
			b.live[decodeBucket(e.key)] = struct{}{}
		}
		if rows != nil {
			rows.add(e, j.rowOffset(side, k))
			j.cache[side].rows++
			j.track(side, rows, e)
		}
	}
	before := e.count
	e.count += sign
	e.degree = degree
	if e.count == 0 {
		if rows != nil {
			j.uncache(side, rows, e, k)
		}
		err = s.Delete(j.IDs[side], e.key)
	} else {
		err = s.Set(j.IDs[side], e.key, j.encodeEntry(e, side))
	}
	if err != nil || j.Expire[side] == nil || j.buckets[side].width > 0 || (before == 0) == (e.count == 0) {
		return e.count, err
	}
	ik := j.expiryKey(side, row, e.key)
	if e.count == 0 {
		return 0, s.Delete(j.Aux, ik)
	}
	j.noteExpiry(side, ik)
	return e.count, s.Set(j.Aux, ik, expiryValue(e.key, len(k)))
}

// cachedRows returns side's cached rows under join key k (nil: not
// cached), finding out first whether the side fits the cache whole.
func (j *HashJoin) cachedRows(side int, k []byte) (*joinRows, error) {
	c := &j.cache[side]
	rows := c.keys[string(k)]
	if rows == nil && c.whole == wholeUnknown {
		if err := j.loadWhole(side); err != nil {
			return nil, err
		}
		rows = c.keys[string(k)]
	}
	if rows == nil && c.whole == wholeYes {
		// A new key of a side held whole: cache it, to stay whole.
		rows = &joinRows{k: string(k), byRow: map[string]*joinEntry{}}
		j.cacheKey(side, k, rows)
	}
	return rows, nil
}

// entryOf finds the stored entry of row under join key k on a changelog
// side (nil: none), with the key's cached rows (nil: not cached) and the
// row's key within the join key.
func (j *HashJoin) entryOf(side int, k []byte, row []types.Datum) (*joinRows, *joinEntry, []byte, error) {
	rows, err := j.cachedRows(side, k)
	if err != nil {
		return nil, nil, nil, err
	}
	rk := j.rowKeyOf(side, row)
	if rows != nil {
		return rows, rows.byRow[string(rk)], rk, nil
	}
	// The key is not cached: read only this row's entry. A point read
	// is answered by bloom filters when the row is new (the usual case),
	// where loading the key's rows would scan.
	key := j.changelogKey(side, k, rk, row)
	v, err := j.State.Store.Get(j.IDs[side], key)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil, rk, nil
	case err != nil:
		return nil, nil, nil, err
	}
	e, err := j.decodeEntry(key, v, side)
	if err != nil {
		return nil, nil, nil, err
	}
	return nil, &e, rk, nil
}

// changelogKey is the state key of row (row key rk) under join key k on
// a side whose rows can be retracted: in its expiry bucket first when
// the side is bucketed.
func (j *HashJoin) changelogKey(side int, k, rk []byte, row []types.Datum) []byte {
	key := make([]byte, 0, bucketKeyLen+len(k)+len(rk))
	if j.buckets[side].width > 0 {
		key = appendBucket(key, j.bucketOf(side, row))
	}
	return append(append(key, k...), rk...)
}

// storeAppended stores a new row of an append-only side under a key of
// its own. rows is the key's cached rows, if cached.
func (j *HashJoin) storeAppended(side int, k []byte, rows *joinRows, row []types.Datum, sign, degree int64) (int64, error) {
	if sign < 0 {
		return 0, types.Errorf(types.CodeInternalError, "join side declared append-only received a retraction")
	}
	s := j.State.Store
	j.seq[side].v++
	j.seqUsed[side] = true
	b := &j.buckets[side]
	key := make([]byte, 0, bucketKeyLen+len(k)+8)
	if b.width > 0 {
		n := j.bucketOf(side, row)
		b.live[n] = struct{}{}
		key = appendBucket(key, n)
	}
	key = binary.BigEndian.AppendUint64(append(key, k...), uint64(j.seq[side].v))
	e := &joinEntry{key: key, count: sign, degree: degree, row: row}
	if rows != nil {
		e.row = append([]types.Datum(nil), row...)
		rows.add(e, j.rowOffset(side, k))
		j.cache[side].rows++
		j.track(side, rows, e)
	}
	if err := s.Set(j.IDs[side], e.key, j.encodeEntry(e, side)); err != nil {
		return 0, err
	}
	if j.Expire[side] == nil || b.width > 0 {
		return e.count, nil
	}
	ik := j.expiryKey(side, row, e.key)
	j.noteExpiry(side, ik)
	return e.count, s.Set(j.Aux, ik, expiryValue(e.key, len(k)))
}

// noteExpiry keeps expiredTo below a new expiry index entry: a row can
// arrive already past the other side's watermark (it is on time by its
// own side's), and must still be expired.
func (j *HashJoin) noteExpiry(side int, ik []byte) {
	if to := j.expiredTo[side]; to != nil && string(ik) < string(to) {
		j.expiredTo[side] = append([]byte(nil), ik...)
	}
}

// expiryKey is the expiry index entry of a row of side: rows whose time
// column is NULL can never satisfy the bound, so they expire first.
func (j *HashJoin) expiryKey(side int, row []types.Datum, key []byte) []byte {
	x := j.Expire[side]
	at := int64(windowing.NoWatermark)
	if t, ok := row[x.Col].(types.DTimestamp); ok {
		at = int64(t) + x.Delta
	}
	return append(encoding.AppendInt([]byte{byte(side)}, at), key...)
}

// watermark records side's watermark, expires the other side's rows it
// makes unmatchable, and forwards the combined watermark if it moved.
func (j *HashJoin) watermark(side int, wm int64) ([]Message, error) {
	s := j.State.Store
	if wm > j.sideWM[side].v {
		j.sideWM[side].v = wm
		if err := j.sideWM[side].store(s, j.Aux); err != nil {
			return nil, err
		}
	}
	if other := 1 - side; j.Expire[other] != nil {
		if err := j.expire(other, j.sideWM[side].v); err != nil {
			return nil, err
		}
	}
	out, moved := j.wms.observe(side, wm)
	if !moved {
		return nil, nil
	}
	j.wm.v = out
	if err := j.wm.store(s, j.Aux); err != nil {
		return nil, err
	}
	return []Message{{Watermark: &out}}, nil
}

// expire drops side's rows whose expiry is below wm.
func (j *HashJoin) expire(side int, wm int64) error {
	if j.buckets[side].width > 0 {
		return j.expireBuckets(side, wm)
	}
	s := j.State.Store
	bound := encoding.AppendInt([]byte{byte(side)}, wm)
	from := j.expiredTo[side]
	if from == nil {
		from = []byte{byte(side)}
	}
	if string(from) >= string(bound) {
		return nil
	}
	var dead [][2][]byte
	// Entries below from were deleted by earlier calls: starting there
	// skips their tombstones, which Pebble would otherwise step over
	// until a compaction drops them.
	err := s.ScanRange(j.Aux, from, bound, func(k, v []byte) error {
		dead = append(dead, [2][]byte{append([]byte(nil), k...), append([]byte(nil), v...)})
		return nil
	})
	if err != nil {
		return err
	}
	j.expiredTo[side] = bound
	for _, d := range dead {
		key, keyLen, err := decodeExpiryValue(d[1])
		if err != nil {
			return err
		}
		if err := s.Delete(j.Aux, d[0]); err != nil {
			return err
		}
		if err := s.Delete(j.IDs[side], key); err != nil {
			return err
		}
		j.forget(side, key, keyLen)
	}
	return nil
}
