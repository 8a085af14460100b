package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weir-db/weir/types"
)

// subquery binds a query nested in an expression; its column references
// may reach the enclosing queries' rows (correlation).
func (b *exprBinder) subquery(n ast.ResultSetNode) (*Query, error) {
	if b.bd == nil {
		return nil, b.errAt(n, types.CodeFeatureNotSupported, "subqueries are not allowed here")
	}
	stmt, ok := n.(ast.StmtNode)
	if !ok {
		return nil, b.errAt(n, types.CodeSyntaxError, "not a query")
	}
	child := b.bd.child(b.scope)
	q, err := child.bindQueryNode(stmt)
	if err != nil {
		return nil, err
	}
	b.bd.deps = append(b.bd.deps, child.deps...)
	return q, nil
}

// compareSubquery binds x IN (SELECT ...) and x op ANY/ALL (SELECT ...).
func (b *exprBinder) compareSubquery(node ast.Node, left ast.ExprNode, sub ast.ResultSetNode, op string, all, negated bool) (Expr, error) {
	l, err := b.bind(left)
	if err != nil {
		return nil, err
	}
	q, err := b.subquery(sub)
	if err != nil {
		return nil, err
	}
	if len(q.Cols) != 1 {
		return nil, b.errAt(node, types.CodeSyntaxError, "subquery has too many columns")
	}
	t, err := commonType(op, []Expr{l, &ColRef{T: q.Cols[0].Type}})
	if err != nil {
		return nil, types.AsError(err).WithPosition(b.errAt(node, "", "").Position)
	}
	if l, err = coerce(l, t); err != nil {
		return nil, err
	}
	rel := q.Rel
	if q.Cols[0].Type != t {
		if !types.CanCastImplicitly(q.Cols[0].Type, t) {
			return nil, b.errAt(node, types.CodeDatatypeMismatch, "cannot compare %s with %s", l.Type(), q.Cols[0].Type)
		}
		rel = &Project{Input: rel, Exprs: []Expr{&Cast{E: &ColRef{Idx: 0, T: q.Cols[0].Type}, T: t}}, Cols: []Column{{Name: q.Cols[0].Name, Type: t}}}
	}
	kind := AnySubquery
	switch {
	case all:
		kind = AllSubquery
	case op == "=":
		kind = InSubquery
	}
	return &Subquery{Kind: kind, Query: rel, Test: l, Op: op, Negated: negated, T: types.TBool}, nil
}
