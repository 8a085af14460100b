package exec

import (
	"bytes"
	"errors"

	"github.com/weir-db/weir/types"
)

// topLayout is how a TopN's state table keys its rows.
type topLayout uint8

const (
	// topUnchosen: the layout is read or chosen at first use.
	topUnchosen topLayout = iota
	// topMulti keys each distinct row by partition key ‖ order key ‖ row
	// key, so a partition is read by a prefix scan.
	topMulti
	// topSingle keys a partition's one row by the partition key alone:
	// a better row overwrites the old one with a single write, and a
	// partition is read with a point lookup. It serves a top of one row
	// over append-only input under row_number or LIMIT (rank and
	// dense_rank keep ties, so more than one row).
	topSingle
)

// topLayoutKey records the layout in the table. Partition keys are
// ascending key encodings, whose first byte is never 0xff, and order keys
// start with 0 or 1, so no row key collides with it.
var topLayoutKey = []byte{0xff, 'L'}

func isTopLayoutKey(k []byte) bool { return len(k) > 0 && k[0] == 0xff }

// singleTop reports whether the operator's top is one row that the
// single-row layout can hold.
func (t *TopN) singleTop() bool {
	return t.AppendOnlyInput && t.Offset+t.Limit == 1 && (t.Func == "row_number" || t.Func == "")
}

// chooseLayout reads the layout recorded in state, or records one for a
// table without rows: single-row when singleTop, else multi-row. A table
// written before layouts were recorded keeps the multi-row layout.
func (t *TopN) chooseLayout() error {
	if t.layout != topUnchosen {
		return nil
	}
	s := t.State.Store
	v, err := s.Get(t.ID, topLayoutKey)
	switch {
	case err == nil && len(v) == 1 && (topLayout(v[0]) == topMulti || topLayout(v[0]) == topSingle):
		t.layout = topLayout(v[0])
		return nil
	case err == nil:
		return types.Errorf(types.CodeDataCorrupted, "top-N state: corrupt layout record")
	case !errors.Is(err, ErrNotFound):
		return err
	}
	empty := true
	err = s.Scan(t.ID, nil, func(k, _ []byte) error {
		empty = false
		return errStop
	})
	if err != nil && err != errStop {
		return err
	}
	t.layout = topMulti
	if !empty || t.legacyLayout {
		return nil // rows stored before layouts were recorded
	}
	if t.singleTop() {
		t.layout = topSingle
	}
	return s.Set(t.ID, topLayoutKey, []byte{byte(t.layout)})
}

// stateKey is the state key of partition pk's entry e.
func (t *TopN) stateKey(pk []byte, e *topEntry) []byte {
	if t.layout == topSingle {
		return pk
	}
	return append(append([]byte(nil), pk...), e.suffix...)
}

// loadSingle reads partition pk's row in the single-row layout into p.
func (t *TopN) loadSingle(pk []byte, p *topPartition) error {
	v, err := t.State.Store.Get(t.ID, pk)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	n, olen, row, err := t.decodeEntry(v)
	if err != nil {
		return err
	}
	ok, err := t.orderKey(row)
	if err != nil {
		return err
	}
	if olen != len(ok) {
		return types.Errorf(types.CodeDataCorrupted, "corrupt top-N state entry")
	}
	p.entries = append(p.entries, &topEntry{suffix: ok, orderLen: len(ok), count: n, row: row})
	return nil
}

// applySingle is apply in the single-row layout, whose input only
// inserts: a row replaces the partition's row when it ranks before it,
// and adds to its count when equal. An entry's suffix is its order key
// alone; row keys, which only break ties of order keys, are computed
// for ties only.
func (t *TopN) applySingle(pk []byte, part *topPartition, ch topChange) error {
	ok, sign := ch.ok, ch.sign
	if sign < 0 {
		return types.Errorf(types.CodeInternalError, "top-N over append-only input received a retraction")
	}
	var e *topEntry
	if len(part.entries) > 0 {
		cur := part.entries[0]
		c := bytes.Compare(ok, cur.suffix[:cur.orderLen])
		if c > 0 {
			return nil // it would rank below the top row and be forgotten
		}
		if c == 0 {
			curRow, err := t.datums(cur)
			if err != nil {
				return err
			}
			c = bytes.Compare(appendRowKeyFrom(nil, t.Types, ch.c.Rec.Columns(), ch.i), RowKey(t.Types, curRow))
		}
		switch {
		case c > 0:
			return nil // it would rank below the top row and be forgotten
		case c == 0:
			e = cur
			e.count += sign
		}
	}
	first := len(part.entries) == 0
	if e == nil {
		// The row is encoded straight from its chunk: no datums unless a
		// tie needs them.
		enc := t.encodeRow(ch.c.Rec.Columns(), ch.i)
		e = &topEntry{suffix: ok, orderLen: len(ok), count: sign, enc: enc}
		if first {
			part.entries = append(part.entries, e)
			t.cached++
		} else {
			part.entries[0] = e
		}
	}
	if err := t.State.Store.Set(t.ID, pk, t.encodeEntry(e)); err != nil {
		return err
	}
	if first {
		return t.absent.note(pk, t.scanPartitions)
	}
	return nil
}
