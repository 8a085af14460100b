package exec

import "github.com/weir-db/weir/types"

// Filter keeps the rows whose condition is true. Ops pass through
// unchanged: a retraction is filtered exactly as its insertion was.
type Filter struct {
	Cond Expr
}

// Process implements Operator.
func (f *Filter) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	out := NewChunkBuilder(c.Types)
	row := make([]types.Datum, 0, len(c.Types))
	for i := 0; i < c.Len(); i++ {
		row = c.Row(i, row)
		v, err := f.Cond.EvalRow(row)
		if err != nil {
			return nil, err
		}
		if v == true {
			out.Append(c.Ops[i], row)
		}
	}
	if oc := out.Build(); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}
