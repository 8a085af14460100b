package engine

import (
	"context"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/storage/encoding"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// An index is a state table of entries keyed by the indexed columns then
// the row's key (a table's primary key, a view's row key), with that row
// key as the value. Table writes maintain it in the same batch as the rows
// (applyTableRecord); a view's Materialize operator maintains it with the
// view's rows.

func (e *Engine) createIndex(n *sql.CreateIndex) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	if found, err := e.exists(n.Name, n.IfNotExists); found || err != nil {
		return err
	}
	rel, ok := e.cat.get(n.Table.Name)
	if !ok {
		return types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.Table.Name)
	}
	o := &object{Name: n.Name, Kind: sql.RelIndex, Table: rel.Name, IndexCols: n.Columns, IndexDesc: n.Desc,
		WatermarkCol: -1, KeyCol: -1, Deps: []string{rel.Name}}
	ts := rel.types()
	switch rel.Kind {
	case sql.RelTable:
		// Writers hold the table lock, so the backfill and the catalog
		// entry commit before any write can miss the index.
		mu := e.tableLock(rel.Name)
		mu.Lock()
		defer mu.Unlock()
		return e.commitNewObject(o, func(b *state.Batch) error {
			return e.scanTable(rel, func(row []types.Datum) error {
				pk := e.pkKey(rel, row)
				return b.Set(o.ID, exec.IndexKey(ts, o.IndexCols, o.IndexDesc, row, pk), pk)
			})
		})
	case sql.RelMaterializedView:
		// Stop the view, index its committed rows, restart it with the index.
		return e.restartFlow(rel, func() error {
			return e.commitNewObject(o, func(b *state.Batch) error {
				return e.st.Scan(rel.ID, nil, func(k, v []byte) error {
					raws, block, err := exec.SplitViewBlock(v)
					if err != nil {
						return err
					}
					if !block {
						row, _, err := exec.DecodeViewRow(v, ts)
						if err != nil {
							return err
						}
						rk := append([]byte(nil), k...)
						return b.Set(o.ID, exec.IndexKey(ts, o.IndexCols, o.IndexDesc, row, rk), rk)
					}
					// An index points at single rows: the block becomes
					// one entry per row, under the sequence numbers it
					// took.
					keys, err := exec.ViewBlockKeys(k, len(raws))
					if err != nil {
						return err
					}
					if err := b.Delete(rel.ID, k); err != nil {
						return err
					}
					for i, raw := range raws {
						row, err := types.DecodeRow(raw, ts, nil)
						if err != nil {
							return err
						}
						if err := b.Set(rel.ID, keys[i], exec.ViewRowEntry(raw)); err != nil {
							return err
						}
						if err := b.Set(o.ID, exec.IndexKey(ts, o.IndexCols, o.IndexDesc, row, keys[i]), keys[i]); err != nil {
							return err
						}
					}
					return nil
				})
			})
		})
	}
	return types.Errorf(types.CodeWrongObjectType, "cannot create index on %s \"%s\"", rel.Kind, rel.Name)
}

// indexScanRows reads the rows an index scan selects.
func (e *Engine) indexScanRows(ctx context.Context, n *sql.IndexScan, b *batchBuilder) ([][]types.Datum, error) {
	o, ok := e.cat.get(n.Relation.Name)
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.Relation.Name)
	}
	if txnOf(ctx).pendingFor(o) != nil {
		return e.relationRows(ctx, n.Relation) // the block's writes are not indexed; the filter above selects
	}
	ts := o.types()
	eval := func(x sql.Expr, t types.Type) (types.Datum, error) {
		c, err := b.expr(x)
		if err != nil {
			return nil, err
		}
		v, err := c.EvalRow(nil)
		if err != nil {
			return nil, err
		}
		return types.Cast(v, x.Type(), t)
	}
	var prefix []byte
	for i, x := range n.Eq {
		col := n.Index.Columns[i]
		v, err := eval(x, ts[col])
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nil // = NULL matches nothing
		}
		prefix = types.AppendKey(prefix, ts[col], v, n.Index.Desc[i])
	}
	lo, hi := prefix, encoding.PrefixEnd(prefix)
	if len(prefix) == 0 {
		hi = nil
	}
	if len(n.Eq) < len(n.Index.Columns) {
		col := n.Index.Columns[len(n.Eq)]
		if n.Lo != nil {
			v, err := eval(n.Lo, ts[col])
			if err != nil {
				return nil, err
			}
			if v == nil {
				return nil, nil
			}
			k := types.AppendKey(append([]byte(nil), prefix...), ts[col], v, false)
			if n.LoIncl {
				lo = k
			} else {
				lo = encoding.PrefixEnd(k)
			}
		}
		if n.Hi != nil {
			v, err := eval(n.Hi, ts[col])
			if err != nil {
				return nil, err
			}
			if v == nil {
				return nil, nil
			}
			k := types.AppendKey(append([]byte(nil), prefix...), ts[col], v, false)
			if n.HiIncl {
				hi = encoding.PrefixEnd(k)
			} else {
				hi = k
			}
		}
	}
	snap := viewSnapshot(ctx)
	if snap == nil || o.Kind != sql.RelMaterializedView {
		snap = e.st.NewSnapshot()
		defer snap.Close()
	}
	var out [][]types.Datum
	err := snap.ScanRange(n.Index.ID, lo, hi, func(k, v []byte) error {
		raw, err := snap.Get(o.ID, v)
		if err != nil {
			return types.Errorf(types.CodeDataCorrupted, "index %s points at a missing row of %s", n.Index.Name, o.Name)
		}
		if o.Kind == sql.RelMaterializedView {
			row, cnt, err := exec.DecodeViewRow(raw, ts)
			if err != nil {
				return err
			}
			for i := int64(0); i < cnt; i++ {
				out = append(out, row)
			}
			return nil
		}
		row, err := types.DecodeRow(raw, ts, nil)
		if err != nil {
			return err
		}
		out = append(out, row)
		if len(out)%4096 == 0 && ctx.Err() != nil {
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		return nil
	})
	return out, err
}
