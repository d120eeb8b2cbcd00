package pgtype_test

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// PostgreSQL 15 pg_strtoint16/32/64 and oidin.
func TestIntText(t *testing.T) {
	syntax := func(typ pgtype.Type, name, in string) textCase {
		return textCase{typ: typ, in: in, code: sqlstate.InvalidTextRepresentation,
			msg: `invalid input syntax for type ` + name + `: "` + in + `"`}
	}
	rng := func(typ pgtype.Type, name, in string) textCase {
		return textCase{typ: typ, in: in, code: sqlstate.NumericValueOutOfRange,
			msg: `value "` + in + `" is out of range for type ` + name}
	}
	i2, i4, i8, oid := pgtype.Int2, pgtype.Int4, pgtype.Int8, pgtype.OID
	runTextCases(t, []textCase{
		{typ: i4, in: "42", want: "42"},
		{typ: i4, in: " -42 ", want: "-42"},
		{typ: i4, in: "+7", want: "7"},
		{typ: i4, in: "007", want: "7"},
		{typ: i4, in: "-0", want: "0"},
		{typ: i4, in: "2147483647", want: "2147483647"},
		{typ: i4, in: "-2147483648", want: "-2147483648"},
		rng(i4, "integer", "2147483648"),
		rng(i4, "integer", "-2147483649"),
		rng(i4, "integer", "99999999999abc"), // overflow is seen before the junk
		syntax(i4, "integer", "abc"),
		syntax(i4, "integer", ""),
		syntax(i4, "integer", " "),
		syntax(i4, "integer", "1.5"),
		syntax(i4, "integer", "1 2"),
		syntax(i4, "integer", "--1"),
		syntax(i4, "integer", "+"),
		syntax(i4, "integer", "1_000"),
		syntax(i4, "integer", "0x10"),
		{typ: i2, in: "32767", want: "32767"},
		{typ: i2, in: "-32768", want: "-32768"},
		rng(i2, "smallint", "32768"),
		rng(i2, "smallint", "-32769"),
		syntax(i2, "smallint", "x"),
		{typ: i8, in: "9223372036854775807", want: "9223372036854775807"},
		{typ: i8, in: "-9223372036854775808", want: "-9223372036854775808"},
		rng(i8, "bigint", "9223372036854775808"),
		rng(i8, "bigint", "-9223372036854775809"),
		syntax(i8, "bigint", "1e3"),
		{typ: oid, in: "16385", want: "16385"},
		{typ: oid, in: "4294967295", want: "4294967295"},
		{typ: oid, in: "-1", want: "4294967295"},
		{typ: oid, in: "-2147483648", want: "2147483648"},
		rng(oid, "oid", "4294967296"),
		rng(oid, "oid", "-2147483649"),
		syntax(oid, "oid", "pg_class"),
		{typ: pgtype.Type{OID: pgtype.OIDRegclass, Mod: -1}, in: "1259", want: "1259"},
		{typ: pgtype.Type{OID: pgtype.OIDRegclass, Mod: -1}, in: "pg_class", code: sqlstate.FeatureNotSupported},
	}, nil, nil)
}

func TestRegtypeIn(t *testing.T) {
	for in, want := range map[string]uint32{
		"vector": pgtype.OIDVector, "_vector": pgtype.OIDVectorArray, "vector[]": pgtype.OIDVectorArray,
		"integer": pgtype.OIDInt4, "int4": pgtype.OIDInt4, "pg_catalog.int4": pgtype.OIDInt4,
		"character varying": pgtype.OIDVarchar, "double precision": pgtype.OIDFloat8, "text[]": pgtype.OIDTextArray,
		"23": pgtype.OIDInt4, `"pg_catalog"."int8"`: pgtype.OIDInt8, `"public"."vector"`: pgtype.OIDVector,
	} {
		v, err := pgtype.ParseText(pgtype.Type{OID: pgtype.OIDRegtype, Mod: -1}, in, nil)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := v.(*scalar.Uint32).Value; got != want {
			t.Errorf("%q: got %d, want %d", in, got, want)
		}
	}
	_, err := pgtype.ParseText(pgtype.Type{OID: pgtype.OIDRegtype, Mod: -1}, "hstore", nil)
	if sqlstate.CodeOf(err) != sqlstate.UndefinedObject {
		t.Errorf("hstore: %v, want 42704", err)
	}
}
