package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// Session is one client's state: who it is, its settings and its open
// transaction block.
type Session struct {
	e        *Engine
	user     string
	pid      int64
	settings map[string]string
	// txn is the open transaction block; nil outside one (see txn.go).
	txn *txn
	// cursors are the open cursors by name (see cursor.go).
	cursors map[string]*cursor
	// implicit is set while a query string of several statements runs:
	// PostgreSQL's implicit block, where DECLARE needs no BEGIN.
	implicit bool
}

var (
	_ pgwire.Session       = (*Session)(nil)
	_ pgwire.Transactional = (*Session)(nil)
)

// NewSession opens a session (also used in-process by tests and the
// sqllogictest runner).
func (e *Engine) NewSession() *Session { return e.newSession("weir") }

func (e *Engine) newSession(user string) *Session {
	return &Session{e: e, user: user, pid: int64(e.nextPID.Add(1)), settings: map[string]string{}}
}

// env is the context a statement's expressions may read.
func (s *Session) env() *evalEnv {
	return &evalEnv{now: types.DTimestamp(nowMicros()), user: s.user, pid: s.pid, settings: s.setting, catalogCall: s.catalogCall}
}

// setting reads a session setting, falling back to the server defaults.
func (s *Session) setting(name string) (string, bool) {
	name = strings.ToLower(name)
	if v, ok := s.settings[name]; ok {
		return v, true
	}
	v, ok := defaultSettings[name]
	return v, ok
}

// Close implements pgwire.Session. An open block's writes are discarded, as
// PostgreSQL rolls back when a client leaves mid-transaction.
func (s *Session) Close() {
	s.txn = nil
	s.closeCursors(func(*cursor) bool { return true })
}

// TxStatus implements pgwire.Transactional.
func (s *Session) TxStatus() byte {
	switch {
	case s.txn == nil:
		return 'I'
	case s.txn.failed:
		return 'E'
	}
	return 'T'
}

// FailBlock implements pgwire.Transactional.
func (s *Session) FailBlock() {
	if s.txn != nil {
		s.txn.failed = true
	}
}

// refuseInFailedBlock is PostgreSQL's answer to any statement but COMMIT
// and ROLLBACK inside a failed block.
func (s *Session) refuseInFailedBlock(p *sql.Parsed) error {
	if s.txn != nil && s.txn.failed && p.Tag != "COMMIT" && p.Tag != "ROLLBACK" {
		return types.Errorf(codeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	return nil
}

// inBlock runs one statement (fn) as part of the open block, if any: a
// failed block refuses it, and its error fails the block.
func (s *Session) inBlock(ctx context.Context, p *sql.Parsed, fn func(ctx context.Context) error) error {
	if err := s.refuseInFailedBlock(p); err != nil {
		return err
	}
	err := fn(withTxn(ctx, s.txn))
	if err != nil {
		s.FailBlock()
	}
	return err
}

// transaction runs BEGIN, COMMIT and ROLLBACK with PostgreSQL's notices and
// tags.
func (s *Session) transaction(ctx context.Context, n *sql.Txn, w pgwire.ResultWriter) error {
	warn := func(code, msg string) error {
		if nw, ok := w.(pgwire.Noticer); ok {
			return nw.Notice("WARNING", types.Errorf(code, "%s", msg))
		}
		return nil
	}
	switch n.Tag {
	case "BEGIN", "START TRANSACTION":
		if s.txn != nil {
			if err := warn(codeActiveSQLTransaction, "there is already a transaction in progress"); err != nil {
				return err
			}
		} else {
			s.txn = &txn{}
		}
	case "COMMIT", "ROLLBACK":
		t := s.txn
		s.txn = nil
		switch {
		case t == nil:
			if err := warn(codeNoActiveSQLTransaction, "there is no transaction in progress"); err != nil {
				return err
			}
		case t.failed:
			s.endBlockCursors(t, false)
			return w.Complete("ROLLBACK")
		case n.Tag == "COMMIT":
			err := s.e.commit(t)
			s.endBlockCursors(t, err == nil)
			if err != nil {
				return err
			}
		default:
			s.endBlockCursors(t, false)
		}
	}
	return w.Complete(n.Tag)
}

// Execute implements pgwire.Session: it parses the whole text first (a
// syntax error anywhere runs nothing, as in PostgreSQL), then binds and runs
// each statement in turn, stopping at the first error.
func (s *Session) Execute(ctx context.Context, text string, w pgwire.ResultWriter) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.e.cfg.Logf("internal error running %q: %v\n%s", text, r, debug.Stack())
			err = types.Errorf(types.CodeInternalError, "internal error: %v", r)
		}
	}()
	ps, err := sql.Parse(text)
	if s.e.cfg.highNot {
		ps, err = sql.ParseHighNot(text)
	}
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		return w.EmptyQuery()
	}
	if len(ps) > 1 {
		s.implicit = true
		defer func() {
			s.implicit = false
			s.closeCursors(func(c *cursor) bool { return c.implicit })
		}()
	}
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		if err := s.inBlock(ctx, p, func(ctx context.Context) error { return s.run(ctx, p, w) }); err != nil {
			return markCorruption(err)
		}
	}
	return nil
}

// markCorruption gives storage failures met while running a statement
// PostgreSQL's SQLSTATEs: damage on disk is data_corrupted (XX001), a
// full disk disk_full (53100), not internal errors.
func markCorruption(err error) error {
	var te *types.Error
	switch {
	case errors.As(err, &te):
		return err
	case state.IsCorruption(err) || errors.Is(err, wlog.ErrCorrupt):
		return types.Errorf(types.CodeDataCorrupted, "%v", err)
	case errors.Is(err, state.ErrDiskFull):
		return types.Errorf(types.CodeDiskFull, "%v", err)
	}
	return err
}

func (s *Session) run(ctx context.Context, p *sql.Parsed, w pgwire.ResultWriter) error {
	e := s.e
	st, err := sql.Bind(p, e.cat)
	if err != nil {
		return err
	}
	return s.runBound(ctx, p, st, s.env(), w)
}

// runBound executes a bound statement.
func (s *Session) runBound(ctx context.Context, p *sql.Parsed, st sql.Statement, env *evalEnv, w pgwire.ResultWriter) error {
	e := s.e
	switch n := st.(type) {
	case *sql.Select:
		return e.query(ctx, n.Query, env, w)
	case *sql.Insert:
		count, err := e.insert(ctx, s.txn, n, env)
		if err != nil {
			return err
		}
		return w.Complete(fmt.Sprintf("INSERT 0 %d", count))
	case *sql.Update:
		count, err := e.update(ctx, s.txn, n, env)
		if err != nil {
			return err
		}
		return w.Complete(fmt.Sprintf("UPDATE %d", count))
	case *sql.Delete:
		count, err := e.delete(ctx, s.txn, n, env)
		if err != nil {
			return err
		}
		return w.Complete(fmt.Sprintf("DELETE %d", count))
	case *sql.CreateStream:
		if err := e.createStream(n); err != nil {
			return err
		}
	case *sql.CreateTable:
		if err := e.createTable(n); err != nil {
			return err
		}
	case *sql.CreateView:
		if err := e.createView(n, p.Text); err != nil {
			return err
		}
	case *sql.Drop:
		if err := e.drop(n); err != nil {
			return err
		}
	case *sql.Alter:
		if err := e.alter(n); err != nil {
			return err
		}
	case *sql.CreateIndex:
		if err := e.createIndex(n); err != nil {
			return err
		}
	case *sql.CreateSource:
		if err := e.createSource(n, p.Text); err != nil {
			return err
		}
	case *sql.CreateSink:
		if err := e.createSink(n, p.Text); err != nil {
			return err
		}
	case *sql.Explain:
		return s.explain(n, w)
	case *sql.Copy:
		if n.Subscribe != nil {
			return s.subscribeCopy(ctx, n, w)
		}
		return s.copy(ctx, n, env, w)
	case *sql.Subscribe:
		return s.subscribe(ctx, n, w)
	case *sql.Declare:
		return s.declare(ctx, n, env, w)
	case *sql.Fetch:
		return s.fetch(ctx, n, w)
	case *sql.CloseCursor:
		return s.closeCursor(n, w)
	case *sql.CreateUser:
		if err := e.createUser(n); err != nil {
			return err
		}
	case *sql.DropUser:
		if err := e.dropUser(n); err != nil {
			return err
		}
	case *sql.Flush:
		if err := e.flush(ctx); err != nil {
			return err
		}
	case *sql.Set:
		if n.Reset {
			delete(s.settings, n.Name)
		} else {
			s.settings[n.Name] = strings.Trim(n.Value, "'")
		}
	case *sql.Show:
		return s.show(n, w)
	case *sql.Txn:
		return s.transaction(ctx, n, w)
	default:
		return types.Errorf(types.CodeFeatureNotSupported, "statement is not supported")
	}
	return w.Complete(p.Tag)
}

// explain shows how a statement would run: the dataflow of a materialized
// view, or the operator tree of an interactive query.
func (s *Session) explain(n *sql.Explain, w pgwire.ResultWriter) error {
	var text string
	switch st := n.Inner.(type) {
	case *sql.CreateView:
		if !st.Materialized {
			text = sql.FormatRel(planner.OptimizeBatch(st.Query.Rel))
			break
		}
		plan, err := planner.PlanView(st.Query, st.Emit)
		if err != nil {
			return err
		}
		if err := planner.Unmaintainable(plan); err != nil {
			return err
		}
		planner.Fuse(plan, s.e.cfg.fusions()) // as CREATE plans it
		text = plan.Explain()
	case *sql.Select:
		text = sql.FormatRel(planner.OptimizeBatch(st.Query.Rel))
	default:
		return types.Errorf(types.CodeFeatureNotSupported, "EXPLAIN supports SELECT and CREATE [MATERIALIZED] VIEW")
	}
	if err := w.Columns([]pgwire.Column{{Name: "QUERY PLAN", Type: types.TText}}); err != nil {
		return err
	}
	for _, line := range strings.Split(text, "\n") {
		if err := w.Row([]types.Datum{line}); err != nil {
			return err
		}
	}
	return w.Complete("EXPLAIN")
}

var defaultSettings = map[string]string{
	"server_version":                "15.0",
	"server_encoding":               "UTF8",
	"client_encoding":               "UTF8",
	"datestyle":                     "ISO, MDY",
	"timezone":                      "UTC",
	"transaction isolation level":   "serializable",
	"transaction_isolation":         "serializable",
	"standard_conforming_strings":   "on",
	"integer_datetimes":             "on",
	"intervalstyle":                 "postgres",
	"application_name":              "",
	"search_path":                   "\"$user\", public",
	"max_identifier_length":         "63",
	"default_transaction_read_only": "off",
}

func (s *Session) show(n *sql.Show, w pgwire.ResultWriter) error {
	name := strings.ToLower(n.Name)
	v, ok := s.setting(name)
	if !ok {
		return types.Errorf(types.CodeUndefinedObject, "unrecognized configuration parameter \"%s\"", n.Name)
	}
	col := name
	if name == "transaction isolation level" {
		col = "transaction_isolation"
	}
	if err := w.Columns([]pgwire.Column{{Name: col, Type: types.TText}}); err != nil {
		return err
	}
	if err := w.Row([]types.Datum{v}); err != nil {
		return err
	}
	return w.Complete("SHOW")
}
