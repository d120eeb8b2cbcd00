package pgtype_test

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// PostgreSQL 15 date_in and date_out, DateStyle ISO.
func TestDateText(t *testing.T) {
	d := pgtype.Date
	fieldRange := func(in string) textCase {
		return textCase{typ: d, in: in, code: sqlstate.DatetimeFieldOverflow,
			msg: `date/time field value out of range: "` + in + `"`}
	}
	runTextCases(t, []textCase{
		{typ: d, in: "2024-07-02", want: "2024-07-02"},
		{typ: d, in: " 2024-7-2 ", want: "2024-07-02"},
		{typ: d, in: "20240702", want: "2024-07-02"},
		{typ: d, in: "2024-07-02 12:34:56", want: "2024-07-02"},
		{typ: d, in: "2024-07-02T23:59:59+05", want: "2024-07-02"},
		{typ: d, in: "2000-01-01", want: "2000-01-01"},
		{typ: d, in: "1970-01-01", want: "1970-01-01"},
		{typ: d, in: "0001-01-01", want: "0001-01-01"},
		{typ: d, in: "0001-12-31 BC", want: "0001-12-31 BC"},
		{typ: d, in: "0044-03-15 bc", want: "0044-03-15 BC"},
		{typ: d, in: "2024-07-02 AD", want: "2024-07-02"},
		{typ: d, in: "2024-02-29", want: "2024-02-29"},
		{typ: d, in: "2000-02-29", want: "2000-02-29"},
		{typ: d, in: "4714-11-24 BC", want: "4714-11-24 BC"},
		{typ: d, in: "5874897-12-31", want: "5874897-12-31"},
		{typ: d, in: "epoch", want: "1970-01-01"},
		{typ: d, in: "infinity", want: "infinity"},
		{typ: d, in: "-Infinity", want: "-infinity"},
		fieldRange("2024-02-30"),
		fieldRange("2023-02-29"),
		fieldRange("1900-02-29"),
		fieldRange("2024-13-01"),
		fieldRange("2024-00-10"),
		fieldRange("0000-01-01"),
		{typ: d, in: "4714-11-23 BC", code: sqlstate.DatetimeFieldOverflow, msg: `date out of range: "4714-11-23 BC"`},
		{typ: d, in: "5874898-01-01", code: sqlstate.DatetimeFieldOverflow, msg: `date out of range: "5874898-01-01"`},
		{typ: d, in: "abc", code: sqlstate.InvalidDatetimeFormat, msg: `invalid input syntax for type date: "abc"`},
		{typ: d, in: "", code: sqlstate.InvalidDatetimeFormat},
		{typ: d, in: "2024-07", code: sqlstate.InvalidDatetimeFormat},
		{typ: d, in: "2024-07-02x", code: sqlstate.InvalidDatetimeFormat},
		{typ: d, in: "2024-07-02 BC BC", code: sqlstate.InvalidDatetimeFormat},
	}, nil, nil)
}

// PostgreSQL 15 timestamp_in and timestamp_out, DateStyle ISO.
func TestTimestampText(t *testing.T) {
	ts := pgtype.Timestamp
	runTextCases(t, []textCase{
		{typ: ts, in: "2024-01-02 03:04:05", want: "2024-01-02 03:04:05"},
		{typ: ts, in: "2024-01-02T03:04:05.500", want: "2024-01-02 03:04:05.5"},
		{typ: ts, in: "2024-01-02 03:04:05.000001", want: "2024-01-02 03:04:05.000001"},
		{typ: ts, in: "2024-01-02 03:04:05.1234567", want: "2024-01-02 03:04:05.123457"},
		{typ: ts, in: "2024-01-02 03:04:05.9999999", want: "2024-01-02 03:04:06"},
		{typ: ts, in: "2024-01-02 3:4", want: "2024-01-02 03:04:00"},
		{typ: ts, in: "2024-01-02", want: "2024-01-02 00:00:00"},
		{typ: ts, in: "2024-01-02 24:00:00", want: "2024-01-03 00:00:00"},
		{typ: ts, in: "2024-12-31 23:59:60", want: "2025-01-01 00:00:00"},
		{typ: ts, in: "2024-01-02 03:04:05+02", want: "2024-01-02 03:04:05"}, // the zone is ignored
		{typ: ts, in: "2024-01-02 03:04:05 Europe/Paris", want: "2024-01-02 03:04:05"},
		{typ: ts, in: "0044-03-15 12:00:00 BC", want: "0044-03-15 12:00:00 BC"},
		{typ: ts, in: "1969-12-31 23:59:59.999999", want: "1969-12-31 23:59:59.999999"},
		{typ: ts, in: "4714-11-24 00:00:00 BC", want: "4714-11-24 00:00:00 BC"},
		{typ: ts, in: "294247-01-10 04:00:54.775806", want: "294247-01-10 04:00:54.775806"},
		{typ: ts, in: "epoch", want: "1970-01-01 00:00:00"},
		{typ: ts, in: "infinity", want: "infinity"},
		{typ: ts, in: "-infinity", want: "-infinity"},
		{typ: ts, in: "294247-01-10 04:00:54.775807", code: sqlstate.DatetimeFieldOverflow,
			msg: `timestamp out of range: "294247-01-10 04:00:54.775807"`},
		{typ: ts, in: "4714-11-23 23:59:59 BC", code: sqlstate.DatetimeFieldOverflow},
		{typ: ts, in: "2024-01-02 25:00:00", code: sqlstate.DatetimeFieldOverflow,
			msg: `date/time field value out of range: "2024-01-02 25:00:00"`},
		{typ: ts, in: "2024-01-02 24:00:01", code: sqlstate.DatetimeFieldOverflow},
		{typ: ts, in: "2024-01-02 12:60:00", code: sqlstate.DatetimeFieldOverflow},
		{typ: ts, in: "2024-01-02 12:00:61", code: sqlstate.DatetimeFieldOverflow},
		{typ: ts, in: "abc", code: sqlstate.InvalidDatetimeFormat, msg: `invalid input syntax for type timestamp: "abc"`},
		{typ: ts, in: "2024-01-02 12", code: sqlstate.InvalidDatetimeFormat},
		{typ: ts, in: "2024-01-02 12:00:00.", code: sqlstate.InvalidDatetimeFormat},
		{typ: ts, in: "2024-01-02 12:00:00 nowhere", code: sqlstate.InvalidDatetimeFormat},
		{typ: ts, in: "2024-01-02 12:00:00 Foo/Bar", code: sqlstate.InvalidParameterValue,
			msg: `time zone "foo/bar" not recognized`},
	}, nil, nil)
}

// PostgreSQL 15 timestamptz_in and timestamptz_out: input without a zone
// is in the session zone, output is in the session zone with its
// offset.
func TestTimestampTZText(t *testing.T) {
	tz := pgtype.TimestampTZ
	utc := pgtype.DefaultTextOptions()
	paris := mustZone(t, "Europe/Paris")
	inParis := pgtype.DefaultTextOptions()
	inParis.TimeZone = paris
	runTextCases(t, []textCase{
		{typ: tz, in: "2024-01-02 03:04:05.5+00", want: "2024-01-02 03:04:05.5+00"},
		{typ: tz, in: "2024-01-02 03:04:05", want: "2024-01-02 03:04:05+00"},
		{typ: tz, in: "2024-01-02T03:04:05Z", want: "2024-01-02 03:04:05+00"},
		{typ: tz, in: "2024-01-02 03:04:05 UTC", want: "2024-01-02 03:04:05+00"},
		{typ: tz, in: "2024-01-02 03:04:05+05:30", want: "2024-01-01 21:34:05+00"},
		{typ: tz, in: "2024-01-02 03:04:05 +0530", want: "2024-01-01 21:34:05+00"},
		{typ: tz, in: "2024-01-02 03:04:05-08", want: "2024-01-02 11:04:05+00"},
		{typ: tz, in: "2024-01-02 03:04:05-03:30:15", want: "2024-01-02 06:34:20+00"},
		{typ: tz, in: "2024-07-02 03:04:05 America/New_York", want: "2024-07-02 07:04:05+00"},
		{typ: tz, in: "2024-07-02 03:04:05 america/new_york", want: "2024-07-02 07:04:05+00"},
		{typ: tz, in: "0044-03-15 12:00:00+00 BC", want: "0044-03-15 12:00:00+00 BC"},
		{typ: tz, in: "epoch", want: "1970-01-01 00:00:00+00"},
		{typ: tz, in: "infinity", want: "infinity"},
		{typ: tz, in: "2024-01-02 03:04:05+16", code: pgtype.InvalidTimeZoneDisplacement},
		{typ: tz, in: "x", code: sqlstate.InvalidDatetimeFormat, msg: `invalid input syntax for type timestamp with time zone: "x"`},
	}, nil, utc)
	runTextCases(t, []textCase{
		{typ: tz, in: "2024-01-02 03:04:05.5+00", want: "2024-01-02 04:04:05.5+01"}, // pg-compat §3.4
		{typ: tz, in: "2024-07-02 03:04:05", want: "2024-07-02 03:04:05+02"},
		{typ: tz, in: "2024-01-02 03:04:05", want: "2024-01-02 03:04:05+01"},
		{typ: tz, in: "1900-01-01 00:00:00", want: "1900-01-01 00:00:00+00:09:21"}, // LMT
		{typ: tz, in: "2024-03-31 02:30:00", want: "2024-03-31 03:30:00+02"},       // skipped: offset before
		{typ: tz, in: "2024-10-27 02:30:00", want: "2024-10-27 02:30:00+01"},       // ambiguous: offset after
		{typ: tz, in: "2024-01-02 03:04:05 Asia/Kolkata", want: "2024-01-01 22:34:05+01"},
	}, paris, inParis)
	kolkata := pgtype.DefaultTextOptions()
	kolkata.TimeZone = mustZone(t, "asia/kolkata")
	runTextCases(t, []textCase{
		{typ: tz, in: "2024-01-02 03:04:05+00", want: "2024-01-02 08:34:05+05:30"},
	}, nil, kolkata)
}

// The special words now, today, tomorrow and yesterday read the clock.
func TestDateTimeRelativeWords(t *testing.T) {
	before := time.Now().UnixMicro()
	now, err := pgtype.ParseText(pgtype.TimestampTZ, " NOW ", nil)
	after := time.Now().UnixMicro()
	if err != nil {
		t.Fatal(err)
	}
	if us := int64(now.(*scalar.Timestamp).Value); us < before || us > after {
		t.Errorf("now = %d; want within [%d, %d]", us, before, after)
	}
	paris := mustZone(t, "Europe/Paris")
	o := pgtype.DefaultTextOptions()
	o.TimeZone = paris
	day := func(offset int) string { return time.Now().In(paris).AddDate(0, 0, offset).Format("2006-01-02") }
words:
	for i, w := range []string{"yesterday", "today", "tomorrow"} {
		a := day(i - 1)
		var got [3]string
		for j, typ := range []pgtype.Type{pgtype.Date, pgtype.Timestamp, pgtype.TimestampTZ} {
			sc, err := pgtype.ParseText(typ, w, paris)
			if err != nil {
				t.Fatal(err)
			}
			got[j] = format(t, typ, sc, o)
		}
		b := day(i - 1) // differs from a only if midnight passed
		for _, d := range []string{a, b} {
			if got[0] == d && got[1] == d+" 00:00:00" && strings.HasPrefix(got[2], d+" 00:00:00+0") {
				continue words
			}
		}
		t.Errorf("%s as date, timestamp, timestamptz = %q; want %s at midnight in Paris", w, got, a)
	}
}

func TestLoadZone(t *testing.T) {
	for _, name := range []string{"UTC", "utc", "GMT", "Europe/Paris", "EUROPE/PARIS", "america/port-au-prince", "etc/gmt+5", "est5edt", "Asia/Ho_Chi_Minh", "asia/ho_chi_minh"} {
		if _, err := pgtype.LoadZone(name); err != nil {
			t.Errorf("LoadZone(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "local", "Mars/Olympus", "../etc/passwd", "a/b/c/d"} {
		_, err := pgtype.LoadZone(name)
		if sqlstate.CodeOf(err) != sqlstate.InvalidParameterValue {
			t.Errorf("LoadZone(%q) = %v; want 22023", name, err)
		}
	}
}

func TestEpochConversions(t *testing.T) {
	if pgtype.DateToPG(pgtype.PGEpochDays) != 0 || pgtype.TimestampToPG(pgtype.PGEpochMicros) != 0 {
		t.Error("2000-01-01 is not the wire's zero")
	}
	for _, v := range []int32{pgtype.DateInfinity, pgtype.DateNegInfinity} {
		if pgtype.DateToPG(v) != v {
			t.Errorf("DateToPG(%d) does not keep infinity", v)
		}
		if d, ok := pgtype.DateFromPG(v); !ok || d != v {
			t.Errorf("DateFromPG(%d) = %d, %v", v, d, ok)
		}
	}
	if _, ok := pgtype.DateFromPG(-2451546); ok { // the day before 4714-11-24 BC
		t.Error("DateFromPG accepts a date before Julian day 0")
	}
	if _, ok := pgtype.TimestampFromPG(9223371331200000000 - 1); ok {
		t.Error("TimestampFromPG accepts a timestamp beyond int64 microseconds since 1970")
	}
	cases := []struct {
		v    int64
		unit arrow.TimeUnit
		want int64
	}{
		{1, arrow.Second, 1e6},
		{-1, arrow.Millisecond, -1000},
		{-1, arrow.Nanosecond, -1},
		{1999, arrow.Nanosecond, 1},
		{1 << 62, arrow.Second, pgtype.TimestampInfinity},
		{-1 << 62, arrow.Millisecond, pgtype.TimestampNegInfinity},
	}
	for _, c := range cases {
		if got := pgtype.TimestampToMicros(c.v, c.unit); got != c.want {
			t.Errorf("TimestampToMicros(%d, %s) = %d; want %d", c.v, c.unit, got, c.want)
		}
	}
}
