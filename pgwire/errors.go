package pgwire

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// Severities of an ErrorResponse. ERROR ends the current query; FATAL ends
// the connection.
const (
	severityError = "ERROR"
	severityFatal = "FATAL"
)

// Messages with PostgreSQL's wording.
const (
	msgAdminShutdown           = "terminating connection due to administrator command"
	msgQueryCanceled           = "canceling statement due to user request"
	msgStatementTimeout        = "canceling statement due to statement timeout"
	msgExtendedUnsupported     = "extended query protocol is not supported by this session"
	msgFunctionCallUnsupported = "fastpath function calls are not supported"
)

// errTerminated ends a connection whose client sent Terminate.
var errTerminated = errors.New("client sent terminate")

// errShuttingDown ends a connection because the server is shutting down.
var errShuttingDown = errors.New("server is shutting down")

// protocolViolation is a FATAL 08P01 error: the client broke the protocol, so
// the connection cannot continue.
func protocolViolation(format string, args ...any) *types.Error {
	return types.Errorf(types.CodeProtocolViolation, format, args...)
}

// withDetail returns a copy of e with a DETAIL line.
func withDetail(e *types.Error, format string, args ...any) *types.Error {
	c := *e
	c.Detail = fmt.Sprintf(format, args...)
	return &c
}

// queryError classifies an error returned by Session.Execute. Cancellation
// that the session did not classify itself becomes 57014, as PostgreSQL
// reports a cancelled statement; anything else without a SQLSTATE is XX000.
func queryError(err error) *types.Error {
	var e *types.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, context.Canceled):
		return types.Errorf(types.CodeQueryCanceled, msgQueryCanceled)
	case errors.Is(err, context.DeadlineExceeded):
		return types.Errorf(types.CodeQueryCanceled, msgStatementTimeout)
	}
	return types.AsError(err)
}

// noticeResponse is the NoticeResponse for e at the given severity.
func noticeResponse(severity string, e *types.Error) *pgproto3.NoticeResponse {
	return (*pgproto3.NoticeResponse)(errorResponse(severity, e))
}

// errorResponse is the ErrorResponse for e at the given severity.
func errorResponse(severity string, e *types.Error) *pgproto3.ErrorResponse {
	code := e.Code
	if code == "" {
		code = types.CodeInternalError
	}
	r := &pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
	}
	if e.Position > 0 && e.Position <= math.MaxInt32 {
		r.Position = int32(e.Position)
	}
	return r
}
