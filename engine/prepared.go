package engine

import (
	"context"

	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

var _ pgwire.Preparer = (*Session)(nil)

// prepared is the engine's side of a prepared statement: its parse, bound
// again at each execution so catalog changes in between are seen.
type prepared struct {
	parsed *sql.Parsed
}

// Prepare implements pgwire.Preparer: it parses and binds the statement,
// inferring parameter types the client left open.
func (s *Session) Prepare(ctx context.Context, text string, paramTypes []types.Type) (*pgwire.Statement, error) {
	ps, err := sql.Parse(text)
	if err != nil {
		return nil, err
	}
	switch len(ps) {
	case 0:
		return &pgwire.Statement{ParamTypes: paramTypes}, nil
	case 1:
	default:
		return nil, types.Errorf(types.CodeSyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	if err := s.refuseInFailedBlock(ps[0]); err != nil {
		return nil, err
	}
	st, ptypes, err := sql.BindParams(ps[0], s.e.cat, paramTypes)
	if err != nil {
		return nil, err
	}
	return &pgwire.Statement{ParamTypes: ptypes, Columns: s.resultColumns(st), Handle: &prepared{parsed: ps[0]}}, nil
}

// ExecutePrepared implements pgwire.Preparer.
func (s *Session) ExecutePrepared(ctx context.Context, st *pgwire.Statement, params []types.Datum, w pgwire.ResultWriter) error {
	p, ok := st.Handle.(*prepared)
	if !ok {
		return w.EmptyQuery()
	}
	return s.inBlock(ctx, p.parsed, func(ctx context.Context) error {
		bound, _, err := sql.BindParams(p.parsed, s.e.cat, st.ParamTypes)
		if err != nil {
			return err
		}
		env := s.env()
		env.params = params
		return s.runBound(ctx, p.parsed, bound, env, w)
	})
}

// resultColumns describes the rows a statement returns (nil: none).
func (s *Session) resultColumns(st sql.Statement) []pgwire.Column {
	switch n := st.(type) {
	case *sql.Select:
		return queryColumns(n.Query)
	case *sql.Fetch:
		return s.cursorColumns(n)
	case *sql.Explain:
		return []pgwire.Column{{Name: "QUERY PLAN", Type: types.TText}}
	case *sql.Subscribe:
		cols, _ := subscribeColumns(n)
		return cols
	case *sql.Show:
		return []pgwire.Column{{Name: showColumn(n.Name), Type: types.TText}}
	}
	return nil
}

func showColumn(name string) string {
	if name == "transaction isolation level" {
		return "transaction_isolation"
	}
	return name
}
