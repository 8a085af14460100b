package pgwire

import (
	"context"
	"io"

	"github.com/weir-db/weir/types"
)

// Engine opens sessions; implemented by Weir's coordinator.
//
// Connect is called once per client connection, after the startup packet has
// been read and the client authenticated (Config.Auth), just after
// AuthenticationOk is sent, as PostgreSQL checks the database only once the
// user is known. It may be called concurrently from many connections. ctx is
// cancelled when the server shuts down. An error (a *types.Error carries its
// SQLSTATE, e.g. 3D000 for a missing database; any other error is sent as
// XX000) is reported to the client as FATAL and the connection is closed.
type Engine interface {
	Connect(ctx context.Context, user, database string) (Session, error)
}

// Session is one client's connection state. Its methods (and those of
// Preparer, when it implements it) are called from the connection's
// goroutine only, one at a time, never concurrently; Close is called exactly
// once, after the last other call has returned. Cancellation does not call
// into the Session: it cancels the ctx passed to Execute, Prepare or
// ExecutePrepared.
//
// A Session that also implements Preparer serves the extended query protocol
// (Parse, Bind, Describe, Execute: pgx, JDBC, psycopg 3 and most drivers
// other than psql). One that does not gets 0A000 for every Parse.
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
	// can no longer be written to, or the session broke w's contract; Execute
	// should return it.
	Execute(ctx context.Context, sql string, w ResultWriter) error
	// Close releases the session's resources.
	Close()
}

// Preparer is the extended query protocol's side of a Session (see Session
// for the calling rules, which are the same).
//
// The client names the statements it prepares and the portals it binds;
// pgwire keeps those and their lifetimes, as PostgreSQL does: a named
// statement lives until the client closes it or the session ends; the
// unnamed one until the next Parse of the unnamed statement or the next
// simple Query. The engine is not told when a Statement is dropped: it must
// hold nothing in Handle that needs releasing.
type Preparer interface {
	// Prepare parses and analyses sql, which holds at most one statement:
	// for more, it returns 42601 "cannot insert multiple commands into a
	// prepared statement". An empty (or blank, or comment-only) sql prepares
	// the empty statement, whose execution calls w.EmptyQuery. paramTypes are
	// the types the client declared for $1, $2, ..., TUnknown where it left
	// the choice to the server; the Statement keeps every declared type and
	// may have more parameters than were declared. Errors are reported as
	// for Execute, positions pointing into sql.
	Prepare(ctx context.Context, sql string, paramTypes []types.Type) (*Statement, error)
	// ExecutePrepared runs st with the given parameter values, one per
	// st.ParamTypes, already read into the datums of those types (nil is
	// NULL; a TUnknown parameter arrives as a string). It writes one
	// statement's result to w: for a statement with Columns, Columns (which
	// must match st.Columns in number and types; it sends nothing, the
	// client learned them from Describe) and Row*; then Complete; or
	// EmptyQuery for the empty statement; or a COPY (see Copier). Errors,
	// cancellation and w's lifetime are as for Execute.
	//
	// The same Statement may be executed any number of times, with different
	// parameters; it must not be modified.
	//
	// A row limit on the client's Execute is pgwire's business: pgwire
	// sends what the client asked for and holds the rest of the rows in the
	// portal, encoded, until the client asks for them (up to
	// Config.MaxPortalBytes).
	ExecutePrepared(ctx context.Context, st *Statement, params []types.Datum, w ResultWriter) error
}

// Statement is a prepared statement, made by Preparer.Prepare. Nothing
// changes it afterwards: neither pgwire nor the engine.
type Statement struct {
	// ParamTypes are the types of $1, $2, ...: they are described to the
	// client in ParameterDescription and parameter values are read as them.
	// One left TUnknown is described as text and read as a string.
	ParamTypes []types.Type
	// Columns describes the rows the statement returns; nil when it returns
	// none (INSERT, DDL, COPY, the empty statement: NoData), and an empty
	// non-nil slice for rows of zero columns.
	Columns []Column
	// Handle is the engine's: its parsed and bound statement, say. pgwire
	// only passes it back.
	Handle any
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
//
// Every ResultWriter pgwire passes to a Session also implements Copier.
type ResultWriter interface {
	// Columns describes the rows that follow. The slice is not retained.
	Columns(cols []Column) error
	// Row sends one row, one datum per column; a nil datum is NULL. Datums
	// are encoded in the format the client asked for, text
	// (types.FormatText) or binary (AppendBinary), and not retained.
	Row(row []types.Datum) error
	// Complete ends a statement with its command tag.
	Complete(tag string) error
	// EmptyQuery reports that the query string held no statement.
	EmptyQuery() error
}

// CopyFormat is the wire format of COPY data: textual (COPY's text and CSV
// formats) or binary.
type CopyFormat int16

// The COPY data formats, with their protocol codes.
const (
	CopyText   CopyFormat = 0
	CopyBinary CopyFormat = 1
)

// Copier runs the client's side of COPY. Every ResultWriter that pgwire
// passes to Execute and ExecutePrepared implements it; take it with a type
// assertion (w.(pgwire.Copier)). A COPY statement's result is, instead of
// Columns and Row*: CopyIn or CopyOut, the data, then Complete("COPY n").
// copy_format.go reads and writes the text and CSV formats; AppendBinary
// and DecodeBinary encode the fields of the binary one.
type Copier interface {
	// CopyIn starts COPY ... FROM STDIN for a table of the given number of
	// columns: it sends CopyInResponse and returns the data as a stream, the
	// payloads of the client's CopyData messages one after the other (rows
	// may span messages). Read returns io.EOF at the client's CopyDone, and
	// at CopyFail a *types.Error 57014 "COPY from stdin failed: <the
	// client's message>"; any other error means the connection cannot go on
	// (and a 08P01 one that the client broke the protocol). Return a read
	// error from Execute as it is. Read up to io.EOF before Complete:
	// Complete discards what is left. The reader is valid until Complete or
	// the return of Execute. A cancel request cancels the session's ctx
	// but does not interrupt a Read waiting for the client (Shutdown
	// does: the Read fails).
	CopyIn(format CopyFormat, columns int) (io.Reader, error)
	// CopyOut starts COPY ... TO STDOUT: it sends CopyOutResponse and
	// returns a writer whose every Write is sent as CopyData messages
	// (write a row at a time; the slice is not retained). Complete sends
	// CopyDone, then the command tag. The writer is valid until Complete.
	CopyOut(format CopyFormat, columns int) (io.Writer, error)
}

// Streamer serves a statement whose result has no end: SUBSCRIBE, which
// sends a view's changes as they happen until the client cancels. Every
// ResultWriter pgwire passes to a Session also implements it; take it with
// a type assertion (w.(pgwire.Streamer)).
type Streamer interface {
	// Flush sends the rows (or COPY data) written so far to the client at
	// once, rather than when the buffer fills or the statement ends.
	Flush() error
	// WatchClient returns a context derived from ctx that is also
	// cancelled, with cause ErrClientGone, when the client closes the
	// connection or sends Terminate while the statement runs (a streaming
	// statement otherwise learns of it only when a write fails, and
	// writes nothing while nothing changes). Messages the client sends
	// meanwhile stay buffered for after the statement. stop ends the
	// watch; call it, exactly once, before the Session call returns.
	WatchClient(ctx context.Context) (watched context.Context, stop func())
}

// Transactional is implemented by a Session that has transaction blocks
// (BEGIN ... COMMIT). Its methods are called as the Session's are: from the
// connection's goroutine, one at a time.
type Transactional interface {
	// TxStatus is the status ReadyForQuery reports: 'I' outside a
	// transaction block, 'T' inside one, 'E' inside a failed one (where
	// PostgreSQL refuses everything but ROLLBACK and COMMIT). pgwire also
	// keeps portals across Sync while it is not 'I', as PostgreSQL keeps
	// them until the transaction ends.
	TxStatus() byte
	// FailBlock is called when an error is reported to the client, whoever
	// raised it (the session, or pgwire itself: a Bind with a bad
	// parameter, say): inside a block the block fails, as in PostgreSQL.
	// Outside a block it does nothing.
	FailBlock()
}

// Noticer sends notices: messages that do not end the statement, such as
// PostgreSQL's WARNING "there is already a transaction in progress". Every
// ResultWriter pgwire passes to a Session also implements it; take it with
// a type assertion (w.(pgwire.Noticer)).
type Noticer interface {
	// Notice sends a NoticeResponse with the given severity (WARNING,
	// NOTICE, ...) and e's SQLSTATE, message and detail, at once, ahead of
	// the statement's result.
	Notice(severity string, e *types.Error) error
}

// Users holds the password verifiers for SCRAM-SHA-256 authentication
// (Config.Auth = AuthSCRAM); implemented by the engine's catalog. It is
// called from connection goroutines, concurrently, before a Session exists.
type Users interface {
	// SCRAMSecret returns the user's verifier. A user who does not exist or
	// has no password gets false, and fails authentication exactly as a
	// wrong password does, so that a client cannot probe for user names.
	SCRAMSecret(user string) (SCRAMSecret, bool)
}
