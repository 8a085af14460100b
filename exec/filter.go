package exec

// Filter keeps the rows whose condition is true. Ops pass through
// unchanged: a retraction is filtered exactly as its insertion was.
type Filter struct {
	Cond Expr

	vec      vnode // Cond's kernels, when it has them
	compiled bool
}

// Process implements Operator.
func (f *Filter) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	if !f.compiled {
		f.vec, _ = compileVec(f.Cond)
		f.compiled = true
	}
	if f.vec != nil {
		return f.processVec(c)
	}
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

// processVec is Process with the condition's kernels.
func (f *Filter) processVec(c *Chunk) ([]Message, error) {
	sel := allRows(c)
	v, err := f.vec.eval(c, sel)
	if err != nil {
		return nil, err
	}
	keep := sel[:0]
	for j, r := range sel {
		if !v.isNull(j) && v.b[v.at(j)] {
			keep = append(keep, r)
		}
	}
	if oc := Take(c, keep); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}
