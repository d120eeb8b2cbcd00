package pgtype_test

import (
	"testing"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// PostgreSQL 15 numeric_in + apply_typmod (round half away from zero)
// and numeric_out.
func TestNumericText(t *testing.T) {
	n102, n31, n22, n := pgtype.NumericOf(10, 2), pgtype.NumericOf(3, 1), pgtype.NumericOf(2, 2), pgtype.Numeric
	syntax := func(typ pgtype.Type, in string) textCase {
		return textCase{typ: typ, in: in, code: sqlstate.InvalidTextRepresentation,
			msg: `invalid input syntax for type numeric: "` + in + `"`}
	}
	runTextCases(t, []textCase{
		{typ: n102, in: "1.5", want: "1.50"},
		{typ: n102, in: "1.555", want: "1.56"},
		{typ: n102, in: "-1.555", want: "-1.56"},
		{typ: n102, in: "1.554999", want: "1.55"},
		{typ: n102, in: " 12 ", want: "12.00"},
		{typ: n102, in: "+12", want: "12.00"},
		{typ: n102, in: "1e3", want: "1000.00"},
		{typ: n102, in: "1.5E-1", want: "0.15"},
		{typ: n102, in: ".5", want: "0.50"},
		{typ: n102, in: "5.", want: "5.00"},
		{typ: n102, in: "0", want: "0.00"},
		{typ: n102, in: "-0.001", want: "0.00"},
		{typ: n102, in: "-0.005", want: "-0.01"},
		{typ: n102, in: "00000000000000000000000000000000000000000000000001.25", want: "1.25"},
		{typ: n102, in: "99999999.994999999999999999999999999999999999999", want: "99999999.99"},
		{typ: n102, in: "99999999.995", code: sqlstate.NumericValueOutOfRange, msg: "numeric field overflow",
			detail: "A field with precision 10, scale 2 must round to an absolute value less than 10^8."},
		{typ: n31, in: "99.94", want: "99.9"},
		{typ: n31, in: "99.95", code: sqlstate.NumericValueOutOfRange, msg: "numeric field overflow",
			detail: "A field with precision 3, scale 1 must round to an absolute value less than 10^2."},
		{typ: n22, in: "0.994", want: "0.99"},
		{typ: n22, in: "1", code: sqlstate.NumericValueOutOfRange,
			detail: "A field with precision 2, scale 2 must round to an absolute value less than 1."},
		{typ: n, in: "1.5", want: "1.5"},
		{typ: n, in: "1.50", want: "1.5"}, // the display scale is not kept
		{typ: n, in: "100", want: "100"},
		{typ: n, in: "0.000", want: "0"},
		{typ: n, in: "-0.5", want: "-0.5"},
		{typ: n, in: "12345678901234567890.5", want: "12345678901234567890.5"},
		{typ: n, in: "0.0000000000000001", want: "0.0000000000000001"},
		{typ: n, in: "0.00000000000000005", want: "0.0000000000000001"},
		{typ: n, in: "0.00000000000000004", want: "0"},
		{typ: n, in: "1e21", want: "1000000000000000000000"},
		{typ: n, in: "1e-1000", want: "0"},
		{typ: n, in: "1e22", code: sqlstate.NumericValueOutOfRange, msg: "value overflows numeric format"},
		{typ: n, in: "NaN", code: sqlstate.FeatureNotSupported},
		{typ: n, in: "-Infinity", code: sqlstate.FeatureNotSupported},
		syntax(n, "abc"),
		syntax(n, ""),
		syntax(n, "."),
		syntax(n, "1e"),
		syntax(n, "1e+"),
		syntax(n, "1.2.3"),
		syntax(n, "1 2"),
		syntax(n, "1e1001"),
		syntax(n, "--1"),
	}, nil, nil)
}

func TestNumericDisplay(t *testing.T) {
	if !pgtype.FixedScale(pgtype.NumericOf(5, 2)) || pgtype.FixedScale(pgtype.Numeric) {
		t.Fatal("FixedScale")
	}
	cases := []struct {
		digits string
		scale  int32
		fixed  bool
		want   int32
	}{
		{"0", 2, true, 2},
		{"0", 16, false, 0},
		{"150", 2, false, 1},
		{"15", 16, false, 16},
		{"100", 2, false, 0},
		{"100", -1, false, 0},
	}
	for _, c := range cases {
		if got := pgtype.DisplayScale([]byte(c.digits), c.scale, c.fixed); got != c.want {
			t.Errorf("DisplayScale(%s, %d, %v) = %d; want %d", c.digits, c.scale, c.fixed, got, c.want)
		}
	}
}
