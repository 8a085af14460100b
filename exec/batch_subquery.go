package exec

import (
	"strings"

	"github.com/weir-db/weir/types"
)

// arrayElem prints one element of a PostgreSQL array literal.
func arrayElem(t types.Type, v types.Datum) string {
	if v == nil {
		return "NULL"
	}
	s := string(types.FormatText(nil, t, v))
	if s == "" || strings.ContainsAny(s, "{},\"\\ ") || strings.EqualFold(s, "null") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return s
}

// OuterRows is the stack of rows a correlated subquery sees: each
// evaluation of a SubqueryExpr pushes the current row for the duration of
// its subquery's run. A query's expressions share one stack; queries run
// on one goroutine.
type OuterRows struct {
	rows [][]types.Datum
}

// OuterRef reads column Idx of the row Depth levels out.
type OuterRef struct {
	Stack *OuterRows
	Depth int
	Idx   int
	T     types.Type
}

// Type implements Expr.
func (o *OuterRef) Type() types.Type { return o.T }

// EvalRow implements Expr.
func (o *OuterRef) EvalRow([]types.Datum) (types.Datum, error) {
	n := len(o.Stack.rows)
	if o.Depth > n {
		return nil, types.Errorf(types.CodeInternalError, "outer reference beyond the enclosing queries")
	}
	return o.Stack.rows[n-o.Depth][o.Idx], nil
}

// SubqueryKind mirrors the binder's subquery uses.
type SubqueryKind uint8

// Subquery kinds.
const (
	SubScalar SubqueryKind = iota
	SubExists
	SubIn
	SubAny
	SubAll
	SubArray
)

// SubqueryExpr evaluates a query per row (or once, when not correlated).
type SubqueryExpr struct {
	Kind       SubqueryKind
	Plan       BatchOp
	Stack      *OuterRows
	Correlated bool
	Test       Expr
	Cmp        *Call // Test op value, with Args[1] a *Const set per value
	Negated    bool
	T          types.Type
	ElemType   types.Type // SubArray: the element type

	cached [][]types.Datum
	done   bool
}

// Type implements Expr.
func (s *SubqueryExpr) Type() types.Type { return s.T }

func (s *SubqueryExpr) rows(row []types.Datum) ([][]types.Datum, error) {
	if !s.Correlated && s.done {
		return s.cached, nil
	}
	s.Stack.rows = append(s.Stack.rows, row)
	out, err := s.Plan.Rows()
	s.Stack.rows = s.Stack.rows[:len(s.Stack.rows)-1]
	if err != nil {
		return nil, err
	}
	if !s.Correlated {
		s.cached, s.done = out, true
	}
	return out, nil
}

// EvalRow implements Expr.
func (s *SubqueryExpr) EvalRow(row []types.Datum) (types.Datum, error) {
	rows, err := s.rows(row)
	if err != nil {
		return nil, err
	}
	switch s.Kind {
	case SubScalar:
		switch len(rows) {
		case 0:
			return nil, nil
		case 1:
			return rows[0][0], nil
		}
		return nil, types.Errorf(types.CodeCardinalityViolation, "more than one row returned by a subquery used as an expression")
	case SubExists:
		return (len(rows) > 0) != s.Negated, nil
	case SubArray:
		parts := make([]string, len(rows))
		for i, r := range rows {
			parts[i] = arrayElem(s.ElemType, r[0])
		}
		return "{" + strings.Join(parts, ",") + "}", nil
	}
	// IN / ANY / ALL: three-valued over the subquery's values.
	test, err := s.Test.EvalRow(row)
	if err != nil {
		return nil, err
	}
	all := s.Kind == SubAll
	sawNull := false
	if test == nil && len(rows) > 0 {
		sawNull = true
	}
	result := all
	if test != nil {
		for _, r := range rows {
			v := r[0]
			if v == nil {
				sawNull = true
				continue
			}
			c := s.Cmp
			c.Args[0].(*Const).V = test
			c.Args[1].(*Const).V = v
			ok, err := c.EvalRow(nil)
			if err != nil {
				return nil, err
			}
			if all && ok != true {
				result = false
				sawNull = false
				break
			}
			if !all && ok == true {
				result = true
				sawNull = false
				break
			}
		}
	}
	var out types.Datum = result
	if sawNull && result == all {
		out = nil
	}
	if s.Negated && out != nil {
		out = !out.(bool)
	}
	return out, nil
}
