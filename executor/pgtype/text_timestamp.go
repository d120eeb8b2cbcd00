package pgtype

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// maxSeconds bounds seconds so that seconds * 1e6 does not overflow.
const maxSeconds = TimestampInfinity / usPerSec

// parseTimestamp is timestamp_in and timestamptz_in for ISO input. For
// timestamp a zone in the input is read and ignored, as PostgreSQL does;
// for timestamptz the wall-clock time is in the input's zone, else in tz.
// Fractions beyond microseconds are rounded as PostgreSQL rounds them.
func parseTimestamp(t Type, s string, tz *time.Location) (scalar.Scalar, error) {
	us, err := parseMicros(t, s, tz)
	if err != nil {
		return nil, err
	}
	dt, err := t.Arrow()
	if err != nil {
		return nil, err
	}
	return scalar.NewTimestampScalar(arrow.Timestamp(us), dt), nil
}

func parseMicros(t Type, s string, tz *time.Location) (int64, error) {
	withZone := t.OID == OIDTimestampTZ
	typeName := "timestamp"
	if withZone {
		typeName = "timestamp with time zone"
	}
	d, e := parseDatetime(s)
	if e != dtOK {
		return 0, e.toError(typeName, s, d.zoneName)
	}
	var secs int64
	switch d.special {
	case dtInfinity:
		return TimestampInfinity, nil
	case dtNegInfinity:
		return TimestampNegInfinity, nil
	case dtEpoch:
		return 0, nil
	case dtNow:
		now := time.Now()
		us := now.UnixMicro()
		if !withZone {
			us += int64(zoneOffset(now.Unix(), tz)) * usPerSec
		}
		return us, nil
	case dtToday, dtTomorrow, dtYesterday:
		secs = (today(tz) + relativeDays(d.special)) * secPerDay
		if withZone {
			secs -= int64(localOffset(secs, tz))
		}
		return secs * usPerSec, nil
	}
	secs, _ = d.localSeconds()
	if withZone {
		switch {
		case d.loc != nil:
			secs -= int64(localOffset(secs, d.loc))
		case d.hasZone:
			secs -= int64(d.offset)
		default:
			secs -= int64(localOffset(secs, tz))
		}
	}
	if secs > maxSeconds || secs < minTimestamp/usPerSec || secs*usPerSec > TimestampInfinity-1-d.micros {
		return 0, timestampRange(s)
	}
	us := secs*usPerSec + d.micros
	if us < minTimestamp {
		return 0, timestampRange(s)
	}
	return us, nil
}

func timestampRange(s string) error {
	return sqlstate.New(sqlstate.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
}

// AppendTimestamp appends timestamp_out's ISO form of us (microseconds
// since 1970-01-01): YYYY-MM-DD HH:MM:SS, then .ffffff without trailing
// zeros when the fraction is not zero, then " BC" for years before 1; or
// infinity / -infinity.
func AppendTimestamp(dst []byte, us int64) []byte {
	switch us {
	case TimestampInfinity:
		return append(dst, "infinity"...)
	case TimestampNegInfinity:
		return append(dst, "-infinity"...)
	}
	dst, y := appendDateTime(dst, us)
	if y <= 0 {
		dst = append(dst, " BC"...)
	}
	return dst
}

// AppendTimestampTZ appends timestamptz_out's ISO form of us
// (microseconds since 1970-01-01 UTC) in loc (nil is UTC): the local
// date and time as AppendTimestamp writes them, the UTC offset as
// ±HH[:MM[:SS]], then " BC" for years before 1: 2024-01-02
// 04:04:05.5+01.
func AppendTimestampTZ(dst []byte, us int64, loc *time.Location) []byte {
	switch us {
	case TimestampInfinity:
		return append(dst, "infinity"...)
	case TimestampNegInfinity:
		return append(dst, "-infinity"...)
	}
	off := zoneOffset(floorDiv(us, usPerSec), loc)
	local := us + int64(off)*usPerSec
	if off > 0 && local < us || off < 0 && local > us { // wrapped
		local = us
		off = 0
	}
	dst, y := appendDateTime(dst, local)
	dst = AppendOffset(dst, off)
	if y <= 0 {
		dst = append(dst, " BC"...)
	}
	return dst
}

// AppendOffset appends a UTC offset in seconds east as PostgreSQL's ISO
// style shows it: +HH, +HH:MM or +HH:MM:SS (+00 for UTC).
func AppendOffset(dst []byte, off int) []byte {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	h, m, s := off/3600, off/60%60, off%60
	dst = append(dst, sign)
	if h >= 100 {
		dst = appendUintTo(dst, uint64(h))
	} else {
		dst = append2(dst, h)
	}
	if m != 0 || s != 0 {
		dst = append2(append(dst, ':'), m)
		if s != 0 {
			dst = append2(append(dst, ':'), s)
		}
	}
	return dst
}

// appendDateTime writes the wall-clock time us and returns the
// astronomical year.
func appendDateTime(dst []byte, us int64) ([]byte, int64) {
	days := floorDiv(us, usPerDay)
	tod := us - days*usPerDay
	y, m, d := civilFromDays(days)
	dst = appendYMD(dst, y, m, d)
	secs := tod / usPerSec
	dst = append(dst, ' ')
	dst = append2(dst, int(secs/3600))
	dst = append2(append(dst, ':'), int(secs/60%60))
	dst = append2(append(dst, ':'), int(secs%60))
	if f := tod % usPerSec; f != 0 {
		var b [7]byte
		b[0] = '.'
		for i := 6; i >= 1; i-- {
			b[i] = byte('0' + f%10)
			f /= 10
		}
		n := 7
		for b[n-1] == '0' {
			n--
		}
		dst = append(dst, b[:n]...)
	}
	return dst, y
}
