package engine

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/weir-db/weir/exec"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// A table is its changelog topic (the source of truth: one partition, each
// record an op byte plus the row, keyed by the primary key) and a copy of
// its current rows in state table o.ID keyed by primary key. The table
// progress entry records how much of the changelog the rows reflect; DML
// appends to the changelog first, then applies, and recovery applies any
// tail a crash left unapplied.

type change struct {
	op  exec.Op
	row []types.Datum
}

func progressKey(id uint32, what string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, id), what...)
}

func (e *Engine) pkKey(o *object, row []types.Datum) []byte {
	ts := o.types()
	var k []byte
	for _, i := range o.PrimaryKey {
		k = types.AppendKey(k, ts[i], row[i], false)
	}
	return k
}

func readInt(st interface {
	Get(uint32, []byte) ([]byte, error)
}, table uint32, key []byte) (int64, error) {
	v, err := st.Get(table, key)
	if errors.Is(err, state.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, w := binary.Varint(v)
	if w <= 0 {
		return 0, types.Errorf(types.CodeDataCorrupted, "corrupt progress entry")
	}
	return n, nil
}

// applyTableRecords applies changelog records to the table's rows in b
// and returns the largest hidden row id seen.
func (e *Engine) applyTableRecord(b *state.Batch, o *object, ts []types.Type, key, value []byte, maxRowID *int64) error {
	if len(value) < 1 {
		return types.Errorf(types.CodeDataCorrupted, "empty changelog record in table %s", o.Name)
	}
	op := exec.Op(value[0])
	indexes := e.cat.indexesOf(o.Name)
	var row []types.Datum
	if o.RowID || len(indexes) > 0 {
		var err error
		if row, err = types.DecodeRow(value[1:], ts, nil); err != nil {
			return err
		}
	}
	switch op {
	case exec.Insert, exec.UpdateInsert:
		if o.RowID {
			if id := row[len(row)-1].(int64); id > *maxRowID {
				*maxRowID = id
			}
		}
		for _, ix := range indexes {
			if err := b.Set(ix.ID, exec.IndexKey(ts, ix.IndexCols, ix.IndexDesc, row, key), key); err != nil {
				return err
			}
		}
		return b.Set(o.ID, key, value[1:])
	case exec.Delete, exec.UpdateDelete:
		for _, ix := range indexes {
			if err := b.Delete(ix.ID, exec.IndexKey(ts, ix.IndexCols, ix.IndexDesc, row, key)); err != nil {
				return err
			}
		}
		return b.Delete(o.ID, key)
	}
	return types.Errorf(types.CodeDataCorrupted, "changelog record with unknown op %d in table %s", op, o.Name)
}

// catchUpTable applies the changelog tail the rows do not yet reflect.
func (e *Engine) catchUpTable(o *object) error {
	t, ok := e.log.Topic(o.Topic)
	if !ok {
		return types.Errorf(types.CodeDataCorrupted, "topic %q of table %s is missing", o.Topic, o.Name)
	}
	from, err := readInt(e.st, tableProgress, progressKey(o.ID, "applied"))
	if err != nil {
		return err
	}
	end := t.EndOffset(0)
	if from >= end {
		return nil
	}
	e.cfg.Logf("table %s: applying changelog offsets %d..%d", o.Name, from, end)
	ts := o.types()
	maxRowID, err := readInt(e.st, tableProgress, progressKey(o.ID, "rowid"))
	if err != nil {
		return err
	}
	maxRowID--
	for from < end {
		b := e.st.NewBatch()
		next, err := t.Read(0, from, 1<<20, func(off int64, r wlog.Record) error {
			return e.applyTableRecord(b, o, ts, r.Key, r.Value, &maxRowID)
		})
		if err != nil {
			b.Close()
			return err
		}
		if err := b.Set(tableProgress, progressKey(o.ID, "applied"), binary.AppendVarint(nil, next)); err != nil {
			b.Close()
			return err
		}
		if err := b.Set(tableProgress, progressKey(o.ID, "rowid"), binary.AppendVarint(nil, maxRowID+1)); err != nil {
			b.Close()
			return err
		}
		if err := b.Commit(); err != nil {
			return err
		}
		from = next
	}
	return nil
}

// writeTable appends changes to the table's changelog (durably) and then
// applies them to its rows. The caller holds the table's lock.
func (e *Engine) writeTable(o *object, changes []change, nextRowID int64) error {
	if len(changes) == 0 {
		return nil
	}
	t, ok := e.log.Topic(o.Topic)
	if !ok {
		return types.Errorf(types.CodeDataCorrupted, "topic %q of table %s is missing", o.Topic, o.Name)
	}
	ts := o.types()
	recs := make([]wlog.Record, len(changes))
	for i, c := range changes {
		v := types.AppendRow([]byte{byte(c.op)}, ts, c.row)
		recs[i] = wlog.Record{Key: e.pkKey(o, c.row), Value: v, Timestamp: nowMillis()}
	}
	first, err := t.Append(0, recs)
	if err != nil {
		return types.Wrap(err, types.CodeIOError, "appending to the changelog of table %s", o.Name)
	}
	b := e.st.NewBatch()
	maxRowID := nextRowID - 1
	for _, r := range recs {
		if err := e.applyTableRecord(b, o, ts, r.Key, r.Value, &maxRowID); err != nil {
			b.Close()
			return err
		}
	}
	err = b.Set(tableProgress, progressKey(o.ID, "applied"), binary.AppendVarint(nil, first+int64(len(recs))))
	if err == nil {
		err = b.Set(tableProgress, progressKey(o.ID, "rowid"), binary.AppendVarint(nil, maxRowID+1))
	}
	if err == nil {
		err = b.Commit()
	} else {
		b.Close()
	}
	if err != nil {
		// The changelog has the write; bring the rows up to it.
		if cerr := e.catchUpTable(o); cerr != nil {
			return fmt.Errorf("applying write to table %s: %w (recovery: %v)", o.Name, err, cerr)
		}
	}
	return nil
}

// scanTable reads a table's current rows from committed state.
func (e *Engine) scanTable(o *object, fn func(row []types.Datum) error) error {
	ts := o.types()
	return e.st.Scan(o.ID, nil, func(k, v []byte) error {
		row, err := types.DecodeRow(v, ts, nil)
		if err != nil {
			return fmt.Errorf("reading table %s: %w", o.Name, err)
		}
		return fn(row)
	})
}
