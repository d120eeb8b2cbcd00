package codec

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// DecodeParam decodes one Bind parameter of declared type t, sent in
// format (FormatText or FormatBinary), into a scalar of t.Arrow(). data
// nil is SQL NULL: a null scalar of that type. data may be reused by the
// caller afterwards: the scalar holds a copy, on the Go heap (it needs no
// Release). s (nil means DefaultSettings) gives the time zone of text
// timestamptz input.
//
// Text goes through pgtype.ParseText, with its SQLSTATEs. Binary data of
// the wrong length or shape is 22P03 "incorrect binary data format in
// bind parameter"; the caller appends the parameter number, as
// PostgreSQL's message has it. Other binary errors follow the type's
// receive function (22000 for vectors, 22008 for dates out of range,
// 22P03 for malformed numerics). Types without an Arrow mapping, and
// format codes other than 0 and 1, are refused (0A000, 22023).
func DecodeParam(t pgtype.Type, format int16, data []byte, s *Settings) (scalar.Scalar, error) {
	if format != FormatText && format != FormatBinary {
		return nil, badFormat(format)
	}
	dt, err := t.Arrow()
	if err != nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "parameters of type %s are not supported", t)
	}
	if data == nil {
		return scalar.MakeNullScalar(dt), nil
	}
	if format == FormatText {
		tz := time.UTC
		if s != nil {
			tz = s.TimeZone()
		}
		return pgtype.ParseText(t, string(data), tz)
	}
	return decodeBinary(t, dt, data)
}

func decodeBinary(t pgtype.Type, dt arrow.DataType, data []byte) (scalar.Scalar, error) {
	switch t.OID {
	case pgtype.OIDBool:
		return decodeBool(data)
	case pgtype.OIDInt2, pgtype.OIDInt4, pgtype.OIDInt8,
		pgtype.OIDOID, pgtype.OIDRegclass, pgtype.OIDRegtype, pgtype.OIDRegproc, pgtype.OIDRegnamespace, pgtype.OIDRegrole, pgtype.OIDXID:
		return decodeInt(t, data)
	case pgtype.OIDFloat4, pgtype.OIDFloat8:
		return decodeFloat(t, data)
	case pgtype.OIDNumeric:
		return decodeNumeric(t, data)
	case pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDBpchar, pgtype.OIDName,
		pgtype.OIDUnknown, pgtype.OIDJSON:
		return pgtype.ParseText(t, string(data), nil)
	case pgtype.OIDChar:
		return decodeChar(data)
	case pgtype.OIDBytea:
		return decodeBytea(data), nil
	case pgtype.OIDDate:
		return decodeDate(data)
	case pgtype.OIDTimestamp, pgtype.OIDTimestampTZ:
		return decodeTimestamp(t, dt, data)
	case pgtype.OIDVector:
		return decodeVector(t, data)
	case pgtype.OIDVoid:
		if len(data) != 0 {
			return nil, badBinary()
		}
		return scalar.MakeNullScalar(dt), nil
	}
	if pgtype.IsArray(t.OID) {
		return decodeArray(t, dt, data)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "binary parameters of type %s are not supported", t)
}
