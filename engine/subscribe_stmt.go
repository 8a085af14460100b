package engine

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// The result of SUBSCRIBE, modelled on Materialize's: one row per change,
//
//	weir_timestamp   bigint   the commit's time, µs since the Unix epoch
//	weir_progressed  boolean  only WITH (progress): true on progress rows
//	weir_diff        bigint   +n rows added, -n removed; NULL on progress rows
//	<the view's columns>      NULL on progress rows
//
// The snapshot (unless WITH (snapshot = false)) comes first, as additions
// at the time it was taken; then each commit's changes, consolidated (a row
// removed and added again in one commit is not sent), and flushed to the
// socket together. A progress row after the snapshot and after each commit
// says that every change up to its weir_timestamp has been sent.
// Timestamps never decrease. The statement ends only with an error:
// 57014 when the client cancels, or the view's error when it is dropped.
var (
	subscribeTimestampCol  = pgwire.Column{Name: "weir_timestamp", Type: types.TInt8}
	subscribeProgressedCol = pgwire.Column{Name: "weir_progressed", Type: types.TBool}
	subscribeDiffCol       = pgwire.Column{Name: "weir_diff", Type: types.TInt8}
)

// codeConnectionFailure is SQLSTATE 08006.
const codeConnectionFailure = "08006"

// subscribeColumns describes SUBSCRIBE's rows; visible lists the view's
// columns among a stored row's.
func subscribeColumns(n *sql.Subscribe) (cols []pgwire.Column, visible []int) {
	cols = append(cols, subscribeTimestampCol)
	if n.Progress {
		cols = append(cols, subscribeProgressedCol)
	}
	cols = append(cols, subscribeDiffCol)
	for i, c := range n.View.Columns {
		if !c.Hidden {
			cols = append(cols, pgwire.Column{Name: c.Name, Type: c.Type})
			visible = append(visible, i)
		}
	}
	return cols, visible
}

// subscribeOut is where SUBSCRIBE's rows go: DataRows, or COPY data.
type subscribeOut interface {
	row([]types.Datum) error
	// flush sends what was written to the client now.
	flush() error
}

// subscribe runs SUBSCRIBE, streaming DataRows.
func (s *Session) subscribe(ctx context.Context, n *sql.Subscribe, w pgwire.ResultWriter) error {
	cols, _ := subscribeColumns(n)
	return s.follow(ctx, n, w, func() (subscribeOut, error) {
		if err := w.Columns(cols); err != nil {
			return nil, err
		}
		return &rowsOut{w: w}, nil
	})
}

// subscribeCopy runs COPY (SUBSCRIBE ...) TO STDOUT, streaming CopyData
// in the text or CSV format.
func (s *Session) subscribeCopy(ctx context.Context, n *sql.Copy, w pgwire.ResultWriter) error {
	copier, ok := w.(pgwire.Copier)
	if !ok {
		return types.Errorf(types.CodeFeatureNotSupported, "COPY needs a PostgreSQL protocol client")
	}
	format, opts, header, err := copyFormat(n.Options)
	if err != nil {
		return err
	}
	if format == pgwire.CopyBinary {
		return types.Errorf(types.CodeFeatureNotSupported, "COPY (SUBSCRIBE ...) supports the text and csv formats")
	}
	cols, _ := subscribeColumns(n.Subscribe)
	return s.follow(ctx, n.Subscribe, w, func() (subscribeOut, error) {
		out, err := copier.CopyOut(format, len(cols))
		if err != nil {
			return nil, err
		}
		c := &copyOut{w: out, enc: pgwire.NewCopyEncoder(opts), streamer: streamerOf(w)}
		for _, col := range cols {
			c.types = append(c.types, col.Type)
		}
		if header {
			names := make([]string, len(cols))
			for i, col := range cols {
				names[i] = col.Name
			}
			c.buf = c.enc.AppendStrings(c.buf, names)
		}
		return c, nil
	})
}

// follow subscribes to the view, starts the output (once the subscription
// is known to work, so that an error needs no half-sent result) and sends
// the snapshot and then the changes until ctx ends or the view does. The
// subscription is closed however it ends.
func (s *Session) follow(ctx context.Context, n *sql.Subscribe, w pgwire.ResultWriter, start func() (subscribeOut, error)) error {
	sub, err := s.e.Subscribe(n.View.Name)
	if err != nil {
		return err
	}
	defer sub.Close()
	if st := streamerOf(w); st != nil {
		var stop func()
		ctx, stop = st.WatchClient(ctx)
		defer stop()
	}
	out, err := start()
	if err != nil {
		return err
	}
	f, err := startSubscribe(sub, n, out)
	if err != nil {
		return err
	}
	// The client learns at once that the statement runs, even with
	// nothing to send yet (and gets what an extended-protocol pipeline
	// answered before the Execute).
	if err := out.flush(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return interrupted(ctx)
		case c, ok := <-sub.Changes:
			switch {
			case !ok:
				return types.Errorf(types.CodeObjectNotInPrerequisiteState, "subscription to %s ended", n.View.Name)
			case c.Err != nil:
				return c.Err
			}
			if err := f.commit(c.At, c.Changes); err != nil {
				return err
			}
		}
	}
}

// startSubscribe makes the formatter of subscription sub's rows and sends
// it the snapshot (without one, just the first progress row, if asked).
func startSubscribe(sub *Subscription, n *sql.Subscribe, out subscribeOut) (*subscribeFormatter, error) {
	_, visible := subscribeColumns(n)
	f := &subscribeFormatter{progress: n.Progress, visible: visible, out: out, last: sub.SnapshotAt}
	var changes []ViewChange
	if n.Snapshot {
		changes = make([]ViewChange, len(sub.Snapshot))
		for i, r := range sub.Snapshot {
			changes[i] = ViewChange{Diff: 1, Row: r}
		}
	}
	return f, f.commit(sub.SnapshotAt, changes)
}

// interrupted is the error of a statement whose ctx ended while it waited
// for a view's changes: the client cancelled it, or went away.
func interrupted(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), pgwire.ErrClientGone) {
		return types.Errorf(codeConnectionFailure, "client closed the connection while waiting for a view's changes")
	}
	return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
}

func streamerOf(w pgwire.ResultWriter) pgwire.Streamer {
	st, _ := w.(pgwire.Streamer)
	return st
}

// subscribeFormatter turns commits into SUBSCRIBE's rows.
type subscribeFormatter struct {
	progress bool
	visible  []int
	out      subscribeOut
	// last is the latest timestamp sent: timestamps never go back, even
	// if the wall clock does.
	last int64
	key  []byte
}

// commit sends one commit's changes, consolidated, then a progress row if
// asked for, and flushes. With no changes and no progress rows it sends
// nothing.
func (f *subscribeFormatter) commit(at int64, changes []ViewChange) error {
	at = max(at, f.last)
	f.last = at
	type counted struct {
		row  []types.Datum
		diff int64
	}
	var order []string
	sums := map[string]*counted{}
	for _, c := range changes {
		f.key = appendRowKey(f.key[:0], c.Row)
		k := string(f.key)
		if x, ok := sums[k]; ok {
			x.diff += c.Diff
			continue
		}
		sums[k] = &counted{row: c.Row, diff: c.Diff}
		order = append(order, k)
	}
	sent := false
	for _, k := range order {
		x := sums[k]
		if x.diff == 0 {
			continue
		}
		row := []types.Datum{at}
		if f.progress {
			row = append(row, false)
		}
		row = append(row, x.diff)
		for _, i := range f.visible {
			row = append(row, x.row[i])
		}
		if err := f.out.row(row); err != nil {
			return err
		}
		sent = true
	}
	if f.progress {
		row := make([]types.Datum, 3+len(f.visible))
		row[0], row[1] = at, true
		if err := f.out.row(row); err != nil {
			return err
		}
		sent = true
	}
	if !sent {
		return nil
	}
	return f.out.flush()
}

// appendRowKey appends an encoding of row under which equal rows, and only
// they, have equal keys.
func appendRowKey(buf []byte, row []types.Datum) []byte {
	for _, d := range row {
		if d == nil {
			buf = append(buf, 0)
			continue
		}
		start := len(buf)
		buf = append(buf, 1)
		buf = types.FormatText(buf, types.TUnknown, d)
		buf = strconv.AppendInt(append(buf, 0), int64(len(buf)-start), 10)
	}
	return buf
}

// rowsOut sends rows as DataRows.
type rowsOut struct{ w pgwire.ResultWriter }

func (o *rowsOut) row(r []types.Datum) error { return o.w.Row(r) }
func (o *rowsOut) flush() error {
	if st := streamerOf(o.w); st != nil {
		return st.Flush()
	}
	return nil
}

// copyOut sends rows as COPY data, a commit's rows in one write.
type copyOut struct {
	w        io.Writer
	enc      *pgwire.CopyEncoder
	types    []types.Type
	buf      []byte
	streamer pgwire.Streamer
}

func (o *copyOut) row(r []types.Datum) error {
	o.buf = o.enc.AppendRow(o.buf, o.types, r)
	return nil
}

func (o *copyOut) flush() error {
	if _, err := o.w.Write(o.buf); err != nil {
		return err
	}
	o.buf = o.buf[:0]
	if o.streamer != nil {
		return o.streamer.Flush()
	}
	return nil
}
