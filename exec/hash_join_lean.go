package exec

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// A new row of an append-only side that matches no row of the other side
// and whose side outputs nothing unmatched changes no output: it only has
// to be stored. In a stream joined with a sparse or filtered side most
// rows are such rows (q20 stores every bid, and one in five finds its
// auction), so they are stored straight from the chunk's arrays (join
// key, expiry bucket, encoded row) without becoming datums. Rows that
// match, rows whose join key the cache holds, and anything unusual take
// the datum path, with nothing changed before.

// leanSide reports whether side's rows may be stored by storeLean.
func (j *HashJoin) leanSide(side int) bool {
	return j.AppendOnly[side] && !j.keyed[side] && !j.Temporal &&
		!j.preserved(side) && !(j.Kind == JoinAnti && side == 0) &&
		(j.Expire[side] == nil || j.buckets[side].width > 0)
}

// storeLean stores row i of c, a chunk of side, if the row is new and
// matches nothing, or counts it if it is late; it reports whether it did.
func (j *HashJoin) storeLean(side int, c *Chunk, i int) (bool, error) {
	if c.Ops[i] != Insert {
		return false, nil
	}
	cols := c.Rec.Columns()
	if x := j.Expire[1-side]; x != nil && j.wms.wm[side] != windowing.NoWatermark {
		t, null, ok := timeAt(cols[x.OtherCol], i)
		switch {
		case !ok:
			return false, nil
		case !null && t+x.OtherSlack < j.wms.wm[side]:
			j.late.v++
			return true, j.late.store(j.State.Store, j.Aux)
		}
	}
	bucket := int64(0)
	if b := &j.buckets[side]; b.width > 0 {
		t, null, ok := timeAt(cols[j.Expire[side].Col], i)
		if !ok {
			return false, nil
		}
		bucket = j.bucketAt(side, t, !null)
	}
	k, ok := j.joinKeyFrom(j.keyBufs[0][:0], side, cols, i)
	if !ok {
		return false, nil
	}
	j.keyBufs[0] = k
	other, err := j.rowsOf(1-side, k)
	if err != nil {
		return false, err
	}
	for _, e := range other.entries {
		if e.count > 0 {
			return false, nil
		}
	}
	if own, err := j.cachedRows(side, k); err != nil || own != nil {
		return false, err
	}
	j.seq[side].v++
	j.seqUsed[side] = true
	key := j.leanKey[:0]
	if b := &j.buckets[side]; b.width > 0 {
		b.live[bucket] = struct{}{}
		key = appendBucket(key, bucket)
	}
	key = binary.BigEndian.AppendUint64(append(key, k...), uint64(j.seq[side].v))
	j.leanKey = key
	v := binary.AppendVarint(j.encBuf[:0], 1) // count
	v = binary.AppendVarint(v, 0)             // degree: no matches
	j.encBuf = types.AppendRowFrom(v, j.Types[side], cols, i)
	return true, j.State.Store.Set(j.IDs[side], key, j.encBuf)
}

// joinKeyFrom is joinKey for row i of cols, read from the arrays.
func (j *HashJoin) joinKeyFrom(buf []byte, side int, cols []arrow.Array, i int) ([]byte, bool) {
	k := buf
	for _, c := range j.Keys[side] {
		if cols[c].IsNull(i) {
			return nil, false
		}
		k = appendRowKeyFrom(k, j.Types[side][c:c+1], cols[c:c+1], i)
	}
	return k, true
}

// timeAt reads row i of a timestamp column: ok is false when the array
// holds something else.
func timeAt(a arrow.Array, i int) (t int64, null, ok bool) {
	ts, ok := a.(*array.Timestamp)
	if !ok {
		return 0, false, false
	}
	if ts.IsNull(i) {
		return 0, true, true
	}
	return int64(ts.Value(i)), false, true
}
