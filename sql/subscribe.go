package sql

import (
	"strings"

	"github.com/weir-db/weir/types"
)

// subscribeStmt is SUBSCRIBE [TO] view [WITH (option [= value], ...)].
type subscribeStmt struct {
	view    string
	viewPos int // 1-based byte offset of the view's name
	options []Option
}

func (*subscribeStmt) parsedNode() {}

// Subscribe streams a materialized view's changes: its rows at the start
// (unless Snapshot is off), then every later commit's changes, until the
// client cancels or the view goes away.
type Subscribe struct {
	View *Relation
	// Snapshot sends the view's rows as of the start first (default true).
	Snapshot bool
	// Progress adds the weir_progressed column and a progress row after
	// each commit (default false).
	Progress bool
}

func (*Subscribe) statement() {}

// parseSubscribe reads SUBSCRIBE [TO] name [WITH] [(option [= value], ...)],
// the cursor at SUBSCRIBE; it stops before whatever follows (the end of
// the statement, or COPY's closing parenthesis).
func parseSubscribe(s *tokStream) (*subscribeStmt, error) {
	s.next()
	st := &subscribeStmt{}
	if s.peek().Is("to") && s.peekN(1).Kind != TokEOF && !s.peekN(1).Is("with") && !s.peekN(1).Is("(") {
		s.next()
	}
	st.viewPos = s.peek().Pos + 1
	var err error
	if st.view, err = s.name(); err != nil {
		return nil, err
	}
	withWord := s.accept("with")
	if !withWord && !s.peek().Is("(") {
		return st, nil
	}
	if err := s.expect("("); err != nil {
		return nil, err
	}
	for {
		nt := s.peek()
		name, _, err := s.ident()
		if err != nil {
			return nil, err
		}
		val := "true"
		if s.accept("=") {
			v := s.next()
			if v.Kind != TokString && v.Kind != TokNumber && v.Kind != TokIdent {
				return nil, syntaxErrorNear(v)
			}
			val = v.Text
		} else if !s.peek().Is(",") && !s.peek().Is(")") {
			// Materialize's form without '=': SNAPSHOT false.
			v := s.next()
			if v.Kind != TokString && v.Kind != TokNumber && v.Kind != TokIdent {
				return nil, syntaxErrorNear(v)
			}
			val = v.Text
		}
		st.options = append(st.options, Option{Name: name, Value: val, Pos: nt.Pos + 1})
		if !s.accept(",") {
			break
		}
	}
	if err := s.expect(")"); err != nil {
		return nil, err
	}
	return st, nil
}

// bindSubscribe checks that the view is a materialized view and reads the
// options.
func bindSubscribe(n *subscribeStmt, cat Catalog) (*Subscribe, error) {
	rel, ok := cat.Relation(n.view)
	if !ok {
		e := types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.view)
		e.Position = n.viewPos
		return nil, e
	}
	if rel.Kind != RelMaterializedView {
		e := types.Errorf(types.CodeWrongObjectType, "\"%s\" is not a materialized view", n.view)
		e.Position = n.viewPos
		return nil, e
	}
	sub := &Subscribe{View: rel, Snapshot: true}
	seen := map[string]bool{}
	for _, o := range n.options {
		name := strings.ToLower(o.Name)
		var target *bool
		switch name {
		case "snapshot":
			target = &sub.Snapshot
		case "progress":
			target = &sub.Progress
		default:
			e := types.Errorf(types.CodeInvalidParameterValue, "unrecognized SUBSCRIBE option \"%s\"", o.Name)
			e.Position = o.Pos
			return nil, e
		}
		if seen[name] {
			e := types.Errorf(types.CodeSyntaxError, "option \"%s\" specified more than once", name)
			e.Position = o.Pos
			return nil, e
		}
		seen[name] = true
		b, err := types.ParseText(types.TBool, o.Value)
		if err != nil {
			e := types.Errorf(types.CodeInvalidParameterValue, "%s requires a Boolean value", name)
			e.Position = o.Pos
			return nil, e
		}
		*target = b.(bool)
	}
	return sub, nil
}

// String prints the statement canonically.
func (n *subscribeStmt) String() string {
	return "SUBSCRIBE " + quoteIdent(n.view) + formatOptions(n.options)
}
