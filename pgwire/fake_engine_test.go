package pgwire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/weir-db/weir/types"
)

// fakeEngine answers a handful of canned statements (see fakeSession.exec)
// so that the server can be tested without Weir's engine.
type fakeEngine struct {
	// sleeping receives the context of every "sleep" statement once it
	// waits for cancellation; nil makes "sleep" fail at once (for fuzzing).
	sleeping chan context.Context

	mu     sync.Mutex
	opened int
	closed int
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{sleeping: make(chan context.Context, 16)}
}

func (e *fakeEngine) Connect(ctx context.Context, user, database string) (Session, error) {
	switch {
	case database == "nodb":
		return nil, types.Errorf("3D000", "database %q does not exist", database)
	case database == "panicdb":
		panic("connect exploded")
	}
	e.mu.Lock()
	e.opened++
	e.mu.Unlock()
	return &fakeSession{eng: e, user: user}, nil
}

func (e *fakeEngine) sessions() (opened, closed int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opened, e.closed
}

type fakeSession struct {
	eng    *fakeEngine
	user   string
	closed bool
}

// fakeManyRows is how many rows "select many" returns: enough for several
// mid-statement flushes.
const fakeManyRows = 20000

func (s *fakeSession) Execute(ctx context.Context, sql string, w ResultWriter) error {
	if s.closed {
		panic("execute on a closed session")
	}
	ran := false
	offset := 0
	for _, stmt := range strings.Split(sql, ";") {
		start := offset
		offset += len(stmt) + 1
		text := strings.TrimSpace(stmt)
		if text == "" {
			continue
		}
		ran = true
		pos := start + strings.Index(stmt, text) + 1
		if err := s.exec(ctx, strings.ToLower(text), pos, w); err != nil {
			return err
		}
	}
	if !ran {
		return w.EmptyQuery()
	}
	return nil
}

func (s *fakeSession) exec(ctx context.Context, stmt string, pos int, w ResultWriter) error {
	query := func(cols []Column, rows ...[]types.Datum) error {
		if err := w.Columns(cols); err != nil {
			return err
		}
		for _, r := range rows {
			if err := w.Row(r); err != nil {
				return err
			}
		}
		return w.Complete(fmt.Sprintf("SELECT %d", len(rows)))
	}
	switch stmt {
	case "select 1":
		return query([]Column{{"?column?", types.TInt4}}, []types.Datum{int64(1)})
	case "select null":
		return query([]Column{{"n", types.TText}}, []types.Datum{nil})
	case "select user":
		return query([]Column{{"user", types.TText}}, []types.Datum{s.user})
	case "select types":
		return query([]Column{
			{"b", types.TBool},
			{"i8", types.TInt8},
			{"f8", types.TFloat8},
			{"n", types.Type{Family: types.Numeric, Precision: 10, Scale: 2}},
			{"t", types.TText},
			{"v", types.Type{Family: types.Varchar, Width: 10}},
			{"d", types.TDate},
			{"ts", types.TTimestamp},
		}, []types.Datum{
			true, int64(-42), 1.5, types.Decimal{Coef: types.DecimalFromInt(12345).Coef, Scale: 2},
			"héllo", "x", types.DDate(19000), types.DTimestamp(1_700_000_000_123_000),
		})
	case "select many":
		if err := w.Columns([]Column{{"i", types.TInt8}, {"s", types.TText}}); err != nil {
			return err
		}
		row := make([]types.Datum, 2)
		for i := range fakeManyRows {
			row[0], row[1] = int64(i), "row"
			if err := w.Row(row); err != nil {
				return err
			}
		}
		return w.Complete(fmt.Sprintf("SELECT %d", fakeManyRows))
	case "create stream s":
		return w.Complete("CREATE STREAM")
	case "insert":
		return w.Complete("INSERT 0 1")
	case "panic":
		panic("boom")
	case "internal":
		return errors.New("disk on fire")
	case "bad row":
		if err := w.Columns([]Column{{"a", types.TInt4}}); err != nil {
			return err
		}
		return w.Row([]types.Datum{int64(1), int64(2)})
	case "sleep", "sleep ctxerr":
		if s.eng.sleeping == nil {
			return types.Errorf(types.CodeFeatureNotSupported, "no sleeping here")
		}
		s.eng.sleeping <- ctx
		<-ctx.Done()
		if stmt == "sleep ctxerr" {
			return fmt.Errorf("sleeping: %w", ctx.Err())
		}
		return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
	}
	word, _, _ := strings.Cut(stmt, " ")
	return types.Errorf(types.CodeSyntaxError, "syntax error at or near %q", word).WithPosition(pos)
}

func (s *fakeSession) Close() {
	if s.closed {
		panic("session closed twice")
	}
	s.closed = true
	s.eng.mu.Lock()
	s.eng.closed++
	s.eng.mu.Unlock()
}
