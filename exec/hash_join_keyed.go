package exec

import (
	"bytes"
	"errors"

	"github.com/weir-db/weir/types"
)

// A changelog side with an upsert key (an aggregation's output, a
// table's changes) holds at most one live row per key. Such a side
// stores its rows by that key, join key ‖ upsert key, not by the whole
// row, and an update (U- then U+ of one key) that keeps the row under
// the same join key and expiry bucket rewrites the row's entry in place:
// one write, no deletion, and the cached entry stays where it is. In
// Nexmark q5 every count change of an auction is such an update.
//
// The layout is chosen once per side, while the side holds no rows, and
// recorded in Aux under keyedKeys: a side that stored rows by their whole
// row before keeps doing so.

var keyedKeys = [2][]byte{{0xff, 'u', 0}, {0xff, 'u', 1}}

// startKeyed chooses side's layout.
func (j *HashJoin) startKeyed(side int) error {
	j.keyed[side] = false
	if j.Keyed[side] == nil || j.AppendOnly[side] {
		return nil
	}
	s := j.State.Store
	_, err := s.Get(j.Aux, keyedKeys[side])
	switch {
	case err == nil:
		j.keyed[side] = true
		return nil
	case !errors.Is(err, ErrNotFound):
		return err
	}
	held, err := j.holdsRows(side)
	if err != nil || held {
		return err
	}
	j.keyed[side] = true
	return s.Set(j.Aux, keyedKeys[side], []byte{1})
}

// rowKeyOf is row's key within its join key on side: its upsert key when
// the side is keyed, else the whole row. It is valid until the next call.
func (j *HashJoin) rowKeyOf(side int, row []types.Datum) []byte {
	k := j.rowKeyBuf[:0]
	if !j.keyed[side] {
		for i, t := range j.Types[side] {
			k = types.AppendKey(k, t, row[i], false)
		}
	} else {
		for _, c := range j.Keyed[side] {
			k = types.AppendKey(k, j.Types[side][c], row[c], false)
		}
	}
	j.rowKeyBuf = k
	return k
}

// update joins an update of a keyed side's row from old to row: the
// retraction, then the insertion, exactly as two changes would, but
// stored with one write when the row stays under its join key and
// bucket.
func (j *HashJoin) update(side int, old, row []types.Datum, out *ChunkBuilder) error {
	ko, do, storeOld, err := j.join(side, old, -1, 0, out)
	if err != nil {
		return err
	}
	kn, dn, storeNew, err := j.join(side, row, 1, 1, out)
	if err != nil {
		return err
	}
	if storeOld && storeNew && bytes.Equal(ko, kn) && j.sameSlot(side, old, row) {
		done, err := j.rewrite(side, kn, old, row, dn)
		if err != nil || done {
			return err
		}
	}
	if storeOld {
		if _, err := j.store(side, ko, old, -1, do); err != nil {
			return err
		}
	}
	if storeNew {
		_, err = j.store(side, kn, row, 1, dn)
	}
	return err
}

// sameSlot reports whether old and row of side have one state key: the
// same upsert key and, for a side whose rows expire, the same bucket (a
// side with an expiry index is left to store, which keeps the index).
func (j *HashJoin) sameSlot(side int, old, row []types.Datum) bool {
	if j.Expire[side] != nil && (j.buckets[side].width == 0 || j.bucketOf(side, old) != j.bucketOf(side, row)) {
		return false
	}
	for _, c := range j.Keyed[side] {
		if (old[c] == nil) != (row[c] == nil) || old[c] != nil && types.Compare(old[c], row[c]) != 0 {
			return false
		}
	}
	return true
}

// rewrite replaces the row old of side under join key k with row and
// its degree, in place; false when old is not there as a single row (store
// then reports what is wrong).
func (j *HashJoin) rewrite(side int, k []byte, old, row []types.Datum, degree int64) (bool, error) {
	_, e, _, err := j.entryOf(side, k, old)
	if err != nil || e == nil || e.count != 1 || !rowsEqual(e.row, old) {
		return false, err
	}
	e.row = append(e.row[:0], row...)
	e.degree = degree
	return true, j.State.Store.Set(j.IDs[side], e.key, j.encodeEntry(e, side))
}
