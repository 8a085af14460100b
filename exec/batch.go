package exec

import (
	"sort"

	"github.com/weir-db/weir/types"
)

// Batch operators evaluate interactive queries over finite inputs (a
// table's or view's rows, a stream's log up to its end). Each produces its
// whole result as rows; joins, set operations, window functions and
// correlated subqueries are evaluated here, while continuous queries use
// the incremental operators.
//
// A BatchOp is run once per evaluation; operators inside a correlated
// subquery run once per outer row and must not keep state between runs.
type BatchOp interface {
	Rows() ([][]types.Datum, error)
}

// BatchSource produces rows from outside (a scan, literal values).
type BatchSource struct {
	Fn func() ([][]types.Datum, error)
}

// Rows implements BatchOp.
func (s *BatchSource) Rows() ([][]types.Datum, error) { return s.Fn() }

// BatchFilter keeps rows where Cond is true.
type BatchFilter struct {
	Input BatchOp
	Cond  Expr
}

// Rows implements BatchOp.
func (f *BatchFilter) Rows() ([][]types.Datum, error) {
	in, err := f.Input.Rows()
	if err != nil {
		return nil, err
	}
	out := in[:0:0]
	for _, r := range in {
		v, err := f.Cond.EvalRow(r)
		if err != nil {
			return nil, err
		}
		if v == true {
			out = append(out, r)
		}
	}
	return out, nil
}

// BatchProject computes Exprs per row.
type BatchProject struct {
	Input BatchOp
	Exprs []Expr
}

// Rows implements BatchOp.
func (p *BatchProject) Rows() ([][]types.Datum, error) {
	in, err := p.Input.Rows()
	if err != nil {
		return nil, err
	}
	out := make([][]types.Datum, len(in))
	for i, r := range in {
		row := make([]types.Datum, len(p.Exprs))
		for j, e := range p.Exprs {
			if row[j], err = e.EvalRow(r); err != nil {
				return nil, err
			}
		}
		out[i] = row
	}
	return out, nil
}

// SortKeyExpr is one ordering of a sort.
type SortKeyExpr struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// CompareRows orders two rows by keys with SQL's NULL placement.
func CompareRows(a, b []types.Datum, keys []SortKeyExpr) int {
	for _, k := range keys {
		x, y := a[k.Col], b[k.Col]
		var c int
		switch {
		case x == nil && y == nil:
		case x == nil:
			c = 1
			if k.NullsFirst {
				c = -1
			}
			if k.Desc {
				c = -c
			}
		case y == nil:
			c = -1
			if k.NullsFirst {
				c = 1
			}
			if k.Desc {
				c = -c
			}
		default:
			c = types.Compare(x, y)
		}
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// BatchSort orders rows (stable).
type BatchSort struct {
	Input BatchOp
	Keys  []SortKeyExpr
}

// Rows implements BatchOp.
func (s *BatchSort) Rows() ([][]types.Datum, error) {
	in, err := s.Input.Rows()
	if err != nil {
		return nil, err
	}
	out := append([][]types.Datum(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return CompareRows(out[i], out[j], s.Keys) < 0 })
	return out, nil
}

// BatchLimit skips Offset rows and keeps Count (-1: all).
type BatchLimit struct {
	Input         BatchOp
	Count, Offset int64
}

// Rows implements BatchOp.
func (l *BatchLimit) Rows() ([][]types.Datum, error) {
	in, err := l.Input.Rows()
	if err != nil {
		return nil, err
	}
	off := min(int(l.Offset), len(in))
	in = in[off:]
	if l.Count >= 0 && int(l.Count) < len(in) {
		in = in[:l.Count]
	}
	return in, nil
}

// rowKey encodes a row (or some of its columns) so equal values of the
// same types get equal keys.
func rowKey(ts []types.Type, row []types.Datum) string {
	return string(RowKey(ts, row))
}
