package pgtype_test

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// PostgreSQL 15 float4in/float8in and float4out/float8out with the
// default extra_float_digits = 1 (shortest round-trip digits).
func TestFloatText(t *testing.T) {
	f4, f8 := pgtype.Float4, pgtype.Float8
	syntax := func(typ pgtype.Type, name, in string) textCase {
		return textCase{typ: typ, in: in, code: sqlstate.InvalidTextRepresentation,
			msg: `invalid input syntax for type ` + name + `: "` + in + `"`}
	}
	rng := func(typ pgtype.Type, name, in string) textCase {
		return textCase{typ: typ, in: in, code: sqlstate.NumericValueOutOfRange,
			msg: `"` + in + `" is out of range for type ` + name}
	}
	runTextCases(t, []textCase{
		{typ: f8, in: "0", want: "0"},
		{typ: f8, in: "-0", want: "-0"},
		{typ: f8, in: "0.1", want: "0.1"},
		{typ: f8, in: " 3.5 ", want: "3.5"},
		{typ: f8, in: "1234567", want: "1234567"},
		{typ: f8, in: "123456789012345", want: "123456789012345"},
		{typ: f8, in: "1234567890123456", want: "1.234567890123456e+15"},
		{typ: f8, in: "1e15", want: "1e+15"},
		{typ: f8, in: "1e14", want: "100000000000000"},
		{typ: f8, in: "0.0001", want: "0.0001"},
		{typ: f8, in: "0.00001", want: "1e-05"},
		{typ: f8, in: "1e-5", want: "1e-05"},
		{typ: f8, in: "0.00001234", want: "1.234e-05"},
		{typ: f8, in: "1E+100", want: "1e+100"},
		{typ: f8, in: "-1.5e-300", want: "-1.5e-300"},
		{typ: f8, in: "4.9e-324", want: "5e-324"},
		{typ: f8, in: "1.7976931348623157e308", want: "1.7976931348623157e+308"},
		{typ: f8, in: "3.141592653589793", want: "3.141592653589793"},
		{typ: f8, in: ".5", want: "0.5"},
		{typ: f8, in: "5.", want: "5"},
		{typ: f8, in: "NaN", want: "NaN"},
		{typ: f8, in: " nan ", want: "NaN"},
		{typ: f8, in: "Infinity", want: "Infinity"},
		{typ: f8, in: "-Infinity", want: "-Infinity"},
		{typ: f8, in: "+inf", want: "Infinity"},
		{typ: f8, in: "-INF", want: "-Infinity"},
		{typ: f8, in: "0x10", want: "16"}, // strtod reads hex
		rng(f8, "double precision", "1e400"),
		rng(f8, "double precision", "-1e400"),
		rng(f8, "double precision", "1e-400"),
		syntax(f8, "double precision", "abc"),
		syntax(f8, "double precision", ""),
		syntax(f8, "double precision", "1e"),
		syntax(f8, "double precision", "1_0"),
		syntax(f8, "double precision", "1.5.5"),
		syntax(f8, "double precision", "infinit"),
		syntax(f8, "double precision", "."),
		{typ: f4, in: "1234567", want: "1.234567e+06"},
		{typ: f4, in: "123456", want: "123456"},
		{typ: f4, in: "1e-5", want: "1e-05"},
		{typ: f4, in: "0.1", want: "0.1"},
		{typ: f4, in: "3.0000001", want: "3"},
		{typ: f4, in: "0.33333334", want: "0.33333334"},
		{typ: f4, in: "3.4028235e38", want: "3.4028235e+38"},
		{typ: f4, in: "1e-45", want: "1e-45"},
		{typ: f4, in: "-Infinity", want: "-Infinity"},
		rng(f4, "real", "1e39"),
		rng(f4, "real", "1e-46"),
		syntax(f4, "real", "x1"),
	}, nil, nil)
}

// float8out/float4out with extra_float_digits <= 0: %.*g with 15 + efd
// (6 + efd) significant digits.
func TestFloatTextExtraDigits(t *testing.T) {
	cases := []struct {
		v    float64
		f4   bool
		efd  int
		want string
	}{
		{0.1, false, 0, "0.1"},
		{1.0 / 3, false, 0, "0.333333333333333"},
		{1.0 / 3, false, -3, "0.333333333333"},
		{1e15, false, 0, "1e+15"},
		{123456789012345678, false, 0, "1.23456789012346e+17"},
		{100000, false, 0, "100000"},
		{0.0001, false, 0, "0.0001"},
		{0.00001, false, 0, "1e-05"},
		{2.5, false, -15, "2"}, // at least one digit
		{math.Inf(1), false, 0, "Infinity"},
		{math.NaN(), false, 0, "NaN"},
		{float64(float32(1.0 / 3)), true, 0, "0.333333"},
		{1234567, true, 0, "1.23457e+06"},
		{123456, true, 0, "123456"},
		{0.1, true, 3, "0.1"},
		{1.0 / 3, false, 3, "0.3333333333333333"}, // pgjdbc's setting: shortest
	}
	for _, c := range cases {
		var got []byte
		if c.f4 {
			got = pgtype.AppendFloat4(nil, float32(c.v), c.efd)
		} else {
			got = pgtype.AppendFloat8(nil, c.v, c.efd)
		}
		if string(got) != c.want {
			t.Errorf("AppendFloat(%v, f4=%v, efd=%d) = %q; want %q", c.v, c.f4, c.efd, got, c.want)
		}
	}
}

// The shortest form must read back exactly and must use scientific
// notation exactly where PostgreSQL does (exponent < -4 or >= 15 / 6).
func TestFloatShortestBoundaries(t *testing.T) {
	for _, v := range []float64{1e-4, math.Nextafter(1e-4, 0), 1e15, math.Nextafter(1e15, 0), 5e-324, math.MaxFloat64} {
		s := pgtype.AppendFloat8(nil, v, 1)
		sc, err := pgtype.ParseText(pgtype.Float8, string(s), nil)
		if err != nil {
			t.Fatalf("ParseText(%q): %v", s, err)
		}
		if back := sc.(*scalar.Float64).Value; back != v {
			t.Errorf("%v prints %q, which reads back as %v", v, s, back)
		}
	}
	cases := []struct {
		got, want string
	}{
		{string(pgtype.AppendFloat8(nil, math.Nextafter(1e-4, 0), 1)), "9.999999999999999e-05"},
		{string(pgtype.AppendFloat8(nil, math.Nextafter(1e15, 0), 1)), "999999999999999.9"},
		{string(pgtype.AppendFloat4(nil, math.Nextafter32(1e6, 0), 1)), "999999.94"},
		{string(pgtype.AppendFloat4(nil, 1e6, 1)), "1e+06"},
		{string(pgtype.AppendFloat4(nil, 1e-4, 1)), "0.0001"},
		{string(pgtype.AppendFloat4(nil, math.Nextafter32(1e-4, 0), 1)), "9.999999e-05"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q; want %q", c.got, c.want)
		}
	}
}
