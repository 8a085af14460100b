package engine

import (
	"context"
	"sort"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
)

// adHocStateBase is where interactive queries' operator state lives: in a
// batch that is never committed, so the ids never reach disk.
const adHocStateBase uint32 = 0xF0000000

const chunkRows = 1024

// query runs an interactive SELECT and writes its result.
func (e *Engine) query(ctx context.Context, q *sql.Query, w pgwire.ResultWriter) error {
	rows, err := e.runQuery(ctx, q)
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

// collector is the sink of an interactive query: the multiset of result
// rows, with retractions applied.
type collector struct {
	types []types.Type
	rows  map[string]*collected
}

type collected struct {
	row   []types.Datum
	count int64
}

func (c *collector) Process(m exec.Message) ([]exec.Message, error) {
	if m.Chunk == nil {
		return nil, nil
	}
	ch := m.Chunk
	for i := 0; i < ch.Len(); i++ {
		row := ch.Row(i, nil)
		k := string(exec.RowKey(c.types, row))
		ent := c.rows[k]
		if ent == nil {
			ent = &collected{row: row}
			c.rows[k] = ent
		}
		ent.count += ch.Ops[i].Sign()
		if ent.count == 0 {
			delete(c.rows, k)
		}
	}
	return nil, nil
}

// runQuery evaluates a query over the current contents of its source.
func (e *Engine) runQuery(ctx context.Context, q *sql.Query) ([][]types.Datum, error) {
	plan, err := planner.PlanQuery(q)
	if err != nil {
		return nil, err
	}
	batch := e.st.NewBatch()
	defer batch.Close()
	h := &exec.StateHandle{Store: batch}
	b, err := buildPipeline(plan, h, adHocStateBase)
	if err != nil {
		return nil, err
	}
	outTypes := pipelineTypes(plan)
	coll := &collector{types: outTypes, rows: map[string]*collected{}}
	pipe := append(b.pipeline, coll)
	for i, op := range b.pipeline {
		if agg, ok := op.(*exec.HashAgg); ok {
			msgs, err := agg.Init()
			if err != nil {
				return nil, err
			}
			for _, m := range msgs {
				if _, err := pipe[i+1:].Push(m); err != nil {
					return nil, err
				}
			}
		}
	}
	push := func(c *exec.Chunk) error {
		if c == nil {
			return nil
		}
		defer c.Release()
		if err := ctx.Err(); err != nil {
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		_, err := pipe.Push(exec.Message{Chunk: c})
		return err
	}
	if err := e.scanSource(plan, push); err != nil {
		return nil, err
	}
	// Order: memcomparable key order unless the query sorts.
	keys := make([]string, 0, len(coll.rows))
	for k := range coll.rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var rows [][]types.Datum
	for _, k := range keys {
		ent := coll.rows[k]
		for i := int64(0); i < ent.count; i++ {
			rows = append(rows, ent.row)
		}
	}
	if b.sort != nil {
		sortRows(rows, b.sort.Keys)
	}
	if b.limit != nil {
		off := min(int(b.limit.Offset), len(rows))
		rows = rows[off:]
		if b.limit.Count >= 0 && int(b.limit.Count) < len(rows) {
			rows = rows[:b.limit.Count]
		}
	}
	if b.post != nil {
		for i, r := range rows {
			out := make([]types.Datum, len(b.post))
			for j, x := range b.post {
				v, err := x.EvalRow(r)
				if err != nil {
					return nil, err
				}
				out[j] = v
			}
			rows[i] = out
		}
	}
	return rows, nil
}

// pipelineTypes is the row type arriving at the collector: the output of
// the last step before any sort.
func pipelineTypes(p *planner.Plan) []types.Type {
	var ts []types.Type
	if p.Source != nil {
		for _, c := range p.Source.Columns {
			ts = append(ts, c.Type)
		}
	} else {
		for _, c := range p.Values.Cols {
			ts = append(ts, c.Type)
		}
	}
	for _, s := range p.Steps {
		switch st := s.(type) {
		case *planner.ProjectStep:
			ts = ts[:0:0]
			for _, x := range st.Exprs {
				ts = append(ts, x.Type())
			}
		case *planner.TumbleStep:
			ts = append(append([]types.Type(nil), ts...), types.TTimestamp, types.TTimestamp)
		case *planner.AggStep:
			ts = ts[:0:0]
			for _, g := range st.Groups {
				ts = append(ts, g.Type())
			}
			for _, a := range st.Aggs {
				ts = append(ts, a.Type)
			}
		case *planner.SortStep, *planner.LimitStep:
			return ts
		}
	}
	return ts
}

func sortRows(rows [][]types.Datum, keys []sql.SortKey) {
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			a, b := rows[i][k.Col], rows[j][k.Col]
			var c int
			switch {
			case a == nil && b == nil:
				c = 0
			case a == nil:
				c = 1 // NULL sorts as the largest value
			case b == nil:
				c = -1
			default:
				c = types.Compare(a, b)
			}
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// scanSource feeds the plan's source rows to push in chunks: a stream's
// log up to its current end, a table's or view's committed rows, or
// literal values.
func (e *Engine) scanSource(p *planner.Plan, push func(*exec.Chunk) error) error {
	if p.Values != nil {
		ts := make([]types.Type, len(p.Values.Cols))
		for i, c := range p.Values.Cols {
			ts[i] = c.Type
		}
		cb := exec.NewChunkBuilder(ts)
		for _, r := range p.Values.Rows {
			row, err := evalConstRow(r)
			if err != nil {
				return err
			}
			cb.Append(exec.Insert, row)
		}
		if cb.Len() == 0 && len(p.Values.Rows) > 0 {
			// Rows without columns (SELECT without FROM): Arrow needs a
			// column to count rows, so carry one.
			return push(emptyRowsChunk(len(p.Values.Rows)))
		}
		return push(cb.Build())
	}
	o, ok := e.cat.get(p.Source.Name)
	if !ok {
		return types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", p.Source.Name)
	}
	ts := o.types()
	cb := exec.NewChunkBuilder(ts)
	emit := func(row []types.Datum) error {
		cb.Append(exec.Insert, row)
		if cb.Len() >= chunkRows {
			return push(cb.Build())
		}
		return nil
	}
	switch o.Kind {
	case sql.RelStream:
		t, ok := e.log.Topic(o.Topic)
		if !ok {
			return types.Errorf(types.CodeDataCorrupted, "topic of stream %s is missing", o.Name)
		}
		for part := 0; part < t.NumPartitions(); part++ {
			end := t.EndOffset(part)
			for off := t.StartOffset(part); off < end; {
				next, err := t.Read(part, off, 1<<20, func(at int64, r wlog.Record) error {
					if at >= end {
						return errStopRead
					}
					row, err := types.DecodeRow(r.Value, ts, nil)
					if err != nil {
						return err
					}
					return emit(row)
				})
				if err == errStopRead {
					break
				}
				if err != nil {
					return types.Wrap(err, types.CodeDataCorrupted, "reading stream %s", o.Name)
				}
				if next <= off {
					break
				}
				off = next
			}
		}
	case sql.RelTable:
		if err := e.scanTable(o, emit); err != nil {
			return err
		}
	case sql.RelMaterializedView:
		snap := e.st.NewSnapshot()
		err := snap.Scan(o.ID, nil, func(k, v []byte) error {
			row, n, err := exec.DecodeViewRow(v, ts)
			if err != nil {
				return err
			}
			for i := int64(0); i < n; i++ {
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		})
		snap.Close()
		if err != nil {
			return err
		}
	default:
		return types.Errorf(types.CodeFeatureNotSupported, "cannot read %s \"%s\"", o.Kind, o.Name)
	}
	return push(cb.Build())
}

func evalConstRow(exprs []sql.Expr) ([]types.Datum, error) {
	row := make([]types.Datum, len(exprs))
	for i, x := range exprs {
		c, err := compileExpr(x)
		if err != nil {
			return nil, err
		}
		if row[i], err = c.EvalRow(nil); err != nil {
			return nil, err
		}
	}
	return row, nil
}

func emptyRowsChunk(n int) *exec.Chunk {
	cb := exec.NewChunkBuilder([]types.Type{types.TBool})
	for i := 0; i < n; i++ {
		cb.Append(exec.Insert, []types.Datum{nil})
	}
	c := cb.Build()
	c.Types = nil
	return c
}
