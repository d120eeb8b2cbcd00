package pgtype_test

import (
	"testing"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// PostgreSQL 15 boolin: unique prefixes of true/false/yes/no/on/off, any
// case, white space around; 1 and 0.
func TestBoolText(t *testing.T) {
	b := pgtype.Bool
	bad := func(in string) textCase {
		return textCase{typ: b, in: in, code: sqlstate.InvalidTextRepresentation,
			msg: `invalid input syntax for type boolean: "` + in + `"`}
	}
	runTextCases(t, []textCase{
		{typ: b, in: "t", want: "t"},
		{typ: b, in: "true", want: "t"},
		{typ: b, in: "TRUE", want: "t"},
		{typ: b, in: "tr", want: "t"},
		{typ: b, in: " yes ", want: "t"},
		{typ: b, in: "y", want: "t"},
		{typ: b, in: "on", want: "t"},
		{typ: b, in: "ON", want: "t"},
		{typ: b, in: "1", want: "t"},
		{typ: b, in: "\tf\n", want: "f"},
		{typ: b, in: "False", want: "f"},
		{typ: b, in: "no", want: "f"},
		{typ: b, in: "of", want: "f"},
		{typ: b, in: "off", want: "f"},
		{typ: b, in: "0", want: "f"},
		bad("o"),
		bad("2"),
		bad("truex"),
		bad("yess"),
		bad("11"),
		bad(""),
		bad("  "),
	}, nil, nil)
}
