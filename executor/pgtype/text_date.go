package pgtype

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// parseDate is date_in for ISO input. A time and zone after the date are
// read and ignored, as PostgreSQL does; now, today, tomorrow and
// yesterday are taken in tz, from the wall clock.
func parseDate(s string, tz *time.Location) (scalar.Scalar, error) {
	days, err := parseDays(s, tz)
	if err != nil {
		return nil, err
	}
	return scalar.NewDate32Scalar(arrow.Date32(days)), nil
}

func parseDays(s string, tz *time.Location) (int32, error) {
	d, e := parseDatetime(s)
	if e != dtOK {
		return 0, e.toError("date", s, d.zoneName)
	}
	var days int64
	switch d.special {
	case dtInfinity:
		return DateInfinity, nil
	case dtNegInfinity:
		return DateNegInfinity, nil
	case dtEpoch:
		return 0, nil
	case dtNow, dtToday, dtTomorrow, dtYesterday:
		days = today(tz) + relativeDays(d.special)
	default:
		_, days = d.localSeconds()
	}
	if days < minDate || days >= endDate {
		return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date out of range: \"%s\"", s)
	}
	return int32(days), nil
}

// today is the current date in tz, in days since 1970-01-01.
func today(tz *time.Location) int64 {
	now := time.Now().Unix()
	return floorDiv(now+int64(zoneOffset(now, tz)), secPerDay)
}

func relativeDays(sp dtSpecial) int64 {
	switch sp {
	case dtTomorrow:
		return 1
	case dtYesterday:
		return -1
	}
	return 0
}

// AppendDate appends date_out's ISO form of days (since 1970-01-01):
// YYYY-MM-DD, with " BC" for years before 1, or infinity / -infinity.
func AppendDate(dst []byte, days int32) []byte {
	switch days {
	case DateInfinity:
		return append(dst, "infinity"...)
	case DateNegInfinity:
		return append(dst, "-infinity"...)
	}
	y, m, d := civilFromDays(int64(days))
	dst = appendYMD(dst, y, m, d)
	if y <= 0 {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendYMD writes YYYY-MM-DD with the year as PostgreSQL shows it (1 - y
// for BC years), at least four digits.
func appendYMD(dst []byte, y int64, m, d int) []byte {
	if y <= 0 {
		y = 1 - y
	}
	if y < 10000 {
		dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	} else {
		dst = appendUintTo(dst, uint64(y))
	}
	return append(dst, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}
