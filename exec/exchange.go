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

	out      []*ChunkBuilder
	wm       *int64
	fire     bool
	keyTypes []types.Type
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
			x.out = make([]*ChunkBuilder, x.Tasks)
		}
		row := make([]types.Datum, 0, len(c.Types))
		for i := 0; i < c.Len(); i++ {
			row = c.Row(i, row)
			t, err := x.task(row)
			if err != nil {
				return nil, err
			}
			if x.out[t] == nil {
				x.out[t] = NewChunkBuilder(c.Types)
			}
			x.out[t].Append(c.Ops[i], row)
		}
	}
	return nil, nil
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

// take returns and clears what the exchange holds: a chunk per task (nil
// for none), then the watermark and firing it saw.
func (x *Exchange) take() ([]*Chunk, *int64, bool) {
	var chunks []*Chunk
	if x.out != nil {
		chunks = make([]*Chunk, x.Tasks)
		for t, b := range x.out {
			if b != nil {
				chunks[t] = b.Build()
			}
		}
		x.out = nil
	}
	wm, fire := x.wm, x.fire
	x.wm, x.fire = nil, false
	return chunks, wm, fire
}
