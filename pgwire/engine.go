package pgwire

import (
	"context"

	"github.com/weir-db/weir/types"
)

// Engine opens sessions; implemented by Weir's coordinator.
//
// Connect is called once per client connection, after the startup packet has
// been read and before the client is told authentication succeeded. It may be
// called concurrently from many connections. ctx is cancelled when the server
// shuts down. An error (a *types.Error carries its SQLSTATE, e.g. 3D000 for a
// missing database; any other error is sent as XX000) is reported to the
// client as FATAL and the connection is closed.
type Engine interface {
	Connect(ctx context.Context, user, database string) (Session, error)
}

// Session is one client's connection state. Its methods are called from the
// connection's goroutine only, one at a time, never concurrently; Close is
// called exactly once, after the last Execute has returned. Cancellation does
// not call into the Session: it cancels the ctx passed to Execute.
type Session interface {
	// Execute runs a query string of zero or more ';'-separated statements
	// (simple query protocol), writing each statement's result to w in order.
	// It stops at the first failing statement and returns its error: a
	// *types.Error with SQLSTATE and 1-based Position (a character offset into
	// sql, as PostgreSQL reports it), or any other error, sent as XX000 and
	// logged. ctx is cancelled on CancelRequest and on server shutdown; an
	// error wrapping context.Canceled is reported as 57014.
	//
	// w is valid only until Execute returns. An error from w means the client
	// can no longer be written to; Execute should return it.
	Execute(ctx context.Context, sql string, w ResultWriter) error
	// Close releases the session's resources.
	Close()
}

// Column describes one column of a statement's result.
type Column struct {
	Name string
	Type types.Type
}

// ResultWriter receives statement results. For each statement: for a query,
// Columns once, then Row*; then Complete(tag) (e.g. "SELECT 3", "INSERT 0 1",
// "CREATE STREAM"). EmptyQuery (instead of Complete) when the text has no
// statement. Calls out of this order return an error.
//
// Rows are buffered and sent at the end of the statement or when the buffer
// passes ~64 KiB, so a returned nil does not mean the client has the row.
type ResultWriter interface {
	// Columns describes the rows that follow. The slice is not retained.
	Columns(cols []Column) error
	// Row sends one row, one datum per column; a nil datum is NULL. Datums are
	// encoded with types.FormatText (text format) and not retained.
	Row(row []types.Datum) error
	// Complete ends a statement with its command tag.
	Complete(tag string) error
	// EmptyQuery reports that the query string held no statement.
	EmptyQuery() error
}
