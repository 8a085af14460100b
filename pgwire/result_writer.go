package pgwire

import (
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// resultWriter is the ResultWriter one connection hands to Session.Execute.
// It turns results into RowDescription, DataRow, CommandComplete and
// EmptyQueryResponse messages, and checks that the session calls it in the
// documented order, so that an engine bug is an error rather than a stream
// the client cannot parse.
//
// It is reused across queries of a connection: types and fields keep their
// capacity.
type resultWriter struct {
	out *messageWriter
	// described is set between Columns and Complete.
	described bool
	types     []types.Type
	fields    []pgproto3.FieldDescription
}

var _ ResultWriter = (*resultWriter)(nil)

var errColumnsTwice = errors.New("result writer: columns sent twice for one statement")

// reset forgets any half-written statement, after an error or a panic.
func (w *resultWriter) reset() {
	w.described = false
	w.types = w.types[:0]
}

// Columns sends RowDescription. Every column is in text format.
func (w *resultWriter) Columns(cols []Column) error {
	if w.described {
		return errColumnsTwice
	}
	if len(cols) > math.MaxUint16 {
		return fmt.Errorf("result writer: %d columns exceed the protocol's limit of %d", len(cols), math.MaxUint16)
	}
	w.types = w.types[:0]
	w.fields = w.fields[:0]
	for _, c := range cols {
		w.types = append(w.types, c.Type)
		w.fields = append(w.fields, pgproto3.FieldDescription{
			Name:                 []byte(c.Name),
			DataTypeOID:          c.Type.OID(),
			DataTypeSize:         c.Type.Size(),
			TypeModifier:         c.Type.Modifier(),
			TableOID:             0,
			TableAttributeNumber: 0,
			Format:               0, // text
		})
	}
	w.described = true
	return w.out.send(&pgproto3.RowDescription{Fields: w.fields})
}

// Row sends one DataRow.
func (w *resultWriter) Row(row []types.Datum) error {
	if !w.described {
		return errors.New("result writer: row sent before columns")
	}
	if len(row) != len(w.types) {
		return fmt.Errorf("result writer: row has %d values for %d columns", len(row), len(w.types))
	}
	return w.out.sendDataRow(w.types, row)
}

// Complete sends CommandComplete and flushes, so that a client sees each
// statement of a multi-statement query as soon as it is done.
func (w *resultWriter) Complete(tag string) error {
	w.reset()
	if err := w.out.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)}); err != nil {
		return err
	}
	return w.out.flush()
}

// EmptyQuery sends EmptyQueryResponse.
func (w *resultWriter) EmptyQuery() error {
	if w.described {
		return errors.New("result writer: empty query inside a statement's result")
	}
	return w.out.send(&pgproto3.EmptyQueryResponse{})
}
