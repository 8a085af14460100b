package pgwire

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// shutdownWriteTimeout bounds how long a connection waits for its client to
// accept the FATAL message telling it the server is going away.
const shutdownWriteTimeout = time.Second

// conn is one client connection. Everything but mu is owned by the
// connection's goroutine (serve); other goroutines only lock mu, and call
// nc's deadline and Close methods, which are safe for that.
type conn struct {
	srv *Server
	// nc is the socket. The protocol flows over it, or over tls.
	nc net.Conn
	// tls is the TLS connection, once negotiated, and tlsCert the
	// certificate it presented (for SCRAM channel binding).
	tls     *tls.Conn
	tlsCert *tls.Certificate
	frames  *frameReader
	out     messageWriter
	rw      resultWriter
	// pid and secret are the BackendKeyData that a CancelRequest must quote.
	pid, secret uint32
	sess        Session
	// stmts and portals are the extended protocol's prepared statements
	// and portals, by name ("" is the unnamed one); see extended.go.
	stmts   map[string]*preparedStatement
	portals map[string]*portal
	// skipUntilSync is set after an error in an extended-protocol message:
	// like PostgreSQL, the server then discards everything up to the next
	// Sync.
	skipUntilSync bool
	// activity says what the session is doing, for log lines about its
	// errors.
	activity string
	// fatal, once set, is the error that ends the connection after the
	// current message (a lost socket or lost framing during COPY FROM
	// STDIN).
	fatal error

	mu struct {
		sync.Mutex
		// draining is set by Shutdown.
		draining bool
		// cancelQuery cancels the running session call; nil when none
		// runs.
		cancelQuery context.CancelFunc
	}
}

func newConn(srv *Server, nc net.Conn, pid, secret uint32) *conn {
	c := &conn{
		srv:     srv,
		nc:      nc,
		pid:     pid,
		secret:  secret,
		stmts:   map[string]*preparedStatement{},
		portals: map[string]*portal{},
	}
	c.setStream(nc)
	c.rw.out = &c.out
	c.rw.copyIn.c = c
	return c
}

// setStream makes s the connection's byte stream: the socket at first, a
// TLS connection over it after SSLRequest.
func (c *conn) setStream(s net.Conn) {
	c.frames = newFrameReader(s, c.srv.cfg.MaxMessageBytes)
	c.out.w = s
}

func (c *conn) logf(format string, args ...any) {
	c.srv.logf("pgwire: connection %d from %s: "+format, append([]any{c.pid, c.nc.RemoteAddr()}, args...)...)
}

// serve runs the connection until the client leaves, breaks the protocol, or
// the server shuts down. It never panics: a bug here must cost one
// connection, not the server.
func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			c.logf("panic: %v\n%s", r, debug.Stack())
		}
		c.nc.Close()
	}()
	defer c.closeSession()

	if err := c.startup(); err != nil {
		c.fail(err)
		return
	}
	for {
		// Output is flushed only before the connection would block reading:
		// a client that pipelines messages gets their answers in one write.
		// (Flush flushes at once, and a long result as it goes.)
		if !c.frames.hasMessage() {
			if err := c.out.flush(); err != nil {
				c.fail(err)
				return
			}
		}
		// Shutdown marks the connection draining, then makes its reads
		// fail: checking here, before each read, leaves no window.
		if c.draining() {
			c.fail(errShuttingDown)
			return
		}
		typ, body, err := c.frames.readMessage()
		if err == nil {
			err = c.handle(typ, body)
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *conn) draining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.draining
}

// fail ends the connection because of err, telling the client when the error
// is one it should hear about.
func (c *conn) fail(err error) {
	var e *types.Error
	switch {
	case errors.Is(err, errTerminated):
		_ = c.out.flush() // what came before Terminate, an error say
		return
	case errors.Is(err, errCancelRequestDone):
		return // the client is done with us
	case errors.Is(err, errShuttingDown), c.draining() && c.sess != nil:
		// Whatever failed, the server is going away: say so, but do not
		// wait long for a client that does not read.
		e = types.Errorf(types.CodeAdminShutdown, msgAdminShutdown)
		_ = c.nc.SetWriteDeadline(time.Now().Add(shutdownWriteTimeout))
	case c.draining(), errors.Is(err, io.EOF):
		return // the client left, or Shutdown interrupted the startup
	case errors.As(err, &e):
		c.logf("closing connection: %s (SQLSTATE %s)%s", e.Message, e.Code, detailSuffix(e))
	default:
		c.logf("closing connection: %v", err)
		return // the socket is broken; nothing can be sent
	}
	if c.out.send(errorResponse(severityFatal, e)) == nil {
		_ = c.out.flush()
	}
}

func detailSuffix(e *types.Error) string {
	if e.Detail == "" {
		return ""
	}
	return ": " + e.Detail
}

// handle dispatches one message.
func (c *conn) handle(typ byte, body []byte) error {
	switch typ {
	case msgTerminate:
		return errTerminated
	case msgSync:
		return c.sync()
	}
	if c.skipUntilSync {
		return nil
	}
	switch typ {
	case msgQuery:
		return c.simpleQuery(body)
	case msgParse, msgBind, msgDescribe, msgExecute, msgClose:
		return c.extended(typ, body)
	case msgFunctionCall:
		if err := c.out.send(errorResponse(severityError,
			types.Errorf(types.CodeFeatureNotSupported, msgFunctionCallUnsupported))); err != nil {
			return err
		}
		c.failBlock()
		return c.readyForQuery()
	case msgFlush:
		return c.out.flush()
	case msgCopyData, msgCopyDone, msgCopyFail:
		// Outside COPY these are ignored, as PostgreSQL does: they are what
		// a client sends after a COPY that already failed.
		return nil
	}
	// Unreachable: the frame reader admits only the types above.
	return protocolViolation("invalid frontend message type %d", typ)
}

// simpleQuery runs a Query message: results, then ErrorResponse if a
// statement failed, then ReadyForQuery.
func (c *conn) simpleQuery(body []byte) error {
	// A simple Query stands for the unnamed statement and portal, and
	// ends the implicit transaction: PostgreSQL drops both, and every
	// other portal unless a transaction block goes on.
	delete(c.stmts, "")
	delete(c.portals, "")
	sql, err := decodeQuery(body)
	if err == nil {
		err = checkText([]byte(sql))
	}
	if err == nil {
		c.rw.begin(nil)
		err = c.call("executing "+quoteSQL(sql), func(ctx context.Context) error {
			return c.sess.Execute(ctx, sql, &c.rw)
		})
		c.rw.end()
	}
	if err := c.finish(err, ""); err != nil {
		return err
	}
	if c.txStatus() == 'I' {
		c.dropPortals()
	}
	return c.readyForQuery()
}

// txStatus is the session's transaction status: 'I' (idle), 'T' (in a
// transaction block) or 'E' (in a failed one).
func (c *conn) txStatus() byte {
	if t, ok := c.sess.(Transactional); ok {
		return t.TxStatus()
	}
	return 'I'
}

// readyForQuery sends ReadyForQuery with the session's transaction status.
func (c *conn) readyForQuery() error {
	return c.out.send(&pgproto3.ReadyForQuery{TxStatus: c.txStatus()})
}

// failBlock fails the session's transaction block, if one is open, after
// an error was reported to the client.
func (c *conn) failBlock() {
	if t, ok := c.sess.(Transactional); ok {
		t.FailBlock()
	}
}

// decodeQuery decodes a Query body: the query string, its NUL and nothing
// after, with PostgreSQL's complaints. (pgproto3's Query.Decode panics on an
// empty body.)
func decodeQuery(body []byte) (string, error) {
	i := bytes.IndexByte(body, 0)
	switch {
	case i < 0:
		return "", protocolViolation("invalid string in message")
	case i != len(body)-1:
		return "", protocolViolation("invalid message format")
	}
	return string(body[:i]), nil
}

// call runs fn, a call into the session, with a context that CancelRequest
// and Shutdown cancel, turning a panic into an XX000 error so that the
// connection stays usable. what says what fn does, for log lines.
func (c *conn) call(what string, fn func(ctx context.Context) error) (err error) {
	ctx, cancel := context.WithCancel(c.srv.ctx)
	defer cancel()
	c.mu.Lock()
	c.mu.cancelQuery = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.mu.cancelQuery = nil
		c.mu.Unlock()
	}()
	c.activity = what
	defer func() {
		if r := recover(); r != nil {
			c.logf("panic %s: %v\n%s", what, r, debug.Stack())
			err = &recoveredPanic{types.Errorf(types.CodeInternalError, "internal error: %v", r)}
		}
	}()
	return fn(ctx)
}

// recoveredPanic is a panic in the session, turned into an error; its stack
// has been logged.
type recoveredPanic struct{ e *types.Error }

func (p *recoveredPanic) Error() string { return p.e.Message }
func (p *recoveredPanic) Unwrap() error { return p.e }

// finish ends the handling of a message that may have failed with err. It
// returns the error that ends the connection, if any; otherwise it reports
// err, if any, to the client as ERROR and returns nil. what describes the
// message for log lines when no session call was made.
func (c *conn) finish(err error, what string) error {
	if c.activity != "" {
		what = c.activity
		c.activity = ""
	}
	switch {
	case c.draining():
		return errShuttingDown
	case c.out.err != nil:
		return c.out.err
	case err == nil:
		return c.fatal
	case c.fatal != nil && errors.Is(err, c.fatal):
		return c.fatal
	}
	e := queryError(err)
	var rp *recoveredPanic
	if e.Code == types.CodeInternalError && !errors.As(err, &rp) {
		c.logf("internal error %s: %+v", what, err)
	}
	if err := c.out.send(errorResponse(severityError, e)); err != nil {
		return err
	}
	c.failBlock()
	return c.fatal
}

// closeSession closes the session, if one was opened, containing a panic.
func (c *conn) closeSession() {
	if c.sess == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.logf("panic closing session: %v\n%s", r, debug.Stack())
		}
	}()
	c.sess.Close()
}

// cancelQuery cancels the running session call, if any. Called from other
// goroutines.
func (c *conn) cancelQuery() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.cancelQuery != nil {
		c.mu.cancelQuery()
	}
}

// markDraining is Shutdown's first step: from now on the connection ends,
// with FATAL 57P01 once the session is open, as soon as the message in hand
// is done. Called from another goroutine.
func (c *conn) markDraining() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.draining = true
}

// interrupt is Shutdown's second step: it makes a read that blocks, or
// will, fail at once, so that the connection's goroutine notices it is
// draining. Called from another goroutine.
func (c *conn) interrupt() {
	_ = c.nc.SetReadDeadline(time.Now())
}

// quoteSQL quotes a query, shortened, for a log line.
func quoteSQL(sql string) string { return fmt.Sprintf("%q", truncate(sql)) }

// truncate shortens a query for a log line.
func truncate(sql string) string {
	const max = 200
	if len(sql) <= max {
		return sql
	}
	return fmt.Sprintf("%s... (%d bytes)", sql[:max], len(sql))
}
