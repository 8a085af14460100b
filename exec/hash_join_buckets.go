package exec

import (
	"encoding/binary"
	"errors"
	"sort"

	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// An append-only side whose rows expire (a stream in an interval or
// window join) stores each row under the bucket of its expiry time first:
// bucket ‖ join key ‖ sequence. When the other side's watermark
// passes a bucket's end, one range deletion drops the bucket's rows:
// storing a row is one write, with no expiry index entry to write and
// delete, and a flush drops rows that expire within the memtable. Rows
// stay until their whole bucket has expired, at most one bucket width
// past their own expiry; that changes no result, because expiry only
// drops rows the join condition no longer lets match any row that is not
// late. Loading a join key's rows reads one prefix per bucket in use.
//
// The layout is chosen once per side and recorded in Aux under
// bucketKeys; a side that stored rows before buckets existed keeps its
// expiry index (see expire).

// joinBuckets is one side's bucket layout: width 0 means the side is not
// bucketed.
type joinBuckets struct {
	width int64              // microseconds of expiry time per bucket
	live  map[int64]struct{} // buckets that may hold rows
}

// minJoinBucketMicros is the narrowest bucket: a second of event time.
const minJoinBucketMicros = 1_000_000

// bucketKeyLen is the length of a bucket's key prefix.
const bucketKeyLen = 8

var bucketKeys = [2][]byte{{0xff, 'b', 0}, {0xff, 'b', 1}}

// joinBucketWidth sizes buckets to a sixteenth of how long rows live past
// their time column (delta), so a side's rows span about sixteen buckets
// plus the watermark's lag.
func joinBucketWidth(delta int64) int64 { return max(minJoinBucketMicros, delta/16) }

func appendBucket(buf []byte, n int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(n)^1<<63)
}

func decodeBucket(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ 1<<63) }

// rowOffset is where the row key starts in a state key of side under
// join key k.
func (j *HashJoin) rowOffset(side int, k []byte) int {
	if j.buckets[side].width > 0 {
		return bucketKeyLen + len(k)
	}
	return len(k)
}

// startBuckets chooses side's layout and finds the buckets in use.
func (j *HashJoin) startBuckets(side int) error {
	b := &j.buckets[side]
	*b = joinBuckets{}
	if j.Expire[side] == nil {
		return nil
	}
	s := j.State.Store
	v, err := s.Get(j.Aux, bucketKeys[side])
	switch {
	case err == nil && len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > 0:
		b.width = int64(binary.BigEndian.Uint64(v))
	case err == nil:
		return types.Errorf(types.CodeDataCorrupted, "join state: corrupt bucket width")
	case !errors.Is(err, ErrNotFound):
		return err
	case j.seq[side].v > 0 || j.unbucketed:
		return nil // rows were stored with an expiry index
	case !j.AppendOnly[side]:
		// A changelog side keeps no sequence: any stored row, or expiry
		// index entry, means rows were stored with an expiry index.
		held, err := j.holdsRows(side)
		if err != nil || held {
			return err
		}
		fallthrough
	default:
		b.width = joinBucketWidth(j.Expire[side].Delta)
		if err := s.Set(j.Aux, bucketKeys[side], binary.BigEndian.AppendUint64(nil, uint64(b.width))); err != nil {
			return err
		}
	}
	b.live = map[int64]struct{}{}
	var lo []byte
	for {
		var at []byte
		err := s.ScanRange(j.IDs[side], lo, nil, func(k, _ []byte) error {
			at = append([]byte(nil), k...)
			return errStop
		})
		switch {
		case err != nil && err != errStop:
			return err
		case at == nil:
			return nil
		case len(at) < bucketKeyLen:
			return types.Errorf(types.CodeDataCorrupted, "join state: a %d-byte key in a bucketed side", len(at))
		}
		n := decodeBucket(at)
		b.live[n] = struct{}{}
		lo = appendBucket(nil, n+1)
	}
}

// holdsRows reports whether side has rows in state, or entries in the
// expiry index.
func (j *HashJoin) holdsRows(side int) (bool, error) {
	held := false
	found := func(_, _ []byte) error {
		held = true
		return errStop
	}
	err := j.State.Store.Scan(j.IDs[side], nil, found)
	if err == nil {
		err = j.State.Store.Scan(j.Aux, []byte{byte(side)}, found)
	}
	if err != nil && err != errStop {
		return false, err
	}
	return held, nil
}

// bucketOf is the bucket of side's row: rows whose time column is NULL
// can never satisfy the bound, so they go in the first bucket to expire.
func (j *HashJoin) bucketOf(side int, row []types.Datum) int64 {
	t, ok := row[j.Expire[side].Col].(types.DTimestamp)
	return j.bucketAt(side, int64(t), ok)
}

// bucketAt is the bucket of a row of side whose time column holds t (ok:
// not NULL).
func (j *HashJoin) bucketAt(side int, t int64, ok bool) int64 {
	if !ok {
		return windowing.NoWatermark / j.buckets[side].width
	}
	at := t + j.Expire[side].Delta
	w := j.buckets[side].width
	n := at / w
	if at%w < 0 {
		n-- // floor
	}
	return n
}

// scanBuckets calls fn for side's rows under join key k, bucket by
// bucket.
func (j *HashJoin) scanBuckets(side int, k []byte, fn func(key, v []byte) error) error {
	prefix := make([]byte, 0, bucketKeyLen+len(k))
	for n := range j.buckets[side].live {
		prefix = append(appendBucket(prefix[:0], n), k...)
		if err := j.State.Store.Scan(j.IDs[side], prefix, fn); err != nil {
			return err
		}
	}
	return nil
}

// expireBuckets drops side's buckets that end at or before wm: their
// cached rows leave the cache, then one range deletion each removes them.
func (j *HashJoin) expireBuckets(side int, wm int64) error {
	b := &j.buckets[side]
	if wm == windowing.NoWatermark {
		return nil
	}
	var dead []int64
	for n := range b.live {
		// The bucket holds expiry times in [n·w, (n+1)·w).
		if (n+1)*b.width <= wm {
			dead = append(dead, n)
		}
	}
	sort.Slice(dead, func(x, y int) bool { return dead[x] < dead[y] })
	s := j.State.Store
	c := &j.cache[side]
	for _, n := range dead {
		for _, br := range c.byBucket[n] {
			r := br.r
			if c.keys[r.k] != r {
				continue // the cache started again since
			}
			k := []byte(r.k)
			if r.byRow[string(br.e.key[j.rowOffset(side, k):])] == br.e {
				br.e.count = 0
				j.uncache(side, r, br.e, k)
			}
		}
		delete(c.byBucket, n)
		if err := s.DeleteRange(j.IDs[side], appendBucket(nil, n), appendBucket(nil, n+1)); err != nil {
			return err
		}
		delete(b.live, n)
	}
	return nil
}
