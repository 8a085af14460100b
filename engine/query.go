package engine

import (
	"context"

	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// query runs an interactive SELECT and writes its result.
func (e *Engine) query(ctx context.Context, q *sql.Query, env *evalEnv, w pgwire.ResultWriter) error {
	rows, err := e.runQuery(ctx, q, env)
	if err != nil {
		return err
	}
	cols := make([]pgwire.Column, len(q.Cols))
	for i, c := range q.Cols {
		cols[i] = pgwire.Column{Name: c.Name, Type: c.Type}
	}
	if err := w.Columns(cols); err != nil {
		return err
	}
	for _, r := range rows {
		if err := w.Row(r); err != nil {
			return err
		}
	}
	return w.Complete("SELECT " + itoa(len(rows)))
}

func itoa(n int) string { return types.TextString(types.TInt8, int64(n)) }

// runQuery evaluates a query over the current contents of its sources.
func (e *Engine) runQuery(ctx context.Context, q *sql.Query, env *evalEnv) ([][]types.Datum, error) {
	if env == nil {
		env = &evalEnv{now: types.DTimestamp(nowMicros())}
	}
	var rows [][]types.Datum
	err := e.withViewSnapshot(ctx, q, func(ctx context.Context) error {
		var err error
		rows, err = e.newBatchBuilder(ctx, env).run(q)
		return err
	})
	return rows, err
}
