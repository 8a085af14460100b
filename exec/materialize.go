package exec

import (
	"encoding/binary"
	"errors"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/weir-db/weir/storage/encoding"

	"github.com/weir-db/weir/types"
)

// Materialize applies a changelog to a view's rows in state table ID. Rows
// are keyed by their full memcomparable encoding with a multiplicity, so
// any changelog (duplicates included) is applied exactly and scans return
// rows in a stable order; or, when the changelog has a key (Keyed), by
// that key alone (see materialize_keyed.go).
type Materialize struct {
	ID      uint32
	Types   []types.Type
	State   *StateHandle
	Indexes []ViewIndex
	// Tap, when set and on, records every change applied, for the
	// view's subscribers.
	Tap *ChangeTap
	// AppendOnly views never retract, so each row is stored under a key
	// of its own, a sequence number then the task byte (counted in table
	// SeqTable under SeqKey): no read before the write, and tasks need not
	// route equal rows to one place. AlignSeqs keeps the keys ascending
	// from epoch to epoch across tasks, so Pebble's flushes of a view's
	// rows never overlap and its compactions move files instead of
	// rewriting them. Rows go in blocks when nothing needs them one by
	// one (see viewBlock). (Views written before this stored rows under
	// their row key ‖ task ‖ sequence; such keys are at least 10 bytes
	// long, these 9, so the two never meet.)
	AppendOnly bool
	// Keyed views store each row under the encoding of its KeyCols,
	// which identify at most one row after every chunk.
	Keyed    bool
	KeyCols  []int
	Task     byte
	SeqTable uint32
	SeqKey   []byte

	seq     uint64
	seqRead bool
	block   viewBlock
	// absent tells rows certainly not in the view (keyed by content).
	absent absentFilter
}

// ChangeTap collects the changes a Materialize applies during an epoch.
type ChangeTap struct {
	On   bool
	Ops  []Op
	Rows [][]types.Datum
}

// Reset empties the tap.
func (t *ChangeTap) Reset() { t.Ops, t.Rows = t.Ops[:0], t.Rows[:0] }

// ViewIndex is a secondary index over a view's rows: entries keyed by the
// index columns then the row key, with the row key as value.
type ViewIndex struct {
	ID      uint32
	Columns []int
	Desc    []bool
}

// IndexKey is a row's entry key in an index over columns cols.
func IndexKey(ts []types.Type, cols []int, desc []bool, row []types.Datum, suffix []byte) []byte {
	var k []byte
	for i, c := range cols {
		k = types.AppendKey(k, ts[c], row[c], desc[i])
	}
	return append(k, suffix...)
}

// Process implements Operator; it emits nothing downstream.
func (v *Materialize) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return nil, nil
	}
	c := m.Chunk
	if v.AppendOnly {
		return nil, v.appendRows(c)
	}
	if v.Keyed {
		return nil, v.applyKeyed(c)
	}
	row := make([]types.Datum, 0, len(c.Types))
	for i := 0; i < c.Len(); i++ {
		row = c.Row(i, row)
		if v.Tap != nil && v.Tap.On {
			v.Tap.Ops = append(v.Tap.Ops, c.Ops[i])
			v.Tap.Rows = append(v.Tap.Rows, append([]types.Datum(nil), row...))
		}
		before, after, err := v.applyRow(row, c.Ops[i].Sign())
		if err != nil {
			return nil, err
		}
		if (before == 0) != (after == 0) {
			rk := RowKey(v.Types, row)
			for _, ix := range v.Indexes {
				k := IndexKey(v.Types, ix.Columns, ix.Desc, row, rk)
				if after > 0 {
					err = v.State.Store.Set(ix.ID, k, rk)
				} else {
					err = v.State.Store.Delete(ix.ID, k)
				}
				if err != nil {
					return nil, err
				}
			}
		}
	}
	return nil, nil
}

// appendRows stores an append-only chunk's rows, each under a key of its
// own.
func (v *Materialize) appendRows(c *Chunk) error {
	s := v.State.Store
	if err := v.readSeq(); err != nil {
		return err
	}
	if (v.Tap == nil || !v.Tap.On) && len(v.Indexes) == 0 {
		return v.appendEncoded(c)
	}
	row := make([]types.Datum, 0, len(c.Types))
	val := binary.AppendVarint(nil, 1)
	for i := 0; i < c.Len(); i++ {
		row = c.Row(i, row)
		if c.Ops[i].Sign() < 0 {
			return types.Errorf(types.CodeInternalError, "append-only view received a retraction")
		}
		if v.Tap != nil && v.Tap.On {
			v.Tap.Ops = append(v.Tap.Ops, c.Ops[i])
			v.Tap.Rows = append(v.Tap.Rows, append([]types.Datum(nil), row...))
		}
		k := v.nextKey(make([]byte, 9))
		if err := s.Set(v.ID, k, types.AppendRow(val[:1], v.Types, row)); err != nil {
			return err
		}
		for _, ix := range v.Indexes {
			if err := s.Set(ix.ID, IndexKey(v.Types, ix.Columns, ix.Desc, row, k), k); err != nil {
				return err
			}
		}
	}
	return s.Set(v.SeqTable, v.SeqKey, binary.BigEndian.AppendUint64(nil, v.seq))
}

// appendEncoded is appendRows when no one needs the rows as datums (no
// subscriber, no index): rows are encoded straight from the chunk's
// columns into blocks (see viewBlock), which the store copies.
func (v *Materialize) appendEncoded(c *Chunk) error {
	s := v.State.Store
	cols := c.Rec.Columns()
	key := make([]byte, 9)
	var raw, val []byte
	b := &v.block
	b.reset()
	first := v.seq + 1
	flush := func() error {
		if b.rows == 0 {
			return nil
		}
		binary.BigEndian.PutUint64(key, first)
		key[8] = v.Task
		val = b.value(val)
		first += uint64(b.rows)
		b.reset()
		return s.Set(v.ID, key, val)
	}
	for i := 0; i < c.Len(); i++ {
		if c.Ops[i].Sign() < 0 {
			return types.Errorf(types.CodeInternalError, "append-only view received a retraction")
		}
		raw = types.AppendRowFrom(raw[:0], c.Types, cols, i)
		if b.rows > 0 && len(b.body)+len(raw) > viewBlockBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		b.body = append(binary.AppendUvarint(b.body, uint64(len(raw))), raw...)
		b.rows++
		v.seq++
	}
	if err := flush(); err != nil {
		return err
	}
	return s.Set(v.SeqTable, v.SeqKey, binary.BigEndian.AppendUint64(nil, v.seq))
}

// nextKey takes the next sequence number and writes the row key it
// makes into key (9 bytes): the sequence, big-endian, then the task.
func (v *Materialize) nextKey(key []byte) []byte {
	v.seq++
	binary.BigEndian.PutUint64(key, v.seq)
	key[8] = v.Task
	return key
}

// readSeq loads the task's row sequence once after a start or Reset.
func (v *Materialize) readSeq() error {
	if v.seqRead {
		return nil
	}
	b, err := v.State.Store.Get(v.SeqTable, v.SeqKey)
	switch {
	case err == nil && len(b) == 8:
		v.seq = binary.BigEndian.Uint64(b)
	case err == nil:
		return types.Errorf(types.CodeDataCorrupted, "view row sequence is corrupt")
	case !errors.Is(err, ErrNotFound):
		return err
	}
	v.seqRead = true
	return nil
}

// AlignSeqs starts an epoch of an append-only view's tasks: every task
// continues from the highest sequence any task has used, so all of this
// epoch's keys sort after all earlier epochs' keys. Tasks' keys within
// the epoch interleave; only epochs need to be ordered, since each epoch
// is one batch and so lands in one memtable.
func AlignSeqs(tasks []*Materialize) error {
	var top uint64
	for _, v := range tasks {
		if !v.AppendOnly {
			return nil
		}
		if err := v.readSeq(); err != nil {
			return err
		}
		top = max(top, v.seq)
	}
	for _, v := range tasks {
		v.seq = top
	}
	return nil
}

// Reset implements Resetter: the sequence and the absent filter are read
// again.
func (v *Materialize) Reset() { v.seqRead, v.absent = false, absentFilter{} }

// RowKey is the key of a row in a materialized view.
func RowKey(ts []types.Type, row []types.Datum) []byte {
	var k []byte
	for i, t := range ts {
		k = types.AppendKey(k, t, row[i], false)
	}
	return k
}

// appendRowKeyFrom appends the RowKey of row i of cols (arrays made for
// ts), reading integers, times and text straight from their arrays.
func appendRowKeyFrom(k []byte, ts []types.Type, cols []arrow.Array, i int) []byte {
	for j, t := range ts {
		if cols[j].IsNull(i) {
			k = encoding.AppendNull(k)
			continue
		}
		switch a := cols[j].(type) {
		case *array.Int64:
			if t.Family == types.Int8 || t.Family == types.Int4 || t.Family == types.Int2 {
				k = encoding.AppendInt(k, a.Value(i))
				continue
			}
		case *array.Int32:
			if t.Family == types.Int4 || t.Family == types.Int2 {
				k = encoding.AppendInt(k, int64(a.Value(i)))
				continue
			}
		case *array.Timestamp:
			if t.Family == types.Timestamp || t.Family == types.TimestampTZ {
				k = encoding.AppendInt(k, int64(a.Value(i)))
				continue
			}
		case *array.String:
			if t.Family == types.Text || t.Family == types.Varchar {
				k = encoding.AppendString(k, a.Value(i))
				continue
			}
		}
		k = types.AppendKey(k, t, types.GetDatum(cols[j], t, i), false)
	}
	return k
}

// applyRow adds (sign > 0) or removes one copy of row in the view and
// returns its multiplicity before and after. A row the absent filter has
// never seen is new, with no read.
func (v *Materialize) applyRow(row []types.Datum, sign int64) (int64, int64, error) {
	s := v.State.Store
	k := RowKey(v.Types, row)
	if err := v.absent.ready(v.scanRows); err != nil {
		return 0, 0, err
	}
	var n int64
	if v.absent.mayHold(k) {
		old, err := s.Get(v.ID, k)
		switch {
		case err == nil:
			n, _ = binary.Varint(old)
		case !errors.Is(err, ErrNotFound):
			return 0, 0, err
		}
	}
	before := n
	n += sign
	switch {
	case n < 0:
		return before, n, types.Errorf(types.CodeDataCorrupted, "view received a retraction for a row it does not hold")
	case n == 0:
		return before, n, s.Delete(v.ID, k)
	}
	if err := s.Set(v.ID, k, types.AppendRow(binary.AppendVarint(nil, n), v.Types, row)); err != nil {
		return before, n, err
	}
	if before == 0 {
		return before, n, v.absent.note(k, v.scanRows)
	}
	return before, n, nil
}

// scanRows scans the view's row keys.
func (v *Materialize) scanRows(fn func(k, val []byte) error) error {
	return v.State.Store.Scan(v.ID, nil, fn)
}

// DecodeViewRow reads a view table value of one row (not a block, see
// ForEachViewRow): the row and its multiplicity.
func DecodeViewRow(v []byte, ts []types.Type) ([]types.Datum, int64, error) {
	n, w := binary.Varint(v)
	if w <= 0 || n < 0 {
		return nil, 0, types.Errorf(types.CodeDataCorrupted, "corrupt view row")
	}
	row, err := types.DecodeRow(v[w:], ts, nil)
	return row, n, err
}
