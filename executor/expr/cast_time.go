package expr

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// date, timestamp and timestamptz are Arrow date32 (days since
// 1970-01-01) and timestamp[us] without and with a UTC zone. Conversions
// between a wall-clock type and timestamptz go through the session time
// zone (Env.Text.TimeZone), as PostgreSQL's do.

const (
	usPerDay = 86400 * 1000000
)

// floorDiv is integer division rounding toward −∞.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// wallToInstant reads µs of wall-clock time as a time in tz.
func wallToInstant(us int64, tz *time.Location) int64 {
	if tz == time.UTC {
		return us
	}
	t := time.UnixMicro(us).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), tz).UnixMicro()
}

// instantToWall returns the wall-clock time in tz of an instant, as µs.
func instantToWall(us int64, tz *time.Location) int64 {
	if tz == time.UTC {
		return us
	}
	t := time.UnixMicro(us).In(tz)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixMicro()
}

// castDatetime converts among date, timestamp and timestamptz.
func castDatetime(env *Env, a arrow.Array, from, to pgtype.Type) (arrow.Array, error) {
	n := a.Len()
	tz := timeZone(env)
	valid, nulls := copyValidity(env.Mem, a)
	dt, _ := to.Arrow()
	if to.OID == pgtype.OIDDate {
		x := values[int64](a)
		buf, out := allocValues[int32](env.Mem, n)
		for i, v := range x {
			if from.OID == pgtype.OIDTimestampTZ {
				v = instantToWall(v, tz)
			}
			out[i] = int32(floorDiv(v, usPerDay))
		}
		return fixedArray(dt, n, valid, nulls, buf), nil
	}
	buf, out := allocValues[int64](env.Mem, n)
	if from.OID == pgtype.OIDDate {
		for i, d := range values[int32](a) {
			out[i] = int64(d) * usPerDay
		}
	} else {
		copy(out, values[int64](a))
	}
	switch {
	case from.OID != pgtype.OIDTimestampTZ && to.OID == pgtype.OIDTimestampTZ:
		for i, v := range out {
			out[i] = wallToInstant(v, tz)
		}
	case from.OID == pgtype.OIDTimestampTZ && to.OID == pgtype.OIDTimestamp:
		for i, v := range out {
			out[i] = instantToWall(v, tz)
		}
	}
	return fixedArray(dt, n, valid, nulls, buf), nil
}
