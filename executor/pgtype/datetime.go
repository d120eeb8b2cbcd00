package pgtype

import (
	"math"

	"github.com/apache/arrow/go/v17/arrow"
)

// Dates are Arrow date32 values (days since 1970-01-01) and timestamps
// Arrow timestamp[us] values (microseconds since 1970-01-01 00:00 UTC,
// naive for timestamp), both on the proleptic Gregorian calendar with
// astronomical years (1 BC is year 0), as PostgreSQL computes. The
// extreme values of the Arrow types stand for PostgreSQL's infinities,
// which sort after (before) every other value as they do in PostgreSQL.
// The wire uses 2000-01-01 as its epoch; the *FromPG and *ToPG functions
// convert.

// Infinite dates and timestamps.
const (
	// DateInfinity is the date32 value of 'infinity'::date.
	DateInfinity int32 = math.MaxInt32
	// DateNegInfinity is the date32 value of '-infinity'::date.
	DateNegInfinity int32 = math.MinInt32
	// TimestampInfinity is the timestamp value of 'infinity'.
	TimestampInfinity int64 = math.MaxInt64
	// TimestampNegInfinity is the timestamp value of '-infinity'.
	TimestampNegInfinity int64 = math.MinInt64
)

// PostgreSQL's epoch, 2000-01-01, from Arrow's, 1970-01-01.
const (
	// PGEpochDays is the number of days from 1970-01-01 to 2000-01-01.
	PGEpochDays = 10957
	// PGEpochMicros is the number of microseconds from 1970-01-01 to
	// 2000-01-01.
	PGEpochMicros int64 = PGEpochDays * usPerDay
)

const (
	usPerSec  int64 = 1e6
	usPerDay  int64 = 86400 * usPerSec
	secPerDay int64 = 86400
)

// The ranges PostgreSQL accepts: dates from 4714-11-24 BC (Julian day 0)
// to 5874897-12-31; timestamps from 4714-11-24 00:00 BC up to 294277 AD,
// of which int64 microseconds since 1970 reach 294247-01-10.
var (
	minDate      = daysFromCivil(-4713, 11, 24)
	endDate      = daysFromCivil(5874898, 1, 1)
	minTimestamp = minDate * usPerDay
)

// ValidDate reports whether days (since 1970-01-01) is a date PostgreSQL
// can hold, the infinities included.
func ValidDate(days int32) bool {
	d := int64(days)
	return days == DateInfinity || days == DateNegInfinity || d >= minDate && d < endDate
}

// ValidTimestamp reports whether us (microseconds since 1970-01-01) is a
// timestamp PostgreSQL can hold, the infinities included.
func ValidTimestamp(us int64) bool {
	return us == TimestampInfinity || us == TimestampNegInfinity || us >= minTimestamp
}

// DateToPG converts days since 1970-01-01 to the wire's days since
// 2000-01-01, keeping the infinities.
func DateToPG(days int32) int32 {
	if days == DateInfinity || days == DateNegInfinity {
		return days
	}
	return days - PGEpochDays
}

// DateFromPG converts the wire's days since 2000-01-01 to days since
// 1970-01-01; ok is false when the date is outside PostgreSQL's range.
func DateFromPG(pg int32) (days int32, ok bool) {
	if pg == DateInfinity || pg == DateNegInfinity {
		return pg, true
	}
	d := int64(pg) + PGEpochDays
	if d < minDate || d >= endDate {
		return 0, false
	}
	return int32(d), true
}

// TimestampToPG converts microseconds since 1970-01-01 to the wire's
// microseconds since 2000-01-01, keeping the infinities.
func TimestampToPG(us int64) int64 {
	if us == TimestampInfinity || us == TimestampNegInfinity {
		return us
	}
	return us - PGEpochMicros
}

// TimestampFromPG converts the wire's microseconds since 2000-01-01 to
// microseconds since 1970-01-01; ok is false when the timestamp is
// outside the range lancegate can hold.
func TimestampFromPG(pg int64) (us int64, ok bool) {
	if pg == TimestampInfinity || pg == TimestampNegInfinity {
		return pg, true
	}
	if pg >= TimestampInfinity-PGEpochMicros || pg < minTimestamp-PGEpochMicros {
		return 0, false
	}
	return pg + PGEpochMicros, true
}

// TimestampToMicros converts a timestamp of the given unit to
// microseconds, rounding nanoseconds down; the extreme values stay the
// infinities, and values beyond the microsecond range saturate to them.
func TimestampToMicros(v int64, unit arrow.TimeUnit) int64 {
	var mul int64
	switch unit {
	case arrow.Microsecond:
		return v
	case arrow.Nanosecond:
		if v == TimestampInfinity || v == TimestampNegInfinity {
			return v
		}
		return floorDiv(v, 1000)
	case arrow.Millisecond:
		mul = 1000
	default:
		mul = usPerSec
	}
	switch {
	case v >= TimestampInfinity/mul:
		return TimestampInfinity
	case v <= TimestampNegInfinity/mul:
		return TimestampNegInfinity
	}
	return v * mul
}

// Date64ToDays converts an Arrow date64 (milliseconds) to days.
func Date64ToDays(ms int64) int32 {
	d := floorDiv(ms, usPerDay/1000)
	switch {
	case d >= int64(DateInfinity):
		return DateInfinity
	case d <= int64(DateNegInfinity):
		return DateNegInfinity
	}
	return int32(d)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil returns the days since 1970-01-01 of y-m-d (astronomical
// year, proleptic Gregorian calendar).
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
