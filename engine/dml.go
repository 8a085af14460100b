package engine

import (
	"context"
	"strings"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
)

// sourceRows evaluates an INSERT's rows.
func (e *Engine) sourceRows(ctx context.Context, src sql.Rel, env *evalEnv) ([][]types.Datum, error) {
	return e.runQuery(ctx, &sql.Query{Rel: src, Cols: src.Columns()}, env)
}

func checkNotNull(o *object, row []types.Datum) error {
	for i, c := range o.Columns {
		if c.NotNull && !c.Hidden && row[i] == nil {
			err := types.Errorf(types.CodeNotNullViolation, "null value in column \"%s\" of relation \"%s\" violates not-null constraint", c.Name, o.Name)
			return err
		}
	}
	return nil
}

// The DML below runs in transaction block t, or on its own when t is nil
// (see txn.go): it reads the rows as t sees them and either buffers its
// changes in t or writes them.

func (e *Engine) insert(ctx context.Context, t *txn, n *sql.Insert, env *evalEnv) (int, error) {
	o, ok := e.cat.get(n.Target.Name)
	if !ok {
		return 0, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.Target.Name)
	}
	rows, err := e.sourceRows(ctx, n.Source, env)
	if err != nil {
		return 0, err
	}
	return e.insertRows(t, o, rows)
}

// insertRows appends full rows (one datum per column, hidden ones too) to a
// stream or table, all or nothing per call.
func (e *Engine) insertRows(t *txn, o *object, rows [][]types.Datum) (int, error) {
	for _, r := range rows {
		if err := checkNotNull(o, r); err != nil {
			return 0, err
		}
	}
	if o.Kind == sql.RelStream {
		if t != nil {
			p := t.writesTo(o)
			p.appends = append(p.appends, rows...)
			return len(rows), nil
		}
		return len(rows), e.appendStream(o, rows)
	}
	mu := e.tableLock(o.Name)
	mu.Lock()
	defer mu.Unlock()
	nextRowID, err := e.nextRowID(t, o)
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	changes := make([]change, 0, len(rows))
	for _, r := range rows {
		if o.RowID {
			r[len(r)-1] = nextRowID()
		}
		k := e.pkKey(o, r)
		if seen[string(k)] {
			return 0, e.duplicateKey(o, r)
		}
		seen[string(k)] = true
		if old, err := e.rowAt(t, o, k); err != nil {
			return 0, err
		} else if old != nil {
			return 0, e.duplicateKey(o, r)
		}
		changes = append(changes, change{op: exec.Insert, row: r})
	}
	return len(rows), e.applyChanges(t, o, changes)
}

// nextRowID returns a source of row ids for new rows of table o: the
// table's own outside a block, provisional ones inside (see txn.go).
func (e *Engine) nextRowID(t *txn, o *object) (func() int64, error) {
	if t != nil {
		return t.writesTo(o).nextRowID, nil
	}
	next, err := readInt(e.st, tableProgress, progressKey(o.ID, "rowid"))
	if err != nil {
		return nil, err
	}
	return func() int64 { next++; return next - 1 }, nil
}

// applyChanges writes a statement's changes to table o, or buffers them in
// block t. The caller holds the table's lock.
func (e *Engine) applyChanges(t *txn, o *object, changes []change) error {
	if t != nil {
		e.bufferChanges(t, o, changes)
		return nil
	}
	// writeTable advances the row id past those of inserted rows.
	nextRowID, err := readInt(e.st, tableProgress, progressKey(o.ID, "rowid"))
	if err != nil {
		return err
	}
	return e.writeTable(o, changes, nextRowID)
}

func (e *Engine) duplicateKey(o *object, row []types.Datum) error {
	ts := o.types()
	var names, vals []string
	for _, i := range o.PrimaryKey {
		names = append(names, o.Columns[i].Name)
		vals = append(vals, types.TextString(ts[i], row[i]))
	}
	err := types.Errorf(types.CodeUniqueViolation, "duplicate key value violates unique constraint \"%s_pkey\"", o.Name)
	err.Detail = "Key (" + strings.Join(names, ", ") + ")=(" + strings.Join(vals, ", ") + ") already exists."
	return err
}

// appendStream writes rows to the stream's partitions: by murmur2 of the
// key column when the stream has one, round-robin otherwise.
func (e *Engine) appendStream(o *object, rows [][]types.Datum) error {
	t, ok := e.log.Topic(o.Topic)
	if !ok {
		return types.Errorf(types.CodeDataCorrupted, "topic of stream %s is missing", o.Name)
	}
	ts := o.types()
	byPart := make([][]wlog.Record, t.NumPartitions())
	now := nowMillis()
	for _, r := range rows {
		var key []byte
		if o.KeyCol >= 0 && r[o.KeyCol] != nil {
			key = types.FormatText(nil, ts[o.KeyCol], r[o.KeyCol])
		}
		p := t.PartitionFor(key)
		byPart[p] = append(byPart[p], wlog.Record{Key: key, Value: types.AppendRow(nil, ts, r), Timestamp: now})
	}
	for p, recs := range byPart {
		for len(recs) > 0 {
			n := min(len(recs), 4096)
			if _, err := t.Append(p, recs[:n]); err != nil {
				return types.Wrap(err, types.CodeIOError, "appending to stream %s", o.Name)
			}
			recs = recs[n:]
		}
	}
	return nil
}

// matching returns the table's rows for which where holds.
func (e *Engine) matching(ctx context.Context, t *txn, o *object, where sql.Expr, env *evalEnv) ([][]types.Datum, error) {
	var cond exec.Expr
	if where != nil {
		c, err := compileExprBatch(where, e.newBatchBuilder(ctx, env))
		if err != nil {
			return nil, err
		}
		cond = c
	}
	var out [][]types.Datum
	err := e.scanTableIn(t, o, func(row []types.Datum) error {
		if cond != nil {
			v, err := cond.EvalRow(row)
			if err != nil {
				return err
			}
			if v != true {
				return nil
			}
		}
		out = append(out, row)
		return nil
	})
	return out, err
}

func (e *Engine) update(ctx context.Context, t *txn, n *sql.Update, env *evalEnv) (int, error) {
	o, ok := e.cat.get(n.Target.Name)
	if !ok {
		return 0, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.Target.Name)
	}
	mu := e.tableLock(o.Name)
	mu.Lock()
	defer mu.Unlock()
	rows, err := e.matching(ctx, t, o, n.Where, env)
	if err != nil {
		return 0, err
	}
	set, err := e.newBatchBuilder(ctx, env).exprs(n.Set)
	if err != nil {
		return 0, err
	}
	var changes []change
	removed := map[string]bool{}
	added := map[string]bool{}
	var inserts []change
	for _, old := range rows {
		nw := make([]types.Datum, len(old))
		for i, x := range set {
			if nw[i], err = x.EvalRow(old); err != nil {
				return 0, err
			}
		}
		if err := checkNotNull(o, nw); err != nil {
			return 0, err
		}
		ok, nk := e.pkKey(o, old), e.pkKey(o, nw)
		if string(ok) == string(nk) {
			changes = append(changes, change{op: exec.UpdateDelete, row: old}, change{op: exec.UpdateInsert, row: nw})
			continue
		}
		// The key changed: delete the old row, insert the new one.
		changes = append(changes, change{op: exec.Delete, row: old})
		removed[string(ok)] = true
		if added[string(nk)] {
			return 0, e.duplicateKey(o, nw)
		}
		added[string(nk)] = true
		inserts = append(inserts, change{op: exec.Insert, row: nw})
	}
	for _, c := range inserts {
		k := e.pkKey(o, c.row)
		if removed[string(k)] {
			continue
		}
		if old, err := e.rowAt(t, o, k); err != nil {
			return 0, err
		} else if old != nil {
			return 0, e.duplicateKey(o, c.row)
		}
	}
	changes = append(changes, inserts...)
	return len(rows), e.applyChanges(t, o, changes)
}

func (e *Engine) delete(ctx context.Context, t *txn, n *sql.Delete, env *evalEnv) (int, error) {
	o, ok := e.cat.get(n.Target.Name)
	if !ok {
		return 0, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.Target.Name)
	}
	mu := e.tableLock(o.Name)
	mu.Lock()
	defer mu.Unlock()
	rows, err := e.matching(ctx, t, o, n.Where, env)
	if err != nil {
		return 0, err
	}
	changes := make([]change, len(rows))
	for i, r := range rows {
		changes[i] = change{op: exec.Delete, row: r}
	}
	return len(rows), e.applyChanges(t, o, changes)
}

// ErrNotFound is the state store's missing-key error.
var ErrNotFound = exec.ErrNotFound
