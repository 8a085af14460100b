package exec

import "github.com/weir-db/weir/types"

// FuncExpr applies a function the engine supplies (for example one that
// reads the catalog). Strict: a NULL argument gives NULL.
type FuncExpr struct {
	Name string
	Fn   func(args []types.Datum) (types.Datum, error)
	Args []Expr
	T    types.Type
}

// Type implements Expr.
func (f *FuncExpr) Type() types.Type { return f.T }

// EvalRow implements Expr.
func (f *FuncExpr) EvalRow(row []types.Datum) (types.Datum, error) {
	args := make([]types.Datum, len(f.Args))
	for i, a := range f.Args {
		v, err := a.EvalRow(row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nil
		}
		args[i] = v
	}
	return f.Fn(args)
}
