package engine

import (
	"bytes"
	"context"
	"slices"
	"sync"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// A transaction block (BEGIN ... COMMIT) buffers the session's writes to
// tables and streams and applies them at COMMIT; ROLLBACK, or COMMIT of a
// failed block, discards them. Inside the block the session reads its own
// writes: table scans (interactive queries, and UPDATE and DELETE finding
// their rows) see the buffered rows over the committed ones, and a stream
// scan sees the buffered records after the log's. Other sessions see none
// of it until COMMIT.
//
// Concurrency is optimistic: the block remembers, per key it wrote, the
// committed row it read there. COMMIT takes the locks of every table
// written (in name order), checks each such row is still what the block
// read, and fails with 40001 (or 23505, for a key another session
// inserted meanwhile) otherwise, writing nothing. Then it writes each table
// (one changelog append each, atomic per table) and each stream. A crash
// in the middle of COMMIT can leave the tables written before it applied
// and the rest not: a block is atomic per table, not across tables.
//
// DDL inside a block is not buffered: it takes effect at once and
// ROLLBACK does not undo it.

// SQLSTATEs of transaction blocks, as PostgreSQL's.
const (
	codeActiveSQLTransaction   = "25001"
	codeNoActiveSQLTransaction = "25P01"
	codeInFailedSQLTransaction = "25P02"
	codeSerializationFailure   = "40001"
)

// txn is an open transaction block.
type txn struct {
	// failed is set by an error inside the block: PostgreSQL's aborted
	// state, where only ROLLBACK (or COMMIT, which rolls back) is accepted.
	failed bool
	// writes are the buffered writes by relation name; names lists them in
	// the order of their first write.
	writes map[string]*pendingWrites
	names  []string
}

// pendingWrites are a block's writes to one table or stream.
type pendingWrites struct {
	// id is the relation's catalog ID at the first write: a relation
	// dropped (and maybe made again) before COMMIT is not written.
	id uint32
	// rows are a table's rows by primary key (memcomparable), keys the
	// keys in the order of their first write.
	rows map[string]*pendingRow
	keys []string
	// lastRowID is the last provisional row id handed to a row of a table
	// without a primary key: -1, -2, ... inside the block, replaced by
	// real ones at COMMIT.
	lastRowID int64
	// appends are a stream's rows.
	appends [][]types.Datum
}

// pendingRow is what a block did at one key of a table.
type pendingRow struct {
	// before is the committed row the block found there (nil: none);
	// COMMIT checks it is still there.
	before []types.Datum
	// after is the row the block leaves there; nil when it deleted it.
	after []types.Datum
}

// pendingFor returns the block's writes to o, nil when it has none (or t
// is nil, outside a block).
func (t *txn) pendingFor(o *object) *pendingWrites {
	if t == nil {
		return nil
	}
	p := t.writes[o.Name]
	if p == nil || p.id != o.ID {
		return nil
	}
	return p
}

// writesTo returns the block's writes to o, starting them if needed.
func (t *txn) writesTo(o *object) *pendingWrites {
	if p := t.pendingFor(o); p != nil {
		return p
	}
	if t.writes == nil {
		t.writes = map[string]*pendingWrites{}
	}
	if _, ok := t.writes[o.Name]; !ok {
		t.names = append(t.names, o.Name)
	}
	p := &pendingWrites{id: o.ID, rows: map[string]*pendingRow{}}
	t.writes[o.Name] = p
	return p
}

// set records that the block leaves after (nil: no row) at key k, where
// the committed row is committed if the block had not touched k yet.
func (p *pendingWrites) set(k string, committed, after []types.Datum) {
	if r, ok := p.rows[k]; ok {
		r.after = after
		return
	}
	p.rows[k] = &pendingRow{before: committed, after: after}
	p.keys = append(p.keys, k)
}

// nextRowID hands out a provisional row id.
func (p *pendingWrites) nextRowID() int64 {
	p.lastRowID--
	return p.lastRowID
}

// txnKey carries the session's open block in a statement's context, for
// the reads of interactive queries.
type txnKey struct{}

func withTxn(ctx context.Context, t *txn) context.Context {
	if t == nil {
		return ctx
	}
	return context.WithValue(ctx, txnKey{}, t)
}

// txnOf is the block a statement runs in; nil outside one.
func txnOf(ctx context.Context) *txn {
	t, _ := ctx.Value(txnKey{}).(*txn)
	return t
}

// streamAppends are the rows the block has buffered for stream o.
func (t *txn) streamAppends(o *object) [][]types.Datum {
	if p := t.pendingFor(o); p != nil {
		return p.appends
	}
	return nil
}

// scanTableIn reads a table's rows as block t sees them: the committed
// ones with t's writes over them (t nil: the committed ones).
func (e *Engine) scanTableIn(t *txn, o *object, fn func(row []types.Datum) error) error {
	p := t.pendingFor(o)
	if p == nil {
		return e.scanTable(o, fn)
	}
	err := e.scanTable(o, func(row []types.Datum) error {
		if _, ok := p.rows[string(e.pkKey(o, row))]; ok {
			return nil // the block's version follows
		}
		return fn(row)
	})
	if err != nil {
		return err
	}
	for _, k := range p.keys {
		if r := p.rows[k]; r.after != nil {
			if err := fn(r.after); err != nil {
				return err
			}
		}
	}
	return nil
}

// committedRow reads the committed row of table o at key k; nil if none.
func (e *Engine) committedRow(o *object, k []byte) ([]types.Datum, error) {
	v, err := e.st.Get(o.ID, k)
	if err == ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return types.DecodeRow(v, o.types(), nil)
}

// rowAt reads the row at key k of table o as block t sees it (t nil: the
// committed one); nil if none.
func (e *Engine) rowAt(t *txn, o *object, k []byte) ([]types.Datum, error) {
	if p := t.pendingFor(o); p != nil {
		if r, ok := p.rows[string(k)]; ok {
			return r.after, nil
		}
	}
	return e.committedRow(o, k)
}

// bufferChanges records a statement's changes to table o in block t.
func (e *Engine) bufferChanges(t *txn, o *object, changes []change) {
	p := t.writesTo(o)
	for _, c := range changes {
		k := string(e.pkKey(o, c.row))
		switch c.op {
		case exec.Insert, exec.UpdateInsert:
			p.set(k, nil, c.row)
		case exec.Delete, exec.UpdateDelete:
			p.set(k, c.row, nil)
		}
	}
}

// commit applies block t's writes (see the comment at the top).
func (e *Engine) commit(t *txn) error {
	names := slices.Clone(t.names)
	slices.Sort(names)
	var locked []*sync.Mutex
	defer func() {
		for _, mu := range locked {
			mu.Unlock()
		}
	}()
	type tableWrite struct {
		o         *object
		changes   []change
		nextRowID int64
	}
	var tables []tableWrite
	var streams []*object
	for _, name := range names {
		p := t.writes[name]
		o, ok := e.cat.get(name)
		if !ok || o.ID != p.id {
			return types.Errorf(codeSerializationFailure, "could not serialize access: relation \"%s\" was dropped during the transaction", name)
		}
		if o.Kind == sql.RelStream {
			streams = append(streams, o)
			continue
		}
		mu := e.tableLock(o.Name)
		mu.Lock()
		locked = append(locked, mu)
		changes, next, err := e.commitChanges(o, p)
		if err != nil {
			return err
		}
		tables = append(tables, tableWrite{o, changes, next})
	}
	for _, w := range tables {
		if err := e.writeTable(w.o, w.changes, w.nextRowID); err != nil {
			return err
		}
	}
	for _, o := range streams {
		if err := e.appendStream(o, t.writes[o.Name].appends); err != nil {
			return err
		}
	}
	return nil
}

// commitChanges checks a block's writes to table o against its committed
// rows (the caller holds the table's lock) and turns them into changes,
// with real row ids for provisional ones.
func (e *Engine) commitChanges(o *object, p *pendingWrites) ([]change, int64, error) {
	nextRowID, err := readInt(e.st, tableProgress, progressKey(o.ID, "rowid"))
	if err != nil {
		return nil, 0, err
	}
	ts := o.types()
	var changes []change
	for _, k := range p.keys {
		r := p.rows[k]
		cur, err := e.committedRow(o, []byte(k))
		if err != nil {
			return nil, 0, err
		}
		switch {
		case r.before == nil && cur == nil:
		case r.before == nil:
			return nil, 0, e.duplicateKey(o, cur)
		case cur == nil || !bytes.Equal(types.AppendRow(nil, ts, cur), types.AppendRow(nil, ts, r.before)):
			return nil, 0, types.Errorf(codeSerializationFailure, "could not serialize access due to concurrent update")
		}
		switch {
		case r.before == nil && r.after == nil:
		case r.before == nil:
			row := r.after
			if o.RowID {
				row = slices.Clone(row)
				row[len(row)-1] = nextRowID
				nextRowID++
			}
			changes = append(changes, change{op: exec.Insert, row: row})
		case r.after == nil:
			changes = append(changes, change{op: exec.Delete, row: r.before})
		default:
			changes = append(changes, change{op: exec.UpdateDelete, row: r.before}, change{op: exec.UpdateInsert, row: r.after})
		}
	}
	return changes, nextRowID, nil
}
