package engine

import (
	"context"
	"time"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// subscribeCursor is a cursor over SUBSCRIBE: the rows SUBSCRIBE would
// stream (see subscribe_stmt.go), handed out by FETCH. A commit's changes
// wait in the subscription's channel until a FETCH needs them; then they
// are formatted into pending, from which FETCH takes its rows. A
// subscriber that falls too far behind is ended by the view with an error
// (see subscriberBuffer), which FETCH reports after the rows before it.
type subscribeCursor struct {
	sub     *Subscription
	view    string
	f       *subscribeFormatter
	pending rowBuffer
	// err ends the cursor: every FETCH after the rows pending returns it.
	err error
}

// subscribeCursor starts the subscription of a SUBSCRIBE cursor, with the
// snapshot (or, without it, the first progress row) pending.
func (e *Engine) subscribeCursor(n *sql.Subscribe) (*subscribeCursor, error) {
	sub, err := e.Subscribe(n.View.Name)
	if err != nil {
		return nil, err
	}
	c := &subscribeCursor{sub: sub, view: n.View.Name}
	if c.f, err = startSubscribe(sub, n, &c.pending); err != nil {
		sub.Close()
		return nil, err
	}
	return c, nil
}

func (c *subscribeCursor) next(ctx context.Context, n int64, all bool, f *sql.Fetch) ([][]types.Datum, error) {
	c.take(n, all)
	if len(c.pending.rows) == 0 && c.err == nil && !(f.HasTimeout && f.Timeout == 0) {
		var timeout <-chan time.Time
		if f.HasTimeout {
			t := time.NewTimer(time.Duration(f.Timeout) * time.Microsecond)
			defer t.Stop()
			timeout = t.C
		}
	wait:
		for len(c.pending.rows) == 0 && c.err == nil {
			select {
			case <-ctx.Done():
				return nil, interrupted(ctx)
			case <-timeout:
				break wait
			case ch, ok := <-c.sub.Changes:
				c.commit(ch, ok)
			}
		}
		c.take(n, all)
	}
	if len(c.pending.rows) == 0 && c.err != nil {
		return nil, c.err
	}
	k := len(c.pending.rows)
	if !all && int64(k) > n {
		k = int(n)
	}
	rows := c.pending.rows[:k:k]
	c.pending.rows = c.pending.rows[k:]
	return rows, nil
}

// take moves the commits already published into pending, until n rows
// are pending (all: every commit published).
func (c *subscribeCursor) take(n int64, all bool) {
	for c.err == nil && (all || int64(len(c.pending.rows)) < n) {
		select {
		case ch, ok := <-c.sub.Changes:
			c.commit(ch, ok)
		default:
			return
		}
	}
}

// commit formats one commit's changes into pending.
func (c *subscribeCursor) commit(ch ViewChanges, ok bool) {
	switch {
	case !ok:
		c.err = types.Errorf(types.CodeObjectNotInPrerequisiteState, "subscription to %s ended", c.view)
	case ch.Err != nil:
		c.err = ch.Err
	default:
		c.err = c.f.commit(ch.At, ch.Changes)
	}
}

func (c *subscribeCursor) current() []types.Datum { return nil }

func (c *subscribeCursor) close() {
	c.sub.Close()
	c.pending.rows = nil
}

// rowBuffer keeps SUBSCRIBE's rows in memory.
type rowBuffer struct{ rows [][]types.Datum }

func (b *rowBuffer) row(r []types.Datum) error {
	b.rows = append(b.rows, r)
	return nil
}

func (b *rowBuffer) flush() error { return nil }
