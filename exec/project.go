package exec

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/weir-db/weir/types"
)

// Project computes one column per expression.
type Project struct {
	Exprs []Expr

	vecs     []vnode // each expression's kernels, when it has them
	compiled bool
}

// OutTypes is the output schema.
func (p *Project) OutTypes() []types.Type {
	ts := make([]types.Type, len(p.Exprs))
	for i, e := range p.Exprs {
		ts[i] = e.Type()
	}
	return ts
}

// Process implements Operator.
func (p *Project) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	if !p.compiled {
		p.vecs = make([]vnode, len(p.Exprs))
		for i, e := range p.Exprs {
			if _, col := e.(*ColRef); !col {
				p.vecs[i], _ = compileVec(e)
			}
		}
		p.compiled = true
	}
	cols := make([]arrow.Array, len(p.Exprs))
	fields := make([]arrow.Field, len(p.Exprs))
	var sel []int
	for i, e := range p.Exprs {
		var a arrow.Array
		var err error
		if n := p.vecs[i]; n != nil {
			if sel == nil {
				sel = allRows(c)
			}
			var v *vec
			if v, err = n.eval(c, sel); err == nil {
				a = vecArray(v, e.Type(), c.Len())
			}
		} else {
			a, err = Eval(e, c)
		}
		if err != nil {
			for _, done := range cols[:i] {
				done.Release()
			}
			return nil, err
		}
		cols[i] = a
		fields[i] = arrow.Field{Name: "c" + itoa(i), Type: e.Type().ArrowType(), Nullable: true}
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(c.Len()))
	for _, a := range cols {
		a.Release()
	}
	return []Message{{Chunk: &Chunk{Types: p.OutTypes(), Rec: rec, Ops: c.Ops}}}, nil
}
