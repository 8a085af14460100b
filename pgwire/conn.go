package pgwire

import (
	"bytes"
	"context"
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

// shutdownWriteTimeout bounds how long Shutdown waits for an idle client to
// accept the FATAL message telling it the server is going away.
const shutdownWriteTimeout = time.Second

// connState is where a connection is in its life; see the package doc.
type connState uint8

const (
	// stateStartup: reading the startup packet and opening the session.
	// Shutdown closes the socket.
	stateStartup connState = iota
	// stateIdle: blocked reading the next message with all output flushed.
	// Shutdown writes FATAL 57P01 itself and closes the socket.
	stateIdle
	// stateBusy: handling a message, possibly inside Session.Execute.
	// Shutdown cancels the query; the connection's goroutine writes FATAL
	// 57P01 when it is done.
	stateBusy
)

// conn is one client connection. Everything but mu is owned by the
// connection's goroutine (serve).
type conn struct {
	srv    *Server
	nc     net.Conn
	frames *frameReader
	out    messageWriter
	rw     resultWriter
	// pid and secret are the BackendKeyData that a CancelRequest must quote.
	pid, secret uint32
	sess        Session
	// skipUntilSync is set after an extended-protocol message was refused:
	// like PostgreSQL after an error in the extended protocol, everything up
	// to the next Sync is discarded.
	skipUntilSync bool

	mu struct {
		sync.Mutex
		state connState
		// draining is set by Shutdown.
		draining bool
		// cancelQuery cancels the running Execute; nil when none runs.
		cancelQuery context.CancelFunc
	}
}

func newConn(srv *Server, nc net.Conn, pid, secret uint32) *conn {
	c := &conn{srv: srv, nc: nc, pid: pid, secret: secret}
	c.frames = newFrameReader(nc, srv.cfg.MaxMessageBytes)
	c.out.w = nc
	c.rw.out = &c.out
	return c
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
		if err := c.out.flush(); err != nil {
			c.fail(err)
			return
		}
		if !c.setState(stateIdle) {
			c.fail(errShuttingDown)
			return
		}
		typ, body, err := c.frames.readMessage()
		if !c.setState(stateBusy) {
			return // Shutdown has told the client and closed the socket
		}
		if err == nil {
			err = c.handle(typ, body)
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

// setState moves to state unless the server is draining, in which case it
// reports false and the connection must end.
func (c *conn) setState(state connState) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.draining {
		return false
	}
	c.mu.state = state
	return true
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
	case errors.Is(err, io.EOF), errors.Is(err, errTerminated), errors.Is(err, errCancelRequestDone):
		return // the client is done with us
	case errors.Is(err, errShuttingDown):
		e = types.Errorf(types.CodeAdminShutdown, msgAdminShutdown)
	case c.draining():
		return // Shutdown closed the socket under us
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
		c.skipUntilSync = false
		return c.out.send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	}
	if c.skipUntilSync {
		return nil
	}
	switch typ {
	case msgQuery:
		return c.simpleQuery(body)
	case msgParse, msgBind, msgDescribe, msgExecute, msgClose:
		c.skipUntilSync = true
		return c.out.send(errorResponse(severityError,
			types.Errorf(types.CodeFeatureNotSupported, msgExtendedUnsupported)))
	case msgFunctionCall:
		if err := c.out.send(errorResponse(severityError,
			types.Errorf(types.CodeFeatureNotSupported, msgFunctionCallUnsupported))); err != nil {
			return err
		}
		return c.out.send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	case msgFlush:
		return nil // the loop flushes before reading on
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
	sql, err := decodeQuery(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(c.srv.ctx)
	defer cancel()
	c.mu.Lock()
	c.mu.cancelQuery = cancel
	c.mu.Unlock()

	panicked, err := c.execute(ctx, sql)

	c.mu.Lock()
	c.mu.cancelQuery = nil
	draining := c.mu.draining
	c.mu.Unlock()
	c.rw.reset()
	switch {
	case draining:
		return errShuttingDown
	case c.out.err != nil:
		return c.out.err
	case err != nil:
		e := queryError(err)
		if e.Code == types.CodeInternalError && !panicked {
			c.logf("internal error in query %q: %+v", truncate(sql), err)
		}
		if err := c.out.send(errorResponse(severityError, e)); err != nil {
			return err
		}
	}
	return c.out.send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
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

// execute calls Session.Execute, turning a panic into an XX000 error so that
// the connection stays usable.
func (c *conn) execute(ctx context.Context, sql string) (panicked bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.logf("panic executing %q: %v\n%s", truncate(sql), r, debug.Stack())
			panicked, err = true, types.Errorf(types.CodeInternalError, "internal error: %v", r)
		}
	}()
	return false, c.sess.Execute(ctx, sql, &c.rw)
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

// cancelQuery cancels the running Execute, if any. Called from other
// goroutines.
func (c *conn) cancelQuery() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.cancelQuery != nil {
		c.mu.cancelQuery()
	}
}

// markDraining is Shutdown's first step: from now on the connection's
// goroutine writes nothing more except the FATAL that ends a query it is
// running. It returns the state the connection was in. Called from another
// goroutine.
func (c *conn) markDraining() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.draining = true
	return c.mu.state
}

// disconnect is Shutdown's second step for a connection that was not busy
// when marked draining; a busy one reports the shutdown itself when its
// query returns. Called from another goroutine.
func (c *conn) disconnect(state connState) {
	if state == stateIdle {
		// The connection's goroutine is blocked in a read with nothing
		// buffered (invariant 2), and being draining it will write nothing
		// more, so this message cannot interleave with another.
		msg, err := errorResponse(severityFatal,
			types.Errorf(types.CodeAdminShutdown, msgAdminShutdown)).Encode(nil)
		if err == nil {
			_ = c.nc.SetWriteDeadline(time.Now().Add(shutdownWriteTimeout))
			_, _ = c.nc.Write(msg)
		}
	}
	c.nc.Close()
}

// truncate shortens a query for a log line.
func truncate(sql string) string {
	const max = 200
	if len(sql) <= max {
		return sql
	}
	return fmt.Sprintf("%s... (%d bytes)", sql[:max], len(sql))
}
