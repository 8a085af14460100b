package types

import (
	"errors"
	"fmt"
)

// SQLSTATE codes used by Weir, named as in PostgreSQL's errcodes.txt.
const (
	CodeSuccessfulCompletion         = "00000"
	CodeFeatureNotSupported          = "0A000"
	CodeObjectNotInPrerequisiteState = "55000"
	CodeDiskFull                     = "53100"
	CodeCardinalityViolation         = "21000"
	CodeDataException                = "22000"
	CodeStringDataRightTrunc         = "22001"
	CodeNumericValueOutOfRange       = "22003"
	CodeInvalidDatetimeFormat        = "22007"
	CodeDatetimeFieldOverflow        = "22008"
	CodeDivisionByZero               = "22012"
	CodeInvalidParameterValue        = "22023"
	CodeInvalidTextRepresent         = "22P02"
	CodeNotNullViolation             = "23502"
	CodeUniqueViolation              = "23505"
	CodeInvalidCursorState           = "24000"
	CodeInvalidTransactionState      = "25000"
	CodeSyntaxError                  = "42601"
	CodeUndefinedColumn              = "42703"
	CodeUndefinedFunction            = "42883"
	CodeUndefinedTable               = "42P01"
	CodeUndefinedObject              = "42704"
	CodeDuplicateTable               = "42P07"
	CodeDuplicateObject              = "42710"
	CodeDuplicateColumn              = "42701"
	CodeAmbiguousColumn              = "42702"
	CodeDatatypeMismatch             = "42804"
	CodeGroupingError                = "42803"
	CodeWindowingError               = "42P20"
	CodeIndeterminateDatatype        = "42P18"
	CodeWrongObjectType              = "42809"
	CodeInvalidColumnReference       = "42P10"
	CodeDependentObjectsExist        = "2BP01"
	CodeInvalidObjectDefinition      = "42P17"
	CodeProgramLimitExceeded         = "54000"
	CodeQueryCanceled                = "57014"
	CodeAdminShutdown                = "57P01"
	CodeIOError                      = "58030"
	CodeInternalError                = "XX000"
	CodeDataCorrupted                = "XX001"
	CodeProtocolViolation            = "08P01"
)

// Error is a user-facing error: PostgreSQL wording plus a SQLSTATE. Position
// is a 1-based character offset into the statement the user typed, 0 when
// unknown.
type Error struct {
	Code     string
	Message  string
	Detail   string
	Hint     string
	Position int
	cause    error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error this one was made from, if any.
func (e *Error) Unwrap() error { return e.cause }

// Errorf makes an Error with the given SQLSTATE.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap gives err a SQLSTATE unless it already carries one; the message says
// what was being done.
func Wrap(err error, code, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...) + ": " + err.Error(), cause: err}
}

// WithPosition returns a copy of e pointing at a position in the statement.
func (e *Error) WithPosition(pos int) *Error {
	c := *e
	c.Position = pos
	return &c
}

// ErrorCode returns the SQLSTATE of err: its own when it has one, XX000
// (internal error) otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternalError
}

// AsError converts any error into an *Error, classifying unknown ones as
// internal errors.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternalError, Message: err.Error(), cause: err}
}
