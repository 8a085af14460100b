package engine

import (
	"context"
	"fmt"

	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// SQL cursors: DECLARE, FETCH, MOVE and CLOSE, with PostgreSQL's rules.
//
//  1. A cursor is the session's, by name. Without WITH HOLD it can only be
//     declared inside a transaction block (or a multi-statement query
//     string, PostgreSQL's implicit block) and closes when the block ends.
//  2. A WITH HOLD cursor survives the COMMIT of the block that declared it
//     (and may be declared outside a block); a ROLLBACK of that block
//     closes it. Once held, it lives until CLOSE or the end of the session.
//  3. Cursors only move forward (PostgreSQL's NO SCROLL): any other
//     direction fails with 55000 once the cursor is known to exist.
//  4. A SELECT cursor's rows are computed at DECLARE, in the block's
//     snapshot (its own writes so far included), and handed out in pieces.
//  5. A SUBSCRIBE cursor starts its subscription at DECLARE. FETCH returns
//     the rows available, up to its count, waiting for at least one unless
//     WITH (timeout = ...) bounds the wait; a cancel interrupts the wait.
//     The subscription is closed with the cursor: at CLOSE, at the end of
//     the block, or at the end of the session.

// SQLSTATEs of cursors, as PostgreSQL's.
const (
	codeUndefinedCursor = "34000"
	codeDuplicateCursor = "42P03"
)

// cursor is one open cursor.
type cursor struct {
	hold bool
	// block is the transaction block that declared it, until a COMMIT
	// makes a WITH HOLD cursor the session's; nil for one declared outside
	// a block.
	block *txn
	// implicit marks a cursor declared outside a block in a query string
	// of several statements: it closes at the end of the string.
	implicit bool
	cols     []pgwire.Column
	src      cursorSource
}

// cursorSource produces a cursor's rows. Its methods are called from the
// session's goroutine, one at a time.
type cursorSource interface {
	// next returns up to n rows (every remaining or available one with
	// all) and moves past them; n is positive unless all is set.
	next(ctx context.Context, n int64, all bool, f *sql.Fetch) ([][]types.Datum, error)
	// current is the row FETCH 0 returns again; nil if none.
	current() []types.Datum
	close()
}

// declare runs DECLARE.
func (s *Session) declare(ctx context.Context, n *sql.Declare, env *evalEnv, w pgwire.ResultWriter) error {
	if _, ok := s.cursors[n.Name]; ok {
		return types.Errorf(codeDuplicateCursor, "cursor \"%s\" already exists", n.Name)
	}
	if !n.Hold && s.txn == nil && !s.implicit {
		return types.Errorf(codeNoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	c := &cursor{hold: n.Hold, block: s.txn, implicit: s.txn == nil && !n.Hold}
	switch q := n.Query.(type) {
	case *sql.Select:
		rows, err := s.e.runQuery(ctx, q.Query, env)
		if err != nil {
			return err
		}
		c.cols = queryColumns(q.Query)
		c.src = &rowsCursor{rows: rows}
	case *sql.Subscribe:
		src, err := s.e.subscribeCursor(q)
		if err != nil {
			return err
		}
		c.cols, _ = subscribeColumns(q)
		c.src = src
	default:
		return types.Errorf(types.CodeFeatureNotSupported, "DECLARE CURSOR supports SELECT and SUBSCRIBE")
	}
	if s.cursors == nil {
		s.cursors = map[string]*cursor{}
	}
	s.cursors[n.Name] = c
	return w.Complete("DECLARE CURSOR")
}

// cursor finds an open cursor.
func (s *Session) cursor(name string) (*cursor, error) {
	c, ok := s.cursors[name]
	if !ok {
		return nil, types.Errorf(codeUndefinedCursor, "cursor \"%s\" does not exist", name)
	}
	return c, nil
}

// fetch runs FETCH and MOVE.
func (s *Session) fetch(ctx context.Context, n *sql.Fetch, w pgwire.ResultWriter) error {
	c, err := s.cursor(n.Name)
	if err != nil {
		return err
	}
	if n.Backward {
		e := types.Errorf(types.CodeObjectNotInPrerequisiteState, "cursor can only scan forward")
		e.Hint = "Declare it with SCROLL option to enable backward scan."
		return e
	}
	verb := "FETCH"
	if n.Move {
		verb = "MOVE"
	} else if err := w.Columns(c.cols); err != nil {
		return err
	}
	var rows [][]types.Datum
	switch {
	case n.All || n.Count > 0:
		if _, waits := c.src.(*subscribeCursor); waits {
			// The client learns at once that the FETCH runs (and a
			// cancel has a statement to interrupt) while it waits.
			if st := streamerOf(w); st != nil {
				if !n.Move {
					if err := st.Flush(); err != nil {
						return err
					}
				}
				var stop func()
				ctx, stop = st.WatchClient(ctx)
				defer stop()
			}
		}
		if rows, err = c.src.next(ctx, n.Count, n.All, n); err != nil {
			return err
		}
	default: // FETCH 0: the current row again
		if r := c.src.current(); r != nil {
			rows = [][]types.Datum{r}
		}
	}
	if !n.Move {
		for _, r := range rows {
			if err := w.Row(r); err != nil {
				return err
			}
		}
	}
	return w.Complete(fmt.Sprintf("%s %d", verb, len(rows)))
}

// closeCursor runs CLOSE.
func (s *Session) closeCursor(n *sql.CloseCursor, w pgwire.ResultWriter) error {
	if n.All {
		s.closeCursors(func(*cursor) bool { return true })
		return w.Complete("CLOSE CURSOR ALL")
	}
	c, err := s.cursor(n.Name)
	if err != nil {
		return err
	}
	c.src.close()
	delete(s.cursors, n.Name)
	return w.Complete("CLOSE CURSOR")
}

// closeCursors closes the cursors which match.
func (s *Session) closeCursors(match func(*cursor) bool) {
	for name, c := range s.cursors {
		if match(c) {
			c.src.close()
			delete(s.cursors, name)
		}
	}
}

// endBlockCursors closes, as block t ends, the cursors it must: all but
// WITH HOLD ones at COMMIT; at a rollback also the WITH HOLD ones it
// declared. The held ones stay, the session's now.
func (s *Session) endBlockCursors(t *txn, committed bool) {
	s.closeCursors(func(c *cursor) bool {
		return !c.hold || (c.block == t && !committed)
	})
	for _, c := range s.cursors {
		c.block = nil
	}
}

// cursorColumns are the rows FETCH from cursor name returns, for a
// prepared FETCH; nil for MOVE or an unknown cursor (whose FETCH fails).
func (s *Session) cursorColumns(n *sql.Fetch) []pgwire.Column {
	if c, ok := s.cursors[n.Name]; ok && !n.Move {
		return c.cols
	}
	return nil
}

// queryColumns describes a query's result.
func queryColumns(q *sql.Query) []pgwire.Column {
	cols := make([]pgwire.Column, 0, len(q.Cols))
	for _, c := range q.Cols {
		cols = append(cols, pgwire.Column{Name: c.Name, Type: c.Type})
	}
	return cols
}

// rowsCursor hands out rows computed at DECLARE. pos counts the rows
// passed: the cursor is on row pos-1, before the first at 0, after the
// last at len(rows)+1.
type rowsCursor struct {
	rows [][]types.Datum
	pos  int
}

func (c *rowsCursor) next(_ context.Context, n int64, all bool, _ *sql.Fetch) ([][]types.Datum, error) {
	from := min(c.pos, len(c.rows))
	to := len(c.rows) + 1
	if !all && int64(to-c.pos) > n {
		to = c.pos + int(n)
	}
	c.pos = to
	return c.rows[from:min(to, len(c.rows))], nil
}

func (c *rowsCursor) current() []types.Datum {
	if c.pos >= 1 && c.pos <= len(c.rows) {
		return c.rows[c.pos-1]
	}
	return nil
}

func (c *rowsCursor) close() { c.rows = nil }
