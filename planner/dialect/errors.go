package dialect

import (
	"fmt"
	"unicode/utf8"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// characterNotInRepertoire is SQLSTATE 22021, raised for an E'…' escape
// that produces bytes that are not UTF-8. It is not in the sqlstate
// catalogue yet.
const characterNotInRepertoire sqlstate.Code = "22021"

// charPos returns the 1-based character position of byte offset off in
// text, the unit of ErrorResponse's Position field.
func charPos(text string, off int) int {
	if off > len(text) {
		off = len(text)
	}
	if off < 0 {
		off = 0
	}
	return utf8.RuneCountInString(text[:off]) + 1
}

// errAt returns an error with code and message positioned at byte offset
// off of text.
func errAt(text string, off int, code sqlstate.Code, format string, args ...any) *sqlstate.Error {
	e := sqlstate.New(code, format, args...)
	e.Position = charPos(text, off)
	return e
}

// syntaxErrorNear is PostgreSQL's `syntax error at or near "x"` at byte
// offset off; an empty near means the end of the input.
func syntaxErrorNear(text string, off int, near string) *sqlstate.Error {
	if near == "" {
		return errAt(text, off, sqlstate.SyntaxError, "syntax error at end of input")
	}
	return errAt(text, off, sqlstate.SyntaxError, "syntax error at or near \"%s\"", clip(near))
}

// lexError is a lexer error `<what> at or near "<rest>"`, PostgreSQL's form
// for unterminated literals and junk.
func lexError(text string, off, end int, code sqlstate.Code, what string) *sqlstate.Error {
	if end > len(text) {
		end = len(text)
	}
	return errAt(text, off, code, "%s at or near \"%s\"", what, clip(text[off:end]))
}

// notSupported is the 0A000 error for a construct lancegate knows but does
// not implement yet.
func notSupported(text string, off int, format string, args ...any) *sqlstate.Error {
	return errAt(text, off, sqlstate.FeatureNotSupported, format+" is not supported yet", args...)
}

// clip shortens very long texts quoted in messages.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// internalError wraps a recovered panic or an unexpected condition.
func internalError(format string, args ...any) *sqlstate.Error {
	return sqlstate.New(sqlstate.InternalError, "dialect: %s", fmt.Sprintf(format, args...))
}
