package exec

import (
	"bytes"
	"sort"

	"github.com/weir-db/weir/types"
)

// BatchAgg groups its input rows in memory for interactive queries. (The
// incremental HashAgg keeps state in the store and handles retractions;
// over a finite input neither is needed.)
type BatchAgg struct {
	Input  BatchOp
	Groups []Expr
	Aggs   []AggSpec
}

// batchAcc is one aggregate's running state in one group.
type batchAcc struct {
	n        int64
	val      types.Datum // sum, min, max or bool
	text     []byte      // string_agg's and array_agg's text being built
	distinct map[string]bool
	// ordered holds the rows of an aggregate with ORDER BY, with their
	// order keys, folded in that order when the group is done.
	ordered []orderedRow
}

type orderedRow struct {
	key []byte
	row []types.Datum
}

type batchGroup struct {
	vals  []types.Datum
	accs  []batchAcc
	order int
}

// Rows implements BatchOp. Without GROUP BY it yields one row even for no
// input, as SQL requires.
func (b *BatchAgg) Rows() ([][]types.Datum, error) {
	in, err := b.Input.Rows()
	if err != nil {
		return nil, err
	}
	gts := make([]types.Type, len(b.Groups))
	for i, g := range b.Groups {
		gts[i] = g.Type()
	}
	groups := map[string]*batchGroup{}
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
			gr = &batchGroup{vals: append([]types.Datum(nil), vals...), accs: make([]batchAcc, len(b.Aggs)), order: len(groups)}
			groups[k] = gr
		}
		for i := range b.Aggs {
			if err := b.Aggs[i].addBatch(&gr.accs[i], row); err != nil {
				return nil, err
			}
		}
	}
	if len(groups) == 0 && len(b.Groups) == 0 {
		groups[""] = &batchGroup{accs: make([]batchAcc, len(b.Aggs))}
	}
	ordered := make([]*batchGroup, 0, len(groups))
	for _, g := range groups {
		ordered = append(ordered, g)
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].order < ordered[j].order })
	out := make([][]types.Datum, len(ordered))
	for i, g := range ordered {
		row := append([]types.Datum(nil), g.vals...)
		for j := range b.Aggs {
			v, err := b.Aggs[j].resultBatch(&g.accs[j])
			if err != nil {
				return nil, err
			}
			row = append(row, v)
		}
		out[i] = row
	}
	return out, nil
}

// addBatch folds one input row into an aggregate's state (or, with ORDER
// BY, keeps it for resultBatch to fold in order).
func (a *AggSpec) addBatch(acc *batchAcc, row []types.Datum) error {
	if a.Filter != nil {
		ok, err := a.Filter.EvalRow(row)
		if err != nil {
			return err
		}
		if ok != true {
			return nil
		}
	}
	if len(a.Order) > 0 {
		k, err := appendOrderKey(nil, a.Order, row)
		if err != nil {
			return err
		}
		acc.ordered = append(acc.ordered, orderedRow{key: k, row: row})
		return nil
	}
	return a.fold(acc, row)
}

// fold adds one row that passed the filter to an aggregate's state.
func (a *AggSpec) fold(acc *batchAcc, row []types.Datum) error {
	if a.Func == "count_star" {
		acc.n++
		return nil
	}
	v, err := a.Arg.EvalRow(row)
	if err != nil || v == nil && a.Func != "array_agg" { // array_agg keeps NULLs
		return err
	}
	if a.Distinct {
		if acc.distinct == nil {
			acc.distinct = map[string]bool{}
		}
		k := rowKey([]types.Type{a.Arg.Type()}, []types.Datum{v})
		if acc.distinct[k] {
			return nil
		}
		acc.distinct[k] = true
	}
	acc.n++
	switch a.Func {
	case "sum", "avg":
		acc.val, err = addNumber(acc.val, v)
	case "min":
		if acc.val == nil || types.Compare(v, acc.val) < 0 {
			acc.val = v
		}
	case "max":
		if acc.val == nil || types.Compare(v, acc.val) > 0 {
			acc.val = v
		}
	case "string_agg":
		if acc.n > 1 {
			delim, _ := a.Delim.(string)
			acc.text = append(acc.text, delim...)
		}
		acc.text = append(acc.text, v.(string)...)
	case "array_agg":
		if acc.n > 1 {
			acc.text = append(acc.text, ',')
		}
		acc.text = append(acc.text, arrayElem(a.Arg.Type(), v)...)
	case "bool_and", "every":
		acc.val = (acc.val == nil || acc.val.(bool)) && v.(bool)
	case "bool_or":
		acc.val = acc.val != nil && acc.val.(bool) || v.(bool)
	}
	return err
}

// addNumber adds v to a running sum kept exact: integers and numerics as
// numeric, floats as float, intervals as interval.
func addNumber(acc, v types.Datum) (types.Datum, error) {
	switch x := v.(type) {
	case int64:
		d := types.DecimalFromInt(x)
		if acc == nil {
			return d, nil
		}
		return decimalAdd(acc.(types.Decimal), d), nil
	case types.Decimal:
		if acc == nil {
			return x, nil
		}
		return decimalAdd(acc.(types.Decimal), x), nil
	case float64:
		if acc == nil {
			return x, nil
		}
		return acc.(float64) + x, nil
	case types.DInterval:
		if acc == nil {
			return x, nil
		}
		y := acc.(types.DInterval)
		return types.DInterval{Months: x.Months + y.Months, Days: x.Days + y.Days, Micros: x.Micros + y.Micros}, nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "cannot sum %T", v)
}

func decimalAdd(a, b types.Decimal) types.Decimal {
	s := max(a.Scale, b.Scale)
	return types.Decimal{Coef: a.Rescale(s).Coef.Add(b.Rescale(s).Coef), Scale: s}
}

// resultBatch is an aggregate's value for a group, typed as the binder
// said (sum(int4) is bigint, sum(int8) numeric, avg numeric, ...).
func (a *AggSpec) resultBatch(acc *batchAcc) (types.Datum, error) {
	if acc.ordered != nil {
		sort.SliceStable(acc.ordered, func(i, j int) bool { return bytes.Compare(acc.ordered[i].key, acc.ordered[j].key) < 0 })
		for _, r := range acc.ordered {
			if err := a.fold(acc, r.row); err != nil {
				return nil, err
			}
		}
		acc.ordered = nil
	}
	switch a.Func {
	case "count", "count_star":
		return acc.n, nil
	case "string_agg":
		if acc.n == 0 {
			return nil, nil
		}
		return string(acc.text), nil
	case "array_agg":
		if acc.n == 0 {
			return nil, nil
		}
		return "{" + string(acc.text) + "}", nil
	}
	if acc.n == 0 || acc.val == nil {
		return nil, nil
	}
	return a.result(acc), nil
}

func (a *AggSpec) result(acc *batchAcc) types.Datum {
	switch a.Func {
	case "sum":
		if d, ok := acc.val.(types.Decimal); ok && a.T.IsInteger() {
			return d.Coef.BigInt().Int64()
		}
		if f, ok := acc.val.(float64); ok && a.T.Family == types.Numeric {
			d, _ := types.Cast(f, types.TFloat8, a.T)
			return d
		}
		return acc.val
	case "avg":
		switch s := acc.val.(type) {
		case types.Decimal:
			n := types.DecimalFromInt(acc.n)
			return DivideDecimal(s, n, DivScale(s, n))
		case float64:
			return s / float64(acc.n)
		case types.DInterval:
			return types.DInterval{Micros: s.FixedMicros() / acc.n}
		}
	}
	return acc.val
}
