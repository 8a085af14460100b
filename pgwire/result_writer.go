package pgwire

import (
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// resultWriter is the ResultWriter and Copier one connection hands to its
// Session. It turns results into RowDescription, DataRow, CommandComplete,
// EmptyQueryResponse, PortalSuspended and COPY messages, and checks that the
// session calls it in the documented order, so that an engine bug is an
// error rather than a stream the client cannot parse.
//
// It serves either a simple Query (begin(nil): any number of statements,
// each described with RowDescription, in text) or one Execute of a portal
// (begin(p): one statement, described already, in the portal's formats,
// with the portal's row limit).
//
// It is reused across messages of a connection: types and fields keep
// their capacity.
type resultWriter struct {
	out *messageWriter
	// copyIn reads COPY data from the client.
	copyIn copyInReader
	// portal is the portal being executed; nil for a simple Query.
	portal *portal

	phase writerPhase
	// types are the column types of the statement in progress.
	types  []types.Type
	fields []pgproto3.FieldDescription
}

// writerPhase is where the statement in progress stands.
type writerPhase uint8

const (
	// phaseIdle: between statements. Next: Columns, Complete, EmptyQuery,
	// CopyIn or CopyOut (and Row, for a portal, which is described).
	phaseIdle writerPhase = iota
	// phaseRows: after Columns. Next: Row or Complete.
	phaseRows
	// phaseCopyIn: after CopyIn. Next: Complete.
	phaseCopyIn
	// phaseCopyOut: after CopyOut. Next: Complete.
	phaseCopyOut
	// phaseDone: a portal's statement is complete. Nothing more.
	phaseDone
)

var (
	_ ResultWriter = (*resultWriter)(nil)
	_ Copier       = (*resultWriter)(nil)
	_ Noticer      = (*resultWriter)(nil)
	_ Streamer     = (*resultWriter)(nil)
)

// begin prepares the writer for a simple Query (p nil) or one Execute of
// portal p.
func (w *resultWriter) begin(p *portal) {
	w.portal = p
	w.phase = phaseIdle
	w.types = w.types[:0]
	if p != nil {
		w.types = append(w.types, p.types...)
	}
}

// end forgets the message served, after the session returned.
func (w *resultWriter) end() {
	w.portal = nil
	w.phase = phaseIdle
	w.copyIn.reset()
}

// completed reports whether the portal's statement was completed.
func (w *resultWriter) completed() bool { return w.phase == phaseDone }

func (w *resultWriter) misuse(format string, args ...any) error {
	return fmt.Errorf("result writer: "+format, args...)
}

// Columns sends RowDescription, every column in text format; for a portal
// it only checks the columns against the statement's.
func (w *resultWriter) Columns(cols []Column) error {
	if w.phase != phaseIdle {
		return w.misuse("columns sent twice or after the statement's data began")
	}
	if p := w.portal; p != nil {
		if p.stmt.Columns == nil {
			return w.misuse("columns sent for a statement prepared without a result")
		}
		if len(cols) != len(p.types) {
			return w.misuse("%d columns sent for a statement prepared with %d", len(cols), len(p.types))
		}
		for i, c := range cols {
			// Only the family decides how values are encoded; a modifier
			// that differs from the description is the engine's business.
			if c.Type.Family != p.types[i].Family {
				return w.misuse("column %d is %s; the statement was prepared with %s", i+1, c.Type, p.types[i])
			}
		}
		w.phase = phaseRows
		return nil
	}
	if len(cols) > math.MaxUint16 {
		return w.misuse("%d columns exceed the protocol's limit of %d", len(cols), math.MaxUint16)
	}
	w.types = w.types[:0]
	for _, c := range cols {
		w.types = append(w.types, c.Type)
	}
	w.phase = phaseRows
	return w.out.send(w.rowDescription(cols, nil))
}

// rowDescription describes cols in the given formats (nil: text), reusing
// the writer's field slice.
func (w *resultWriter) rowDescription(cols []Column, formats []int16) *pgproto3.RowDescription {
	w.fields = w.fields[:0]
	for i, c := range cols {
		f := pgproto3.FieldDescription{
			Name:         []byte(c.Name),
			DataTypeOID:  c.Type.OID(),
			DataTypeSize: c.Type.Size(),
			TypeModifier: c.Type.Modifier(),
			Format:       formatText,
		}
		if formats != nil {
			f.Format = formats[i]
		}
		w.fields = append(w.fields, f)
	}
	return &pgproto3.RowDescription{Fields: w.fields}
}

// Row sends one DataRow, or for a portal past its row limit holds it.
func (w *resultWriter) Row(row []types.Datum) error {
	p := w.portal
	switch {
	case w.phase == phaseRows:
	case w.phase == phaseIdle && p != nil && p.stmt.Columns != nil:
		w.phase = phaseRows
	default:
		return errors.New("result writer: row sent before columns")
	}
	if len(row) != len(w.types) {
		return w.misuse("row has %d values for %d columns", len(row), len(w.types))
	}
	if p != nil {
		return p.row(w.out, row)
	}
	return w.out.sendDataRow(w.types, nil, row)
}

// Complete ends the statement: CopyDone first after COPY TO STDOUT; the
// rest of the data is discarded after COPY FROM STDIN. A simple Query's
// statement is then flushed, so that a client sees each statement of a
// multi-statement query as soon as it is done; a portal's waits for Sync
// or Flush, as in PostgreSQL.
func (w *resultWriter) Complete(tag string) error {
	switch w.phase {
	case phaseDone:
		return w.misuse("statement completed twice")
	case phaseCopyIn:
		if err := w.copyIn.drain(); err != nil {
			return err
		}
	case phaseCopyOut:
		if err := w.out.send(&pgproto3.CopyDone{}); err != nil {
			return err
		}
	}
	if p := w.portal; p != nil {
		w.phase = phaseDone
		return p.complete(w.out, tag)
	}
	w.phase = phaseIdle
	if err := w.out.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)}); err != nil {
		return err
	}
	return w.out.flush()
}

// EmptyQuery sends EmptyQueryResponse.
func (w *resultWriter) EmptyQuery() error {
	if w.phase != phaseIdle {
		return w.misuse("empty query inside a statement's result")
	}
	if p := w.portal; p != nil {
		if p.stmt.Columns != nil {
			return w.misuse("empty query for a statement prepared with a result")
		}
		w.phase = phaseDone
		p.empty = true
		p.state = portalDone
	}
	return w.out.send(&pgproto3.EmptyQueryResponse{})
}

// Notice sends a NoticeResponse; it may come at any point of a result.
func (w *resultWriter) Notice(severity string, e *types.Error) error {
	return w.out.send(noticeResponse(severity, e))
}
