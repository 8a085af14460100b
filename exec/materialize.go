package exec

import (
	"encoding/binary"
	"errors"

	"github.com/weir-db/weir/types"
)

// Materialize applies a changelog to a view's rows in state table ID. Rows
// are keyed by their full memcomparable encoding with a multiplicity, so
// any changelog (duplicates included) is applied exactly and scans return
// rows in a stable order.
type Materialize struct {
	ID    uint32
	Types []types.Type
	State *StateHandle
}

// Process implements Operator; it emits nothing downstream.
func (v *Materialize) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return nil, nil
	}
	c := m.Chunk
	row := make([]types.Datum, 0, len(c.Types))
	for i := 0; i < c.Len(); i++ {
		row = c.Row(i, row)
		if err := ApplyRow(v.State.Store, v.ID, v.Types, row, c.Ops[i].Sign()); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// RowKey is the key of a row in a materialized view.
func RowKey(ts []types.Type, row []types.Datum) []byte {
	var k []byte
	for i, t := range ts {
		k = types.AppendKey(k, t, row[i], false)
	}
	return k
}

// ApplyRow adds (sign > 0) or removes one copy of row in view table id.
func ApplyRow(s StateStore, id uint32, ts []types.Type, row []types.Datum, sign int64) error {
	k := RowKey(ts, row)
	var n int64
	old, err := s.Get(id, k)
	switch {
	case err == nil:
		n, _ = binary.Varint(old)
	case !errors.Is(err, ErrNotFound):
		return err
	}
	n += sign
	switch {
	case n < 0:
		return types.Errorf(types.CodeDataCorrupted, "view received a retraction for a row it does not hold")
	case n == 0:
		return s.Delete(id, k)
	}
	return s.Set(id, k, types.AppendRow(binary.AppendVarint(nil, n), ts, row))
}

// DecodeViewRow reads a view table value: the row and its multiplicity.
func DecodeViewRow(v []byte, ts []types.Type) ([]types.Datum, int64, error) {
	n, w := binary.Varint(v)
	if w <= 0 {
		return nil, 0, types.Errorf(types.CodeDataCorrupted, "corrupt view row")
	}
	row, err := types.DecodeRow(v[w:], ts, nil)
	return row, n, err
}
