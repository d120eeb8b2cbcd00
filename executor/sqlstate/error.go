package sqlstate

import (
	"errors"
	"fmt"
)

// Error is an error with a SQLSTATE and the optional fields of a
// PostgreSQL ErrorResponse. Position is the 1-based character offset in
// the statement text the client sent, or 0.
type Error struct {
	Code     Code
	Message  string
	Detail   string
	Hint     string
	Position int
	// Where is the context of the error (PostgreSQL's CONTEXT line, e.g.
	// `COPY items, line 3, column price: "abc"`).
	Where string
	// Err is the underlying cause, if any; it is not shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a code to err, keeping err's text as the message unless
// one is given. A nil err yields nil.
func Wrap(err error, code Code, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Err: err}
}

// WithPosition returns a copy of e with a statement position.
func (e *Error) WithPosition(pos int) *Error {
	c := *e
	c.Position = pos
	return &c
}

// WithDetail returns a copy of e with a detail line.
func (e *Error) WithDetail(format string, args ...any) *Error {
	c := *e
	c.Detail = fmt.Sprintf(format, args...)
	return &c
}

// WithHint returns a copy of e with a hint line.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// WithWhere returns a copy of e with a context line.
func (e *Error) WithWhere(format string, args ...any) *Error {
	c := *e
	c.Where = fmt.Sprintf(format, args...)
	return &c
}

// CodeOf returns the SQLSTATE of the first *Error in err's chain;
// InternalError if there is none; SuccessfulCompletion for nil.
func CodeOf(err error) Code {
	if err == nil {
		return SuccessfulCompletion
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return InternalError
}

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
