package codec

import (
	"encoding/binary"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// date, timestamp and timestamptz: binary is int32 days or int64
// microseconds since 2000-01-01 (UTC for timestamptz), with the extreme
// values for ±infinity; text is ISO, timestamptz in the session time
// zone.

type dateEncoder struct {
	validity
	vals   []arrow.Date32
	ms     []arrow.Date64 // instead of vals for date64 arrays
	binary bool
}

var _ Encoder = (*dateEncoder)(nil)

func newDateEncoder(arr arrow.Array, format int16) Encoder {
	bin := format == FormatBinary
	switch a := arr.(type) {
	case *array.Date32:
		return &dateEncoder{validity: validityOf(arr), vals: a.Date32Values(), binary: bin}
	case *array.Date64:
		return &dateEncoder{validity: validityOf(arr), ms: a.Date64Values(), binary: bin}
	}
	return nil
}

// Append implements Encoder.
func (e *dateEncoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	var d int32
	if e.ms != nil {
		d = pgtype.Date64ToDays(int64(e.ms[row]))
	} else {
		d = int32(e.vals[row])
	}
	if e.binary {
		return binary.BigEndian.AppendUint32(append(dst, 0, 0, 0, 4), uint32(pgtype.DateToPG(d)))
	}
	dst, m := beginField(dst)
	return endField(pgtype.AppendDate(dst, d), m)
}

type timestampEncoder struct {
	validity
	vals   []arrow.Timestamp
	unit   arrow.TimeUnit
	binary bool
	zoned  bool           // timestamptz
	loc    *time.Location // for zoned text
}

var _ Encoder = (*timestampEncoder)(nil)

func newTimestampEncoder(arr arrow.Array, t pgtype.Type, format int16, o *pgtype.TextOptions) Encoder {
	a, ok := arr.(*array.Timestamp)
	if !ok {
		return nil
	}
	return &timestampEncoder{
		validity: validityOf(arr),
		vals:     a.TimestampValues(),
		unit:     a.DataType().(*arrow.TimestampType).Unit,
		binary:   format == FormatBinary,
		zoned:    t.OID == pgtype.OIDTimestampTZ,
		loc:      o.TimeZone,
	}
}

// Append implements Encoder.
func (e *timestampEncoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	us := int64(e.vals[row])
	if e.unit != arrow.Microsecond {
		us = pgtype.TimestampToMicros(us, e.unit)
	}
	if e.binary {
		return binary.BigEndian.AppendUint64(append(dst, 0, 0, 0, 8), uint64(pgtype.TimestampToPG(us)))
	}
	dst, m := beginField(dst)
	if e.zoned {
		return endField(pgtype.AppendTimestampTZ(dst, us, e.loc), m)
	}
	return endField(pgtype.AppendTimestamp(dst, us), m)
}

// decodeDate is date_recv: 22008 outside PostgreSQL's range.
func decodeDate(data []byte) (scalar.Scalar, error) {
	if len(data) != 4 {
		return nil, badBinary()
	}
	d, ok := pgtype.DateFromPG(int32(binary.BigEndian.Uint32(data)))
	if !ok {
		return nil, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date out of range")
	}
	return scalar.NewDate32Scalar(arrow.Date32(d)), nil
}

// decodeTimestamp is timestamp_recv and timestamptz_recv: 22008 outside
// the range lancegate holds.
func decodeTimestamp(t pgtype.Type, dt arrow.DataType, data []byte) (scalar.Scalar, error) {
	if len(data) != 8 {
		return nil, badBinary()
	}
	us, ok := pgtype.TimestampFromPG(int64(binary.BigEndian.Uint64(data)))
	if !ok {
		return nil, sqlstate.New(sqlstate.DatetimeFieldOverflow, "timestamp out of range")
	}
	return scalar.NewTimestampScalar(arrow.Timestamp(us), dt), nil
}
