package exec

import (
	"encoding/binary"
	"errors"

	"github.com/weir-db/weir/types"
)

// A keyed view's changelog carries at most one row per key after every
// chunk (an aggregation's groups, a row_number top-N's partitions and row
// numbers), so the view stores that row under the key's encoding. A chunk's
// changes are netted per key first: an update, its old row retracted and
// its new row inserted, is one write of a short key, with no read, where
// a view keyed by row content reads, deletes and writes the whole row.
//
// A key's net change is at most one retracted row, which must be the row
// stored, and at most one inserted row, which replaces it. Anything else
// means the plan's key was not unique, and is reported as an internal
// error rather than stored. Builds with the invariants tag also read each
// key to check that the retracted row is the one stored.

// keyedChange is one key's net change in a chunk.
type keyedChange struct {
	key      string
	deleted  [][]types.Datum // rows stored before the chunk, retracted
	inserted [][]types.Datum // rows the chunk inserted and did not retract
}

// applyKeyed applies chunk c to a keyed view.
func (v *Materialize) applyKeyed(c *Chunk) error {
	var order []*keyedChange
	byKey := make(map[string]*keyedChange, c.Len())
	var kbuf []byte
	for i := 0; i < c.Len(); i++ {
		row := c.Row(i, nil)
		if v.Tap != nil && v.Tap.On {
			v.Tap.Ops = append(v.Tap.Ops, c.Ops[i])
			v.Tap.Rows = append(v.Tap.Rows, row)
		}
		kbuf = v.viewKey(kbuf[:0], row)
		ch := byKey[string(kbuf)]
		if ch == nil {
			ch = &keyedChange{key: string(kbuf)}
			byKey[ch.key] = ch
			order = append(order, ch)
		}
		if c.Ops[i].Sign() > 0 {
			ch.inserted = append(ch.inserted, row)
			continue
		}
		if j := v.findRow(ch.inserted, row); j >= 0 {
			ch.inserted = append(ch.inserted[:j], ch.inserted[j+1:]...)
			continue
		}
		ch.deleted = append(ch.deleted, row)
	}
	for _, ch := range order {
		if err := v.applyKeyChange(ch); err != nil {
			return err
		}
	}
	return nil
}

// viewKey appends the storage key of row to buf.
func (v *Materialize) viewKey(buf []byte, row []types.Datum) []byte {
	for _, c := range v.KeyCols {
		buf = types.AppendKey(buf, v.Types[c], row[c], false)
	}
	return buf
}

// findRow returns the index of a row in rows equal to row, or -1.
func (v *Materialize) findRow(rows [][]types.Datum, row []types.Datum) int {
	if len(rows) == 0 {
		return -1
	}
	k := string(RowKey(v.Types, row))
	for j, r := range rows {
		if string(RowKey(v.Types, r)) == k {
			return j
		}
	}
	return -1
}

// applyKeyChange writes one key's net change and its index entries.
func (v *Materialize) applyKeyChange(ch *keyedChange) error {
	if len(ch.deleted) > 1 || len(ch.inserted) > 1 {
		return types.Errorf(types.CodeInternalError, "view rows are not unique on their key: %d rows retracted and %d inserted under one key in one chunk",
			len(ch.deleted), len(ch.inserted))
	}
	if len(ch.deleted) == 0 && len(ch.inserted) == 0 {
		return nil
	}
	s := v.State.Store
	k := []byte(ch.key)
	if invariants {
		if err := v.checkStored(k, ch.deleted); err != nil {
			return err
		}
	}
	for _, row := range ch.deleted {
		for _, ix := range v.Indexes {
			if err := s.Delete(ix.ID, IndexKey(v.Types, ix.Columns, ix.Desc, row, k)); err != nil {
				return err
			}
		}
	}
	if len(ch.inserted) == 0 {
		return s.Delete(v.ID, k)
	}
	row := ch.inserted[0]
	if err := s.Set(v.ID, k, types.AppendRow(binary.AppendVarint(nil, 1), v.Types, row)); err != nil {
		return err
	}
	for _, ix := range v.Indexes {
		if err := s.Set(ix.ID, IndexKey(v.Types, ix.Columns, ix.Desc, row, k), k); err != nil {
			return err
		}
	}
	return nil
}

// checkStored checks that key k holds exactly the rows deleted (one or
// none) before a chunk's change to it.
func (v *Materialize) checkStored(k []byte, deleted [][]types.Datum) error {
	raw, err := v.State.Store.Get(v.ID, k)
	switch {
	case errors.Is(err, ErrNotFound):
		if len(deleted) > 0 {
			return types.Errorf(types.CodeDataCorrupted, "view received a retraction for a row it does not hold")
		}
		return nil
	case err != nil:
		return err
	}
	row, n, err := DecodeViewRow(raw, v.Types)
	if err != nil {
		return err
	}
	if n != 1 || len(deleted) != 1 || string(RowKey(v.Types, row)) != string(RowKey(v.Types, deleted[0])) {
		return types.Errorf(types.CodeInternalError, "view rows are not unique on their key: an insert under a key holding another row")
	}
	return nil
}
