package exec

import (
	"bytes"
	"encoding/binary"

	"github.com/weir-db/weir/types"
)

// joinRows is what a HashJoin holds in memory for one join key of one
// side: the key's stored rows, decoded, in the order they were loaded or
// added. It is a write-through cache over the side's state table: every
// change is written to state too, so dropping it loses nothing.
type joinRows struct {
	k       string // the join key
	entries []*joinEntry
	byRow   map[string]*joinEntry // by row key
	dead    int                   // entries whose count fell to 0
}

// joinCache is one side's cached keys, bounded by a row budget.
type joinCache struct {
	keys map[string]*joinRows
	rows int
	// whole says whether keys holds every row of the side's state, so a
	// key it lacks has no rows and needs no read: a small side (q7's
	// window maxima, a dimension table) is probed without touching Pebble.
	// It is found out at the first read after a start and lost for good
	// once the side outgrows the budget.
	whole wholeness
	// byBucket lists, for a side in expiry buckets, the cached rows of
	// each bucket, so expiring a bucket drops them without a scan.
	// Entries uncached since are skipped when the bucket expires.
	byBucket map[int64][]bucketRow
}

// bucketRow is a cached row of a bucket, among the rows r of its join
// key.
type bucketRow struct {
	r *joinRows
	e *joinEntry
}

type wholeness int8

const (
	wholeUnknown wholeness = iota
	wholeYes
	wholeNo
)

// noRows is what a key with no rows gives when the cache is whole; it is
// not cached, so absent keys that are only probed take no memory.
var noRows = &joinRows{}

// defaultJoinCacheRows bounds each side's cache when CacheRows is 0.
const defaultJoinCacheRows = 1 << 16

func (j *HashJoin) cacheLimit() int {
	if j.CacheRows > 0 {
		return j.CacheRows
	}
	return defaultJoinCacheRows
}

// rowsOf returns side's rows under join key k, loading them from state on
// a miss.
func (j *HashJoin) rowsOf(side int, k []byte) (*joinRows, error) {
	c := &j.cache[side]
	if r := c.keys[string(k)]; r != nil {
		return r, nil
	}
	if c.whole == wholeUnknown {
		if err := j.loadWhole(side); err != nil {
			return nil, err
		}
		if r := c.keys[string(k)]; r != nil {
			return r, nil
		}
	}
	if c.whole == wholeYes {
		return noRows, nil
	}
	r := &joinRows{k: string(k), byRow: map[string]*joinEntry{}}
	off := j.rowOffset(side, k)
	load := func(key, v []byte) error {
		e, err := j.decodeEntry(key, v, side)
		if err != nil {
			return err
		}
		r.add(&e, off)
		return nil
	}
	var err error
	if j.buckets[side].width > 0 {
		err = j.scanBuckets(side, k, load)
	} else {
		err = j.State.Store.Scan(j.IDs[side], k, load)
	}
	if err != nil {
		return nil, err
	}
	j.cacheKey(side, k, r)
	return r, nil
}

// cacheKey caches r as side's rows under k.
func (j *HashJoin) cacheKey(side int, k []byte, r *joinRows) {
	c := &j.cache[side]
	if c.keys == nil || c.rows+len(r.entries) > j.cacheLimit() {
		// Over budget: start again. State is in the table; the cache only
		// saves reads.
		c.keys, c.rows, c.byBucket = map[string]*joinRows{}, 0, nil
		if c.whole == wholeYes {
			c.whole = wholeNo
		}
	}
	c.keys[string(k)] = r
	c.rows += len(r.entries)
	for _, e := range r.entries {
		j.track(side, r, e)
	}
}

// track lists cached entry e of rows r under its bucket, for a side in
// expiry buckets.
func (j *HashJoin) track(side int, r *joinRows, e *joinEntry) {
	if j.buckets[side].width == 0 {
		return
	}
	c := &j.cache[side]
	if c.byBucket == nil {
		c.byBucket = map[int64][]bucketRow{}
	}
	n := decodeBucket(e.key)
	c.byBucket[n] = append(c.byBucket[n], bucketRow{r: r, e: e})
}

// loadWhole reads side's state into the cache if it fits the budget,
// and records whether it did.
func (j *HashJoin) loadWhole(side int) error {
	c := &j.cache[side]
	keys, n := map[string]*joinRows{}, 0
	err := j.State.Store.Scan(j.IDs[side], nil, func(key, v []byte) error {
		if n++; n > j.cacheLimit() {
			return errStop
		}
		e, err := j.decodeEntry(key, v, side)
		if err != nil {
			return err
		}
		k, ok := j.joinKey(nil, side, e.row)
		pre := j.rowOffset(side, k) - len(k)
		if !ok || len(key) < pre || !bytes.HasPrefix(key[pre:], k) {
			return types.Errorf(types.CodeDataCorrupted, "join state entry does not start with its row's join key")
		}
		r := keys[string(k)]
		if r == nil {
			r = &joinRows{k: string(k), byRow: map[string]*joinEntry{}}
			keys[r.k] = r
		}
		r.add(&e, pre+len(k))
		return nil
	})
	switch {
	case err == errStop:
		c.whole = wholeNo
		return nil
	case err != nil:
		return err
	}
	c.keys, c.rows, c.whole, c.byBucket = keys, n, wholeYes, nil
	for _, r := range keys {
		for _, e := range r.entries {
			j.track(side, r, e)
		}
	}
	return nil
}

func (r *joinRows) add(e *joinEntry, keyLen int) {
	r.entries = append(r.entries, e)
	r.byRow[string(e.key[keyLen:])] = e
}

// remove drops an entry whose count fell to 0, compacting now and then.
func (r *joinRows) remove(e *joinEntry, keyLen int) {
	delete(r.byRow, string(e.key[keyLen:]))
	r.dead++
	if r.dead > 8 && r.dead > len(r.entries)/2 {
		live := r.entries[:0]
		for _, x := range r.entries {
			if x.count > 0 {
				live = append(live, x)
			}
		}
		r.entries, r.dead = live, 0
	}
}

// forget drops one row from the cache of side (it expired); its row key
// starts at rowAt in its state key.
func (j *HashJoin) forget(side int, stateKey []byte, rowAt int) {
	k := stateKey[j.rowOffset(side, nil):rowAt]
	r := j.cache[side].keys[string(k)]
	if r == nil {
		return
	}
	if e := r.byRow[string(stateKey[rowAt:])]; e != nil {
		e.count = 0
		j.uncache(side, r, e, k)
	}
}

// uncache drops entry e, whose count fell to 0, from side's cached rows r
// under join key k, and the key once it has no rows left, so that a
// cache held whole does not fill with keys whose rows are gone.
func (j *HashJoin) uncache(side int, r *joinRows, e *joinEntry, k []byte) {
	c := &j.cache[side]
	r.remove(e, j.rowOffset(side, k))
	c.rows--
	if len(r.byRow) == 0 {
		delete(c.keys, string(k))
	}
}

func (j *HashJoin) dropCache() {
	j.cache = [2]joinCache{}
}

// expiryValue is an expiry index entry's value: the join key's length,
// then the row's state key.
func expiryValue(key []byte, keyLen int) []byte {
	return append(binary.AppendUvarint(nil, uint64(keyLen)), key...)
}

func decodeExpiryValue(v []byte) ([]byte, int, error) {
	n, w := binary.Uvarint(v)
	if w <= 0 || int(n) > len(v)-w {
		return nil, 0, types.Errorf(types.CodeDataCorrupted, "corrupt join expiry entry")
	}
	return v[w:], int(n), nil
}
