package exec

import (
	"github.com/weir-db/weir/types"
)

// JoinType is the kind of a join.
type JoinType uint8

// Join types. Semi and Anti (streaming joins only) output left rows only:
// those with a match, or those without.
const (
	JoinInner JoinType = iota
	JoinLeft
	JoinRight
	JoinFull
	JoinSemi
	JoinAnti
)

// BatchHashJoin joins on equal keys (LeftKeys over left rows, RightKeys
// over right rows; NULL keys never match) with an optional residual
// condition over the concatenated row; with no keys it is a nested loop.
type BatchHashJoin struct {
	Left, Right         BatchOp
	LeftWidth           int
	RightWidth          int
	LeftKeys, RightKeys []Expr
	KeyTypes            []types.Type
	Residual            Expr
	Type                JoinType
}

// Rows implements BatchOp.
func (j *BatchHashJoin) Rows() ([][]types.Datum, error) {
	left, err := j.Left.Rows()
	if err != nil {
		return nil, err
	}
	right, err := j.Right.Rows()
	if err != nil {
		return nil, err
	}
	keyOf := func(keys []Expr, row []types.Datum) (string, bool, error) {
		if len(keys) == 0 {
			return "", true, nil
		}
		vals := make([]types.Datum, len(keys))
		for i, k := range keys {
			v, err := k.EvalRow(row)
			if err != nil {
				return "", false, err
			}
			if v == nil {
				return "", false, nil
			}
			if cv, err := types.Cast(v, k.Type(), j.KeyTypes[i]); err == nil {
				v = cv
			}
			vals[i] = v
		}
		return rowKey(j.KeyTypes, vals), true, nil
	}
	table := map[string][]int{}
	for i, r := range right {
		k, ok, err := keyOf(j.RightKeys, r)
		if err != nil {
			return nil, err
		}
		if ok {
			table[k] = append(table[k], i)
		}
	}
	rightMatched := make([]bool, len(right))
	var out [][]types.Datum
	for _, l := range left {
		k, ok, err := keyOf(j.LeftKeys, l)
		if err != nil {
			return nil, err
		}
		matched := false
		if ok {
			for _, ri := range table[k] {
				row := make([]types.Datum, 0, j.LeftWidth+j.RightWidth)
				row = append(append(row, l...), right[ri]...)
				if j.Residual != nil {
					v, err := j.Residual.EvalRow(row)
					if err != nil {
						return nil, err
					}
					if v != true {
						continue
					}
				}
				matched = true
				rightMatched[ri] = true
				out = append(out, row)
			}
		}
		if !matched && (j.Type == JoinLeft || j.Type == JoinFull) {
			row := make([]types.Datum, j.LeftWidth+j.RightWidth)
			copy(row, l)
			out = append(out, row)
		}
	}
	if j.Type == JoinRight || j.Type == JoinFull {
		for ri, r := range right {
			if !rightMatched[ri] {
				row := make([]types.Datum, j.LeftWidth+j.RightWidth)
				copy(row[j.LeftWidth:], r)
				out = append(out, row)
			}
		}
	}
	return out, nil
}
