package expr

import (
	"context"
	"math/big"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Date and time functions. now() is the statement's Env.Now (fixed for
// the statement, microsecond precision). Fields of a timestamptz are
// taken in the session time zone. date_part returns float8 (as in
// PostgreSQL 15); extract returns numeric (PostgreSQL 14 and later), so
// the planner binds EXTRACT(f FROM x) to extract(f, x) and date_part(f,
// x) to date_part. The interval type does not exist yet: its operators
// are registered without kernels so that resolution matches PostgreSQL.

func init() {
	d, ts, tz := pgtype.Date, pgtype.Timestamp, pgtype.TimestampTZ
	iv, t, i4 := pgtype.Interval, pgtype.Text, pgtype.Int4
	register(
		&Function{Name: "now", Result: tz, Kernel: nowKernel(false)},
		&Function{Name: "current_timestamp", Result: tz, Kernel: nowKernel(false)},
		&Function{Name: "transaction_timestamp", Result: tz, Kernel: nowKernel(false)},
		&Function{Name: "statement_timestamp", Result: tz, Kernel: nowKernel(false)},
		&Function{Name: "localtimestamp", Result: ts, Kernel: nowKernel(true)},
		&Function{Name: "current_date", Result: d, Kernel: currentDate},
		&Function{Name: "date_trunc", Args: []pgtype.Type{t, ts}, Result: ts, Kernel: dateTrunc(false)},
		&Function{Name: "date_trunc", Args: []pgtype.Type{t, tz}, Result: tz, Kernel: dateTrunc(true)},
		&Function{Name: "date_trunc", Args: []pgtype.Type{t, iv}, Result: iv},
		&Function{Name: "+", Args: []pgtype.Type{d, i4}, Result: d, Kernel: dateAddDays(1, false)},
		&Function{Name: "+", Args: []pgtype.Type{i4, d}, Result: d, Kernel: dateAddDays(1, true)},
		&Function{Name: "-", Args: []pgtype.Type{d, i4}, Result: d, Kernel: dateAddDays(-1, false)},
		&Function{Name: "-", Args: []pgtype.Type{d, d}, Result: i4, Kernel: dateDiff},
		// interval arithmetic: resolution only.
		&Function{Name: "-", Args: []pgtype.Type{iv}, Result: iv},
		&Function{Name: "+", Args: []pgtype.Type{iv, iv}, Result: iv},
		&Function{Name: "-", Args: []pgtype.Type{iv, iv}, Result: iv},
		&Function{Name: "+", Args: []pgtype.Type{ts, iv}, Result: ts},
		&Function{Name: "-", Args: []pgtype.Type{ts, iv}, Result: ts},
		&Function{Name: "+", Args: []pgtype.Type{tz, iv}, Result: tz},
		&Function{Name: "-", Args: []pgtype.Type{tz, iv}, Result: tz},
		&Function{Name: "+", Args: []pgtype.Type{d, iv}, Result: ts},
		&Function{Name: "-", Args: []pgtype.Type{d, iv}, Result: ts},
		&Function{Name: "-", Args: []pgtype.Type{ts, ts}, Result: iv},
		&Function{Name: "-", Args: []pgtype.Type{tz, tz}, Result: iv},
		&Function{Name: "age", Args: []pgtype.Type{tz, tz}, Result: iv},
	)
	for _, arg := range []pgtype.Type{ts, tz, d} {
		register(
			&Function{Name: "date_part", Args: []pgtype.Type{t, arg}, Result: pgtype.Float8, Kernel: datePart(arg, false)},
			&Function{Name: "extract", Args: []pgtype.Type{t, arg}, Result: pgtype.Numeric, Kernel: datePart(arg, true)},
		)
	}
}

func nowKernel(local bool) kernelFunc {
	return func(_ context.Context, env *Env, _ []arrow.Array, n int) (arrow.Array, error) {
		us := env.Now.UnixMicro()
		dt, _ := pgtype.TimestampTZ.Arrow()
		if local {
			us = instantToWall(us, timeZone(env))
			dt, _ = pgtype.Timestamp.Arrow()
		}
		buf, out := allocValues[int64](env.Mem, n)
		for i := range out {
			out[i] = us
		}
		return fixedArray(dt, n, nil, 0, buf), nil
	}
}

func currentDate(_ context.Context, env *Env, _ []arrow.Array, n int) (arrow.Array, error) {
	days := int32(floorDiv(instantToWall(env.Now.UnixMicro(), timeZone(env)), usPerDay))
	buf, out := allocValues[int32](env.Mem, n)
	for i := range out {
		out[i] = days
	}
	return fixedArray(arrow.FixedWidthTypes.Date32, n, nil, 0, buf), nil
}

func dateAddDays(sign int32, swapped bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		di, ki := 0, 1
		if swapped {
			di, ki = 1, 0
		}
		valid, nulls := andValidity(env.Mem, args, n)
		return fixedOut(env.Mem, arrow.FixedWidthTypes.Date32, n, valid, nulls, func(i int) (int32, error) {
			v := int64(r.i32(di, i)) + int64(sign)*int64(r.i32(ki, i))
			if v < -2451545 || v > 2147483647-2440588 { // PostgreSQL's date range (Julian days)
				return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date out of range")
			}
			return int32(v), nil
		})
	}
}

func dateDiff(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, nulls := andValidity(env.Mem, args, n)
	return fixedOut(env.Mem, arrow.PrimitiveTypes.Int32, n, valid, nulls, func(i int) (int32, error) {
		return r.i32(0, i) - r.i32(1, i), nil
	})
}

// truncUnits are date_trunc's units, finest first.
var truncUnits = map[string]int{
	"microseconds": 0, "microsecond": 0, "milliseconds": 1, "millisecond": 1,
	"second": 2, "seconds": 2, "minute": 3, "minutes": 3, "hour": 4, "hours": 4,
	"day": 5, "days": 5, "week": 6, "weeks": 6, "month": 7, "months": 7,
	"quarter": 8, "year": 9, "years": 9, "decade": 10, "century": 11, "millennium": 12,
}

func errUnit(unit string, t pgtype.Type) error {
	return sqlstate.New(sqlstate.InvalidParameterValue, "unit \"%s\" not recognized for type %s", unit, t)
}

// dateTrunc is date_trunc(unit, timestamp[tz]); a timestamptz is
// truncated in the session time zone.
func dateTrunc(withTZ bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		tz := timeZone(env)
		dt, _ := pgtype.Timestamp.Arrow()
		argT := pgtype.Timestamp
		if withTZ {
			dt, _ = pgtype.TimestampTZ.Arrow()
			argT = pgtype.TimestampTZ
		}
		valid, nulls := andValidity(env.Mem, args, n)
		return fixedOut(env.Mem, dt, n, valid, nulls, func(i int) (int64, error) {
			unit := strings.ToLower(r.str(0, i))
			u, ok := truncUnits[unit]
			if !ok {
				return 0, errUnit(unit, argT)
			}
			v := r.i64(1, i)
			loc := time.UTC
			if withTZ {
				loc = tz
			}
			t := time.UnixMicro(v).In(loc)
			y, mo, d := t.Date()
			h, mi, s := t.Clock()
			us := t.Nanosecond() / 1000
			switch u {
			case 0:
				return v, nil
			case 1:
				us -= us % 1000
			case 2:
				us = 0
			case 3:
				s, us = 0, 0
			case 4:
				mi, s, us = 0, 0, 0
			case 5:
				h, mi, s, us = 0, 0, 0, 0
			case 6:
				wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
				d -= wd
				h, mi, s, us = 0, 0, 0, 0
			case 7:
				d, h, mi, s, us = 1, 0, 0, 0, 0
			case 8:
				mo = time.Month((int(mo)-1)/3*3 + 1)
				d, h, mi, s, us = 1, 0, 0, 0, 0
			case 9:
				mo, d, h, mi, s, us = 1, 1, 0, 0, 0, 0
			case 10:
				y = floorDivInt(y, 10) * 10
				mo, d, h, mi, s, us = 1, 1, 0, 0, 0, 0
			case 11:
				y = floorDivInt(y-1, 100)*100 + 1
				mo, d, h, mi, s, us = 1, 1, 0, 0, 0, 0
			case 12:
				y = floorDivInt(y-1, 1000)*1000 + 1
				mo, d, h, mi, s, us = 1, 1, 0, 0, 0, 0
			}
			return time.Date(y, mo, d, h, mi, s, us*1000, loc).UnixMicro(), nil
		})
	}
}

func floorDivInt(a, b int) int { return int(floorDiv(int64(a), int64(b))) }

// datePart is date_part (float8) or extract (numeric) of a field.
func datePart(argT pgtype.Type, asNumeric bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		tz := timeZone(env)
		valid, nulls := andValidity(env.Mem, args, n)
		// field returns the value as a fraction num / den.
		field := func(i int) (int64, int64, error) {
			unit := strings.ToLower(r.str(0, i))
			var us int64
			loc := time.UTC
			switch argT.OID {
			case pgtype.OIDDate:
				us = int64(r.i32(1, i)) * usPerDay
			case pgtype.OIDTimestampTZ:
				us = r.i64(1, i)
				loc = tz
			default:
				us = r.i64(1, i)
			}
			if unit == "epoch" {
				if argT.OID == pgtype.OIDTimestamp || argT.OID == pgtype.OIDDate {
					return us, 1000000, nil
				}
				return us, 1000000, nil
			}
			t := time.UnixMicro(us).In(loc)
			y, mo, d := t.Date()
			h, mi, s := t.Clock()
			frac := int64(t.Nanosecond() / 1000)
			if argT.OID == pgtype.OIDDate {
				switch unit {
				case "hour", "hours", "minute", "minutes", "second", "seconds", "milliseconds", "millisecond",
					"microseconds", "microsecond", "timezone", "timezone_hour", "timezone_minute":
					return 0, 0, sqlstate.New(sqlstate.FeatureNotSupported, "unit \"%s\" not supported for type date", unit)
				}
			}
			switch unit {
			case "microseconds", "microsecond":
				return int64(s)*1000000 + frac, 1, nil
			case "milliseconds", "millisecond":
				return int64(s)*1000000 + frac, 1000, nil
			case "second", "seconds":
				return int64(s)*1000000 + frac, 1000000, nil
			case "minute", "minutes":
				return int64(mi), 1, nil
			case "hour", "hours":
				return int64(h), 1, nil
			case "day", "days":
				return int64(d), 1, nil
			case "month", "months":
				return int64(mo), 1, nil
			case "quarter":
				return int64((int(mo)-1)/3 + 1), 1, nil
			case "year", "years":
				if y <= 0 {
					return int64(y - 1), 1, nil
				}
				return int64(y), 1, nil
			case "decade":
				return floorDiv(int64(y), 10), 1, nil
			case "century":
				if y > 0 {
					return int64((y + 99) / 100), 1, nil
				}
				return -int64((99 - (y - 1)) / 100), 1, nil
			case "millennium":
				if y > 0 {
					return int64((y + 999) / 1000), 1, nil
				}
				return -int64((999 - (y - 1)) / 1000), 1, nil
			case "dow":
				return int64(t.Weekday()), 1, nil
			case "isodow":
				wd := int64(t.Weekday())
				if wd == 0 {
					wd = 7
				}
				return wd, 1, nil
			case "doy":
				return int64(t.YearDay()), 1, nil
			case "week":
				_, w := t.ISOWeek()
				return int64(w), 1, nil
			case "isoyear":
				iy, _ := t.ISOWeek()
				return int64(iy), 1, nil
			case "julian":
				days := floorDiv(instantToWall(us, loc), usPerDay) + 2440588
				return days, 1, nil
			case "timezone":
				_, off := t.Zone()
				return int64(off), 1, nil
			}
			return 0, 0, errUnit(unit, argT)
		}
		if asNumeric {
			scale := pow10Big(numScale)
			return fixedOut(env.Mem, numericTypeOf(pgtype.Numeric), n, valid, nulls, func(i int) (decimal128.Num, error) {
				num, den, err := field(i)
				if err != nil {
					return decimal128.Num{}, err
				}
				v := new(big.Int).Mul(big.NewInt(num), scale)
				return toNum(divRound(v, big.NewInt(den)), 38, errNumericOverflow)
			})
		}
		return fixedOut(env.Mem, arrow.PrimitiveTypes.Float64, n, valid, nulls, func(i int) (float64, error) {
			num, den, err := field(i)
			if err != nil {
				return 0, err
			}
			return float64(num) / float64(den), nil
		})
	}
}
