package exec

import (
	"sort"

	"github.com/weir-db/weir/types"
)

// BatchAgg groups its input rows in memory; it shares accumulator and
// output logic with HashAgg (whose incremental form also handles
// retractions and keeps state in the store).
type BatchAgg struct {
	Input  BatchOp
	Groups []Expr
	Aggs   []AggSpec
}

// Rows implements BatchOp. Without GROUP BY it yields one row even for no
// input, as SQL requires.
func (b *BatchAgg) Rows() ([][]types.Datum, error) {
	in, err := b.Input.Rows()
	if err != nil {
		return nil, err
	}
	h := &HashAgg{Groups: b.Groups, Aggs: b.Aggs, WindowGroup: -1}
	gts := h.groupTypesOf()
	type group struct {
		g        *groupState
		distinct []map[string]bool
		order    int
	}
	groups := map[string]*group{}
	vals := make([]types.Datum, len(b.Groups))
	for _, row := range in {
		for i, g := range b.Groups {
			if vals[i], err = g.EvalRow(row); err != nil {
				return nil, err
			}
		}
		k := rowKey(gts, vals)
		gr := groups[k]
		if gr == nil {
			gr = &group{g: &groupState{vals: append([]types.Datum(nil), vals...), accs: make([][2]types.Datum, len(b.Aggs))},
				distinct: make([]map[string]bool, len(b.Aggs)), order: len(groups)}
			groups[k] = gr
		}
		gr.g.count++
		for i, a := range b.Aggs {
			if a.Filter != nil {
				ok, err := a.Filter.EvalRow(row)
				if err != nil {
					return nil, err
				}
				if ok != true {
					continue
				}
			}
			acc := &gr.g.accs[i]
			n, _ := acc[0].(int64)
			if a.Func == "count_star" {
				acc[0] = n + 1
				continue
			}
			v, err := a.Arg.EvalRow(row)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			if a.Distinct {
				if gr.distinct[i] == nil {
					gr.distinct[i] = map[string]bool{}
				}
				dk := rowKey([]types.Type{a.Arg.Type()}, []types.Datum{v})
				if gr.distinct[i][dk] {
					continue
				}
				gr.distinct[i][dk] = true
			}
			acc[0] = n + 1
			switch a.Func {
			case "sum", "avg":
				if acc[1], err = addAcc(acc[1], v, 1, h.accType(a)); err != nil {
					return nil, err
				}
			case "min":
				if acc[1] == nil || types.Compare(v, acc[1]) < 0 {
					acc[1] = v
				}
			case "max":
				if acc[1] == nil || types.Compare(v, acc[1]) > 0 {
					acc[1] = v
				}
			}
		}
	}
	if len(groups) == 0 && len(b.Groups) == 0 {
		g := &groupState{accs: make([][2]types.Datum, len(b.Aggs))}
		return [][]types.Datum{h.output(g)}, nil
	}
	ordered := make([]*group, 0, len(groups))
	for _, g := range groups {
		ordered = append(ordered, g)
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].order < ordered[j].order })
	out := make([][]types.Datum, len(ordered))
	for i, g := range ordered {
		out[i] = h.output(g.g)
	}
	return out, nil
}
