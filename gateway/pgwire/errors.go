package pgwire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// This file is the one place where a Go error becomes an ErrorResponse or a
// NoticeResponse. Codes are attached where errors are born (executor/
// sqlstate); here they are only read, never guessed from text.

// Severities as PostgreSQL spells them in the S and V fields.
const (
	severityError   = "ERROR"
	severityFatal   = "FATAL"
	severityWarning = "WARNING"
	severityNotice  = "NOTICE"
)

var (
	// errShutdown is the cause of a connection's context when the server
	// shuts down; statements cancelled for it end the connection with
	// FATAL 57P01.
	errShutdown = errors.New("pgwire: server shutting down")
	// errCancelRequest is the cause of a statement context cancelled by a
	// CancelRequest.
	errCancelRequest = errors.New("pgwire: canceled by CancelRequest")
)

// ioError marks a failure of the socket itself: the client went away or the
// network broke. Nothing more can be sent; the connection just closes.
type ioError struct{ err error }

func (e *ioError) Error() string { return "pgwire: connection i/o: " + e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

// fatalError wraps an error that must end the connection after a FATAL
// ErrorResponse carrying its code.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// fatalf returns a connection-ending error with a code.
func fatalf(code sqlstate.Code, format string, args ...any) error {
	return &fatalError{err: sqlstate.New(code, format, args...)}
}

// errAdminShutdown is what a connection is told when the server stops.
func errAdminShutdown() error {
	return fatalf(sqlstate.AdminShutdown, "terminating connection due to administrator command")
}

// panicError is a recovered panic: a bug, reported as XX000.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("internal error: panic: %v", e.value) }

// recovered turns a recovered panic value into an error, keeping the stack.
func recovered(r any) error { return &panicError{value: r, stack: debug.Stack()} }

// severityReporter is implemented by notices (and errors) that know their
// severity (WARNING, NOTICE, INFO, LOG, DEBUG); test it with errors.As.
// Notices without it are WARNING for class 01 and the transaction-state
// warnings (25001, 25P01), NOTICE otherwise.
type severityReporter interface {
	Severity() string
}

// errorResponse flattens err into ErrorResponse fields. Cancellations map to
// 57014 (or, when the server is stopping, FATAL 57P01); errors without a code
// are XX000 and are logged as bugs. fatal reports whether the connection
// must end after the message is sent.
func (c *conn) errorResponse(err error) (msg *pgproto3.ErrorResponse, fatal bool) {
	var fe *fatalError
	fatal = errors.As(err, &fe)
	se := sqlstate.As(err)
	if se == nil || se.Code == sqlstate.InternalError {
		switch {
		case c.shuttingDown() && (errors.Is(err, context.Canceled) || errors.Is(err, errShutdown)):
			se, fatal = sqlstate.New(sqlstate.AdminShutdown, "terminating connection due to administrator command"), true
		case errors.Is(err, context.Canceled):
			se = sqlstate.New(sqlstate.QueryCanceled, "canceling statement due to user request")
		case errors.Is(err, context.DeadlineExceeded):
			se = sqlstate.New(sqlstate.QueryCanceled, "canceling statement due to statement timeout")
		}
	}
	if se == nil {
		se = &sqlstate.Error{Code: sqlstate.InternalError, Message: err.Error()}
	}
	if se.Code == sqlstate.InternalError {
		c.logBug(err)
	} else {
		c.log.Debug("error response", "code", string(se.Code), "err", err)
	}
	sev := severityError
	if fatal {
		sev = severityFatal
	}
	return &pgproto3.ErrorResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                string(se.Code),
		Message:             se.Message,
		Detail:              se.Detail,
		Hint:                se.Hint,
		Position:            int32(se.Position),
		Where:               se.Where,
	}, fatal
}

// noticeResponse flattens a notice raised by a statement.
func noticeResponse(err error) *pgproto3.NoticeResponse {
	se := sqlstate.As(err)
	if se == nil {
		se = &sqlstate.Error{Code: sqlstate.Warning, Message: err.Error()}
	}
	sev := severityNotice
	switch {
	case se.Code.Class() == "01", se.Code == sqlstate.ActiveSQLTransaction, se.Code == sqlstate.NoActiveSQLTransaction:
		sev = severityWarning
	}
	var s severityReporter
	if errors.As(err, &s) && s.Severity() != "" {
		sev = s.Severity()
	}
	return &pgproto3.NoticeResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                string(se.Code),
		Message:             se.Message,
		Detail:              se.Detail,
		Hint:                se.Hint,
		Position:            int32(se.Position),
	}
}

// sendError reports a statement-level error to the client. It returns a
// non-nil error when the connection must end: the error was FATAL (it has
// then been sent and flushed) or the socket failed.
func (c *conn) sendError(err error) error {
	var ie *ioError
	if errors.As(err, &ie) {
		return err
	}
	msg, fatal := c.errorResponse(err)
	if serr := c.send(msg); serr != nil {
		return serr
	}
	if fatal {
		if ferr := c.flush(); ferr != nil {
			return ferr
		}
		return &reportedError{err: err}
	}
	return nil
}

// reportedError is a connection-ending error whose FATAL ErrorResponse has
// already been sent.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// logBug logs an internal error: an error without a SQLSTATE, or a panic.
func (c *conn) logBug(err error) {
	var pe *panicError
	if errors.As(err, &pe) {
		c.log.Error("bug: panic while serving connection", "panic", fmt.Sprint(pe.value), "stack", string(pe.stack))
		return
	}
	c.log.Error("bug: error without SQLSTATE", "err", err)
}

// logEnd logs why a connection ended, at a level that matches how unusual
// that is: clients closing the socket (psql does it during authentication
// to prompt for a password) are routine.
func (c *conn) logEnd(err error) {
	var ie *ioError
	switch {
	case err == nil:
		c.log.Debug("connection closed")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &ie):
		c.log.Debug("connection closed by client", "err", err)
	default:
		c.log.Info("connection ended", "err", err)
	}
}
