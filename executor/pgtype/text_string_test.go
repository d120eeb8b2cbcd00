package pgtype_test

import (
	"strings"
	"testing"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// PostgreSQL 15 textin, varchar_input, bpchar_input, namein, charin and
// charout, json_in; the server encoding is UTF8.
func TestStringText(t *testing.T) {
	v3, c3, name, char := pgtype.VarcharOf(3), pgtype.Type{OID: pgtype.OIDBpchar, Mod: 7}, pgtype.Name, pgtype.Type{OID: pgtype.OIDChar, Mod: -1}
	json := pgtype.Type{OID: pgtype.OIDJSON, Mod: -1}
	long := strings.Repeat("x", 70)
	runTextCases(t, []textCase{
		{typ: pgtype.Text, in: "hello, world", want: "hello, world"},
		{typ: pgtype.Text, in: "", want: ""},
		{typ: pgtype.Text, in: " spaced ", want: " spaced "},
		{typ: pgtype.Text, in: "héllo ✓", want: "héllo ✓"},
		{typ: pgtype.Unknown, in: "x", want: "x"},
		{typ: pgtype.Text, in: "a\x00b", code: pgtype.CharacterNotInRepertoire,
			msg: `invalid byte sequence for encoding "UTF8": 0x00`},
		{typ: pgtype.Text, in: "a\xffb", code: pgtype.CharacterNotInRepertoire,
			msg: `invalid byte sequence for encoding "UTF8": 0xff`},
		{typ: pgtype.Text, in: "\xc3\x28", code: pgtype.CharacterNotInRepertoire,
			msg: `invalid byte sequence for encoding "UTF8": 0xc3 0x28`},
		{typ: pgtype.Varchar, in: long, want: long},
		{typ: v3, in: "ab", want: "ab"},
		{typ: v3, in: "abc", want: "abc"},
		{typ: v3, in: "héé", want: "héé"},
		{typ: v3, in: "abc  ", want: "abc"},
		{typ: v3, in: "abcd", code: sqlstate.StringDataRightTruncation,
			msg: "value too long for type character varying(3)"},
		{typ: v3, in: "ab d", code: sqlstate.StringDataRightTruncation},
		{typ: c3, in: "a", want: "a  "},
		{typ: c3, in: "abc ", want: "abc"},
		{typ: c3, in: "abcd", code: sqlstate.StringDataRightTruncation,
			msg: "value too long for type character(3)"},
		{typ: pgtype.Type{OID: pgtype.OIDBpchar, Mod: -1}, in: "a ", want: "a "},
		{typ: name, in: "items", want: "items"},
		{typ: name, in: long, want: long[:63]},
		{typ: name, in: strings.Repeat("x", 62) + "é", want: strings.Repeat("x", 62)},
		{typ: char, in: "r", want: "r"},
		{typ: char, in: "abc", want: "a"},
		{typ: char, in: "", want: ""},
		{typ: char, in: `\101`, want: "A"},
		{typ: char, in: `\351`, want: `\351`},
		{typ: json, in: `{"a": [1, 2]}`, want: `{"a": [1, 2]}`},
		{typ: json, in: `{`, code: sqlstate.InvalidTextRepresentation},
	}, nil, nil)
}

// PostgreSQL 15 byteain and byteaout.
func TestByteaText(t *testing.T) {
	b := pgtype.Bytea
	runTextCases(t, []textCase{
		{typ: b, in: `\x`, want: `\x`},
		{typ: b, in: `\x01ff`, want: `\x01ff`},
		{typ: b, in: `\x01FF`, want: `\x01ff`},
		{typ: b, in: "\\x01 ff\n20", want: `\x01ff20`},
		{typ: b, in: `\x0`, code: sqlstate.InvalidParameterValue, msg: "invalid hexadecimal data: odd number of digits"},
		{typ: b, in: `\x0 1`, code: sqlstate.InvalidParameterValue, msg: `invalid hexadecimal digit: " "`},
		{typ: b, in: `\xzz`, code: sqlstate.InvalidParameterValue, msg: `invalid hexadecimal digit: "z"`},
		{typ: b, in: `\xé0`, code: sqlstate.InvalidParameterValue, msg: `invalid hexadecimal digit: "é"`},
		{typ: b, in: "", want: `\x`},
		{typ: b, in: "abc", want: `\x616263`},
		{typ: b, in: `a\\b`, want: `\x615c62`},
		{typ: b, in: `\001\377`, want: `\x01ff`},
		{typ: b, in: `\X01`, code: sqlstate.InvalidTextRepresentation, msg: "invalid input syntax for type bytea"},
		{typ: b, in: `\9`, code: sqlstate.InvalidTextRepresentation},
		{typ: b, in: `\400`, code: sqlstate.InvalidTextRepresentation},
		{typ: b, in: `\`, code: sqlstate.InvalidTextRepresentation},
	}, nil, nil)
	esc := pgtype.DefaultTextOptions()
	esc.ByteaHex = false
	runTextCases(t, []textCase{
		{typ: b, in: `\x00415c7f20`, want: `\000A\\\177 `},
		{typ: b, in: `\xe9`, want: `\351`},
		{typ: b, in: `\x`, want: ``},
	}, nil, esc)
}
