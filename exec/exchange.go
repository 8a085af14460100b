package exec

import (
	"hash/fnv"

	"github.com/weir-db/weir/types"
)

// Exchange repartitions rows across a dataflow's parallel tasks by the
// hash of Keys (no keys: every row to task 0). Process hands nothing
// downstream: it sorts rows into per-task outboxes that the parallel
// runtime delivers to the next operator of each task, and reports the
// watermarks and firings it saw so the runtime can pass them on once
// every task has.
type Exchange struct {
	Keys  []Expr
	Tasks int

	out  [][]*Chunk // per task
	wm   *int64
	fire bool
}

// Process implements Operator.
func (x *Exchange) Process(m Message) ([]Message, error) {
	switch {
	case m.Watermark != nil:
		w := *m.Watermark
		x.wm = &w
	case m.Fire:
		x.fire = true
	case m.Chunk != nil:
		c := m.Chunk
		if x.out == nil {
			x.out = make([][]*Chunk, x.Tasks)
		}
		idx := make([][]int, x.Tasks)
		if err := x.route(c, idx); err != nil {
			return nil, err
		}
		for t, rows := range idx {
			if out := Take(c, rows); out != nil {
				x.out[t] = append(x.out[t], out)
			}
		}
	}
	return nil, nil
}

// route sorts c's row numbers by the task each row's key hashes to. Keys
// that are plain columns are read alone, not whole rows.
func (x *Exchange) route(c *Chunk, idx [][]int) error {
	cols := make([]int, len(x.Keys))
	for i, k := range x.Keys {
		r, ok := k.(*ColRef)
		if !ok {
			cols = nil
			break
		}
		cols[i] = r.Idx
	}
	var row []types.Datum
	var k []byte
	for i := 0; i < c.Len(); i++ {
		t := 0
		switch {
		case len(x.Keys) == 0:
		case cols != nil:
			k = k[:0]
			for j, col := range cols {
				k = types.AppendKey(k, x.Keys[j].Type(), types.GetDatum(c.Rec.Column(col), c.Types[col], i), false)
			}
			t = TaskOf(k, x.Tasks)
		default:
			row = c.Row(i, row)
			var err error
			if t, err = x.task(row); err != nil {
				return err
			}
		}
		idx[t] = append(idx[t], i)
	}
	return nil
}

func (x *Exchange) task(row []types.Datum) (int, error) {
	if len(x.Keys) == 0 {
		return 0, nil
	}
	var k []byte
	for _, e := range x.Keys {
		v, err := e.EvalRow(row)
		if err != nil {
			return 0, err
		}
		k = types.AppendKey(k, e.Type(), v, false)
	}
	return TaskOf(k, x.Tasks), nil
}

// TaskOf is the task a key's encoding belongs to. It must never change:
// each task keeps its operators' state under its own prefix.
func TaskOf(key []byte, tasks int) int {
	h := fnv.New64a()
	h.Write(key)
	return int(h.Sum64() % uint64(tasks))
}

// take returns and clears what the exchange holds: the chunks for each
// task, then the watermark and firing it saw.
func (x *Exchange) take() ([][]*Chunk, *int64, bool) {
	chunks := x.out
	x.out = nil
	wm, fire := x.wm, x.fire
	x.wm, x.fire = nil, false
	return chunks, wm, fire
}
