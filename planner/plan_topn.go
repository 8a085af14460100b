package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// rankLimit recognizes a filter keeping the top of a ranking window
// function (WHERE rn <= N, rn < N, rn = 1), looking through projections
// that pass the rank column on. It returns the Over node and N.
func rankLimit(f *sql.Filter) (*sql.Over, int64, bool) {
	for _, c := range conjuncts(f.Cond) {
		call, ok := c.(*sql.Call)
		if !ok || len(call.Args) != 2 {
			continue
		}
		col, ok1 := call.Args[0].(*sql.ColRef)
		k, ok2 := call.Args[1].(*sql.Const)
		op := call.Func
		if !ok1 || !ok2 {
			col, ok1 = call.Args[1].(*sql.ColRef)
			k, ok2 = call.Args[0].(*sql.Const)
			op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
		}
		if !ok1 || !ok2 {
			continue
		}
		n, isInt := k.Value.(int64)
		if !isInt {
			continue
		}
		switch op {
		case "<=":
		case "<":
			n--
		case "=":
			if n != 1 {
				continue
			}
		default:
			continue
		}
		over, ok := rankSource(f.Input, col.Idx)
		if ok && n >= 1 {
			return over, n, true
		}
	}
	return nil, 0, false
}

// rankSource follows column idx down through projections to the ranking
// function of an Over node that computes it.
func rankSource(r sql.Rel, idx int) (*sql.Over, bool) {
	for {
		switch n := r.(type) {
		case *sql.Project:
			c, ok := n.Exprs[idx].(*sql.ColRef)
			if !ok {
				return nil, false
			}
			r, idx = n.Input, c.Idx
		case *sql.Filter:
			r = n.Input
		case *sql.Over:
			base := len(n.Input.Columns())
			if len(n.Funcs) != 1 || idx != base {
				return nil, false
			}
			switch n.Funcs[0].Func {
			case "row_number", "rank", "dense_rank":
				return n, true
			}
			return nil, false
		default:
			return nil, false
		}
	}
}

// over plans a ranking window function kept to its top rows.
func (b *builder) over(n *sql.Over) error {
	limit, ok := b.topN[n]
	if !ok {
		return types.Errorf(types.CodeFeatureNotSupported,
			"a window function in a materialized view must be row_number(), rank() or dense_rank() kept to its top rows by a filter such as WHERE rn <= 10")
	}
	if err := b.build(n.Input); err != nil {
		return err
	}
	f := n.Funcs[0]
	key := rowNumberKey(f, len(n.Input.Columns()), limit)
	out := Retracting
	if key != nil {
		out = Upsert
	}
	b.add(&TopNStep{Partition: f.PartitionBy, Order: f.OrderBy, Func: f.Func, Limit: limit, InputTypes: columnTypes(n.Input.Columns()),
		AppendOnlyInput: b.emits == AppendOnly}, out)
	b.key = key
	b.cols = append(b.cols, plainCols(1)...)
	return nil
}

// rowNumberKey is the key of a row_number top-N's output: its partition
// columns, then the row number (at column rank) unless the top is one row.
// Partition by expressions other than columns, and rank and dense_rank
// (whose ties share a number), give no key.
func rowNumberKey(f sql.WindowFunc, rank int, limit int64) []int {
	if f.Func != "row_number" {
		return nil
	}
	key := []int{}
	for _, p := range f.PartitionBy {
		c, ok := p.(*sql.ColRef)
		if !ok {
			return nil
		}
		key = append(key, c.Idx)
	}
	if limit > 1 {
		key = append(key, rank)
	}
	return key
}

// topNLimit plans ORDER BY ... LIMIT in a view as a top-N without
// partitions.
func (b *builder) topNLimit(n *sql.Limit, s *sql.Sort) error {
	if err := b.build(s.Input); err != nil {
		return err
	}
	cols := s.Input.Columns()
	t := &TopNStep{Limit: n.Count, Offset: n.Offset, InputTypes: columnTypes(cols), AppendOnlyInput: b.emits == AppendOnly}
	for _, k := range s.Keys {
		t.Order = append(t.Order, sql.OrderExpr{E: &sql.ColRef{Idx: k.Col, T: cols[k.Col].Type, Name: cols[k.Col].Name}, Desc: k.Desc, NullsFirst: k.NullsFirst})
	}
	b.add(t, Retracting)
	return nil
}

func columnTypes(cols []sql.Column) []types.Type {
	out := make([]types.Type, len(cols))
	for i, c := range cols {
		out[i] = c.Type
	}
	return out
}
