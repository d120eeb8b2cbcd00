package pgtype

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// TextOptions are the session settings that shape text output.
type TextOptions struct {
	// TimeZone is the session time zone, for timestamptz output.
	TimeZone *time.Location
	// ExtraFloatDigits is extra_float_digits: > 0 means shortest
	// round-trip output (PostgreSQL 12+ default behaviour with 1).
	ExtraFloatDigits int
	// ByteaHex selects bytea_output = hex (the default) over escape.
	ByteaHex bool
}

// DefaultTextOptions are PostgreSQL's defaults with TimeZone UTC.
func DefaultTextOptions() *TextOptions {
	return &TextOptions{TimeZone: time.UTC, ExtraFloatDigits: 1, ByteaHex: true}
}

// ParseText parses the PostgreSQL text input form of a value of type t
// (what 'literal'::t accepts) into an Arrow scalar of t.Arrow(). Errors
// carry SQLSTATEs: 22P02 invalid input syntax, 22003 out of range, 22007 /
// 22008 bad or overflowing datetimes, 22000 vector errors (and 22000
// "expected 3 dimensions, not 2" when t is vector(n)).
//
// TODO(codec): implemented by the types-and-codec work.
func ParseText(t Type, s string, tz *time.Location) (scalar.Scalar, error) {
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "text input for type %s is not implemented", t)
}

// AppendText appends the PostgreSQL text output of arr's value at row
// (which must not be null), arr being of t.Arrow().
//
// TODO(codec): implemented by the types-and-codec work.
func AppendText(dst []byte, t Type, arr arrow.Array, row int, o *TextOptions) []byte {
	return append(dst, "?"...)
}
