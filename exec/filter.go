package exec

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
	rr := newRowReader(f.Cond)
	var keep []int
	for i := 0; i < c.Len(); i++ {
		v, err := f.Cond.EvalRow(rr.read(c, i))
		if err != nil {
			return nil, err
		}
		if v == true {
			keep = append(keep, i)
		}
	}
	if oc := Take(c, keep); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}
