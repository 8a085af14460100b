package exec

import "github.com/weir-db/weir/types"

// rowReader reads only the columns some expressions use from a chunk's
// rows, leaving the others NULL: an expression over two columns of a
// ten-column chunk does not turn the other eight into datums.
type rowReader struct {
	cols []int // nil: every column
	row  []types.Datum
}

// newRowReader prepares reading what es use.
func newRowReader(es ...Expr) *rowReader {
	used := map[int]bool{}
	for _, e := range es {
		if !exprColumns(e, used) {
			return &rowReader{}
		}
	}
	r := &rowReader{cols: []int{}}
	for c := range used {
		r.cols = append(r.cols, c)
	}
	return r
}

// read returns row i of c; the slice is reused by the next read.
func (r *rowReader) read(c *Chunk, i int) []types.Datum {
	if r.cols == nil {
		r.row = c.Row(i, r.row)
		return r.row
	}
	if cap(r.row) < len(c.Types) {
		r.row = make([]types.Datum, len(c.Types))
	}
	r.row = r.row[:len(c.Types)]
	for _, j := range r.cols {
		r.row[j] = types.GetDatum(c.Rec.Column(j), c.Types[j], i)
	}
	return r.row
}

// exprColumns adds the columns e reads to used; false when e holds an
// expression it cannot see into (it may read any column).
func exprColumns(e Expr, used map[int]bool) bool {
	switch x := e.(type) {
	case *ColRef:
		used[x.Idx] = true
	case *Const, *ProcTime:
	case *Call:
		for _, a := range x.Args {
			if !exprColumns(a, used) {
				return false
			}
		}
	case *Cast:
		return exprColumns(x.E, used)
	case *Case:
		for i := range x.Conds {
			if !exprColumns(x.Conds[i], used) || !exprColumns(x.Thens[i], used) {
				return false
			}
		}
		return x.Else == nil || exprColumns(x.Else, used)
	case *FuncExpr:
		for _, a := range x.Args {
			if !exprColumns(a, used) {
				return false
			}
		}
	default:
		return false
	}
	return true
}
