package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// pipesPrecedence gives || PostgreSQL's precedence. The TiDB parser, in
// PIPES_AS_CONCAT mode, binds || tighter than arithmetic, as MySQL does,
// and reads a * b || c as a * (b || c); PostgreSQL binds arithmetic
// tighter and reads (a * b) || c. So after parsing, every arithmetic
// operation with a || operand (not in parentheses) is rotated under it,
// bottom-up: a op (b || c) becomes (a op b) || c, and (a || b) op c
// becomes a || (b op c). A || operand is a two-argument concat call,
// since the normalizer renames concat(...) as written.
type pipesPrecedence struct{}

// Enter implements ast.Visitor.
func (pipesPrecedence) Enter(n ast.Node) (ast.Node, bool) { return n, false }

// Leave implements ast.Visitor: n's operands are already rotated.
func (pipesPrecedence) Leave(n ast.Node) (ast.Node, bool) {
	if x, ok := n.(*ast.BinaryOperationExpr); ok && arithmetic[x.Op] {
		return rotatePipes(x), true
	}
	return n, true
}

var arithmetic = map[opcode.Op]bool{
	opcode.Plus: true, opcode.Minus: true, opcode.Mul: true, opcode.Div: true, opcode.Mod: true, opcode.IntDiv: true,
}

func rotatePipes(x *ast.BinaryOperationExpr) ast.ExprNode {
	if c := pipesOperand(x.R); c != nil {
		x.R = c.Args[0]
		c.Args[0] = rotatePipes(x)
		return c
	}
	if c := pipesOperand(x.L); c != nil {
		x.L = c.Args[1]
		c.Args[1] = rotatePipes(x)
		return c
	}
	return x
}

// pipesOperand returns e when it is a || operation.
func pipesOperand(e ast.ExprNode) *ast.FuncCallExpr {
	if c, ok := e.(*ast.FuncCallExpr); ok && c.FnName.L == ast.Concat && len(c.Args) == 2 {
		return c
	}
	return nil
}
