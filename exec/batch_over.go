package exec

import (
	"sort"

	"github.com/weir-db/weir/types"
)

// OverFunc is one window function of BatchOver.
type OverFunc struct {
	Func        string // row_number, rank, dense_rank, or an aggregate
	Arg         Expr
	T           types.Type
	PartitionBy []Expr
	OrderBy     []Expr
	Desc        []bool
	NullsFirst  []bool
}

// BatchOver appends one column per window function. Aggregates use
// PostgreSQL's default frame: the partition up to the current row's last
// peer when there is an ORDER BY, the whole partition otherwise.
type BatchOver struct {
	Input BatchOp
	Funcs []OverFunc
}

// Rows implements BatchOp.
func (o *BatchOver) Rows() ([][]types.Datum, error) {
	in, err := o.Input.Rows()
	if err != nil {
		return nil, err
	}
	width := 0
	if len(in) > 0 {
		width = len(in[0])
	}
	out := make([][]types.Datum, len(in))
	for i, r := range in {
		out[i] = append(append(make([]types.Datum, 0, width+len(o.Funcs)), r...), make([]types.Datum, len(o.Funcs))...)
	}
	for fi, f := range o.Funcs {
		// Evaluate partition and order keys once per row.
		es := make([]overEntry, len(in))
		pts := make([]types.Type, len(f.PartitionBy))
		for i, p := range f.PartitionBy {
			pts[i] = p.Type()
		}
		var keys []SortKeyExpr
		for i := range f.OrderBy {
			keys = append(keys, SortKeyExpr{Col: i, Desc: f.Desc[i], NullsFirst: f.NullsFirst[i]})
		}
		for i, r := range in {
			e := overEntry{idx: i}
			for _, p := range f.PartitionBy {
				v, err := p.EvalRow(r)
				if err != nil {
					return nil, err
				}
				e.part = append(e.part, v)
			}
			for _, x := range f.OrderBy {
				v, err := x.EvalRow(r)
				if err != nil {
					return nil, err
				}
				e.ord = append(e.ord, v)
			}
			es[i] = e
		}
		parts := map[string][]overEntry{}
		var partOrder []string
		for _, e := range es {
			k := rowKey(pts, e.part)
			if _, ok := parts[k]; !ok {
				partOrder = append(partOrder, k)
			}
			parts[k] = append(parts[k], e)
		}
		for _, k := range partOrder {
			p := parts[k]
			sort.SliceStable(p, func(i, j int) bool { return CompareRows(p[i].ord, p[j].ord, keys) < 0 })
			if err := o.fill(f, fi, width, p, keys, in, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// overEntry is a row of a window partition with its evaluated keys.
type overEntry struct {
	idx  int
	part []types.Datum
	ord  []types.Datum
}

func (o *BatchOver) fill(f OverFunc, fi, width int, p []overEntry, keys []SortKeyExpr, in, out [][]types.Datum) error {
	col := width + fi
	switch f.Func {
	case "row_number":
		for i, e := range p {
			out[e.idx][col] = int64(i + 1)
		}
		return nil
	case "rank", "dense_rank":
		rank, dense := int64(0), int64(0)
		for i, e := range p {
			if i == 0 || CompareRows(p[i-1].ord, e.ord, keys) != 0 {
				rank = int64(i + 1)
				dense++
			}
			if f.Func == "rank" {
				out[e.idx][col] = rank
			} else {
				out[e.idx][col] = dense
			}
		}
		return nil
	}
	// Aggregates over the default frame.
	agg := &BatchAgg{Aggs: []AggSpec{{Func: f.Func, Arg: f.Arg, T: f.T}}}
	end := 0
	for i := range p {
		if i < end {
			continue
		}
		end = len(p)
		if len(f.OrderBy) > 0 {
			end = i + 1
			for end < len(p) && CompareRows(p[end].ord, p[i].ord, keys) == 0 {
				end++
			}
		}
		rows := make([][]types.Datum, end)
		for j := 0; j < end; j++ {
			rows[j] = in[p[j].idx]
		}
		agg.Input = &BatchSource{Fn: func() ([][]types.Datum, error) { return rows, nil }}
		res, err := agg.Rows()
		if err != nil {
			return err
		}
		for j := i; j < end; j++ {
			out[p[j].idx][col] = res[0][0]
		}
	}
	return nil
}
