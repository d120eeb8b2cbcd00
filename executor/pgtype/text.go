package pgtype

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
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

var defaultTextOptions = DefaultTextOptions()

// ParseText parses the PostgreSQL text input form of a value of type t
// (what 'literal'::t accepts) into an Arrow scalar of t.Arrow(). tz is the
// session time zone, which timestamptz input without a zone is read in
// (nil means UTC). Errors carry SQLSTATEs: 22P02 invalid input syntax,
// 22003 out of range, 22001 string too long, 22007 / 22008 bad or
// overflowing datetimes, 22023 unknown time zones, 22000 vector errors
// (and 22000 "expected 3 dimensions, not 2" when t is vector(n)), 0A000
// for types and values lancegate cannot store (interval, numeric NaN).
//
// The scalar owns no allocator memory: its buffers live on the Go heap,
// so it may be dropped without Release.
func ParseText(t Type, s string, tz *time.Location) (scalar.Scalar, error) {
	if tz == nil {
		tz = time.UTC
	}
	switch t.OID {
	case OIDBool:
		return parseBool(s)
	case OIDInt2:
		v, err := parseInt(s, "smallint", -1<<15, 1<<15-1)
		if err != nil {
			return nil, err
		}
		return scalar.NewInt16Scalar(int16(v)), nil
	case OIDInt4:
		v, err := parseInt(s, "integer", -1<<31, 1<<31-1)
		if err != nil {
			return nil, err
		}
		return scalar.NewInt32Scalar(int32(v)), nil
	case OIDInt8:
		v, err := parseInt(s, "bigint", -1<<63, 1<<63-1)
		if err != nil {
			return nil, err
		}
		return scalar.NewInt64Scalar(v), nil
	case OIDOID, OIDRegclass, OIDRegtype, OIDRegproc, OIDRegnamespace, OIDRegrole, OIDXID:
		v, err := parseOID(t, s)
		if err != nil {
			return nil, err
		}
		return scalar.NewUint32Scalar(v), nil
	case OIDFloat4:
		v, err := parseFloat4(s)
		if err != nil {
			return nil, err
		}
		return scalar.NewFloat32Scalar(v), nil
	case OIDFloat8:
		v, err := parseFloat8(s)
		if err != nil {
			return nil, err
		}
		return scalar.NewFloat64Scalar(v), nil
	case OIDNumeric:
		return parseNumeric(t, s)
	case OIDText, OIDVarchar, OIDBpchar, OIDName, OIDUnknown, OIDChar, OIDJSON:
		v, err := parseString(t, s)
		if err != nil {
			return nil, err
		}
		return scalar.NewStringScalar(v), nil
	case OIDBytea:
		return parseBytea(s)
	case OIDDate:
		return parseDate(s, tz)
	case OIDTimestamp, OIDTimestampTZ:
		return parseTimestamp(t, s, tz)
	case OIDVector:
		v, err := parseVector(t, s)
		if err != nil {
			return nil, err
		}
		return newVectorScalar(t, v), nil
	case OIDVoid:
		return scalar.MakeNullScalar(arrow.Null), nil
	}
	if IsArray(t.OID) && t.OID != OIDVectorArray {
		return parseArray(t, s, tz)
	}
	return nil, unsupported(t)
}

// AppendText appends the PostgreSQL text output of arr's value at row
// (which must not be null; row is relative to arr's offset, as for
// arr.Value) to dst and returns the extended buffer. t is the value's
// PostgreSQL type; arr is normally of t.Arrow(), but the narrower Arrow
// types FromArrow maps to t (int32 for bigint, other timestamp units,
// large strings, dictionaries) print the same. A nil o means
// DefaultTextOptions. Arrays of types with no text form append nothing.
func AppendText(dst []byte, t Type, arr arrow.Array, row int, o *TextOptions) []byte {
	if o == nil {
		o = defaultTextOptions
	}
	if l, ok := arr.(*array.List); ok && IsArray(t.OID) {
		return appendArrayText(dst, t, l, row, o)
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return AppendBool(dst, a.Value(row))
	case *array.Int8:
		return AppendInt64(dst, int64(a.Value(row)))
	case *array.Int16:
		return AppendInt64(dst, int64(a.Value(row)))
	case *array.Int32:
		return AppendInt64(dst, int64(a.Value(row)))
	case *array.Int64:
		return AppendInt64(dst, a.Value(row))
	case *array.Uint8:
		return AppendInt64(dst, int64(a.Value(row)))
	case *array.Uint16:
		return AppendInt64(dst, int64(a.Value(row)))
	case *array.Uint32:
		return AppendInt64(dst, int64(a.Value(row)))
	case *array.Uint64:
		return AppendUint64(dst, a.Value(row))
	case *array.Float32:
		if t.OID == OIDFloat8 {
			return AppendFloat8(dst, float64(a.Value(row)), o.ExtraFloatDigits)
		}
		return AppendFloat4(dst, a.Value(row), o.ExtraFloatDigits)
	case *array.Float64:
		return AppendFloat8(dst, a.Value(row), o.ExtraFloatDigits)
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return AppendNumeric(dst, a.Value(row), scale, FixedScale(t))
	case *array.String:
		return appendString(dst, t, a.Value(row))
	case *array.LargeString:
		return appendString(dst, t, a.Value(row))
	case *array.Binary:
		return appendBinary(dst, t, a.Value(row), o)
	case *array.LargeBinary:
		return appendBinary(dst, t, a.Value(row), o)
	case *array.FixedSizeBinary:
		return appendBinary(dst, t, a.Value(row), o)
	case *array.Date32:
		return AppendDate(dst, int32(a.Value(row)))
	case *array.Date64:
		return AppendDate(dst, Date64ToDays(int64(a.Value(row))))
	case *array.Timestamp:
		dt := a.DataType().(*arrow.TimestampType)
		us := TimestampToMicros(int64(a.Value(row)), dt.Unit)
		if t.OID == OIDTimestampTZ || (t.OID != OIDTimestamp && dt.TimeZone != "") {
			return AppendTimestampTZ(dst, us, o.TimeZone)
		}
		return AppendTimestamp(dst, us)
	case *array.FixedSizeList:
		if vals, ok := a.ListValues().(*array.Float32); ok {
			beg, end := a.ValueOffsets(row)
			return AppendVector(dst, vals.Float32Values()[beg:end])
		}
	case *array.List:
		if vals, ok := a.ListValues().(*array.Float32); ok {
			beg, end := a.ValueOffsets(row)
			return AppendVector(dst, vals.Float32Values()[beg:end])
		}
	case *array.Dictionary:
		return AppendText(dst, t, a.Dictionary(), a.GetValueIndex(row), o)
	}
	return dst
}

// unsupported is the error for types without a storage mapping.
func unsupported(t Type) error {
	return sqlstate.New(sqlstate.FeatureNotSupported, "type %s is not supported", t)
}

// syntaxError is PostgreSQL's "invalid input syntax" error (22P02).
func syntaxError(typeName, s string) error {
	return sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", typeName, s)
}

// isSpace is C's isspace in the C locale, which PostgreSQL's input
// functions use to skip white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// trimSpace strips isSpace bytes from both ends of s.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lower returns an ASCII lower-case byte.
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
