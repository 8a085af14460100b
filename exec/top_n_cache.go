package exec

import (
	"sort"

	"github.com/weir-db/weir/types"
)

// topPartition is a TopN partition's stored rows, decoded and in order: a
// write-through cache over the state table, loaded on first use.
type topPartition struct {
	entries []*topEntry // by suffix
}

// topEntry is one distinct row of a partition.
type topEntry struct {
	suffix   []byte // order key ‖ row key: the state key after the partition key
	orderLen int
	count    int64
	// row is the entry's row; enc, when set, is its value encoding, and
	// row is decoded from it only when needed (the single-row layout
	// takes a new top row straight from its chunk, and emits it from
	// the encoding).
	row []types.Datum
	enc []byte
}

// datums returns e's row, decoding it first if only its encoding is
// held.
func (t *TopN) datums(e *topEntry) ([]types.Datum, error) {
	if e.row == nil && e.enc != nil {
		row, err := types.DecodeRow(e.enc, t.Types, nil)
		if err != nil {
			return nil, err
		}
		e.row = row
	}
	return e.row, nil
}

// defaultTopNCacheRows bounds the cache when CacheRows is 0.
const defaultTopNCacheRows = 1 << 16

// Reset implements Resetter: the cache may hold a failed epoch's writes.
func (t *TopN) Reset() { t.parts, t.cached, t.absent, t.layout = nil, 0, absentFilter{}, topUnchosen }

// partition returns partition pk's rows, loading them on a miss.
func (t *TopN) partition(pk []byte) (*topPartition, error) {
	if p := t.parts[string(pk)]; p != nil {
		return p, nil
	}
	p := &topPartition{}
	if err := t.chooseLayout(); err != nil {
		return nil, err
	}
	if err := t.absent.ready(t.scanPartitions); err != nil {
		return nil, err
	}
	if !t.absent.mayHold(pk) {
		return t.cachePartition(pk, p), nil
	}
	if t.layout == topSingle {
		if err := t.loadSingle(pk, p); err != nil {
			return nil, err
		}
		return t.cachePartition(pk, p), nil
	}
	err := t.State.Store.Scan(t.ID, pk, func(k, v []byte) error {
		if isTopLayoutKey(k) {
			return nil
		}
		n, olen, row, err := t.decodeEntry(v)
		if err != nil {
			return err
		}
		if len(pk)+olen > len(k) {
			return types.Errorf(types.CodeDataCorrupted, "corrupt top-N state entry")
		}
		p.entries = append(p.entries, &topEntry{suffix: append([]byte(nil), k[len(pk):]...), orderLen: olen, count: n, row: row})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t.cachePartition(pk, p), nil
}

// cachePartition caches partition pk's rows p.
func (t *TopN) cachePartition(pk []byte, p *topPartition) *topPartition {
	limit := t.CacheRows
	if limit <= 0 {
		limit = defaultTopNCacheRows
	}
	if t.parts == nil || t.cached+len(p.entries) > limit {
		// Over budget: start again. State is in the table; the cache only
		// saves reads.
		t.parts, t.cached = map[string]*topPartition{}, 0
	}
	t.parts[string(pk)] = p
	t.cached += len(p.entries)
	return p
}

// find returns where suffix is or would go.
func (p *topPartition) find(suffix []byte) (int, bool) {
	i := sort.Search(len(p.entries), func(i int) bool { return string(p.entries[i].suffix) >= string(suffix) })
	return i, i < len(p.entries) && string(p.entries[i].suffix) == string(suffix)
}

func (p *topPartition) insert(i int, e *topEntry) {
	p.entries = append(p.entries, nil)
	copy(p.entries[i+1:], p.entries[i:])
	p.entries[i] = e
}

func (p *topPartition) remove(i int) {
	p.entries = append(p.entries[:i], p.entries[i+1:]...)
}
