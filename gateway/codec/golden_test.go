package codec_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/gateway/codec"
)

// Fields as PostgreSQL 15 with pgvector 0.8 sends them (pg-compat §3.4,
// §7.3): the int32 length, then the value; hex with spaces for reading.
func TestGoldenFields(t *testing.T) {
	mem := newMem(t)
	paris := codec.DefaultSettings()
	loc, err := pgtype.LoadZone("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	paris.Text.TimeZone, paris.TimeZoneName = loc, "Europe/Paris"
	cases := []struct {
		typ    pgtype.Type
		lit    *string // nil is NULL
		format int16
		s      *codec.Settings
		want   string
	}{
		{pgtype.Bool, lit("true"), codec.FormatBinary, nil, "00000001 01"},
		{pgtype.Bool, lit("false"), codec.FormatText, nil, "00000001 66"},
		{pgtype.Int2, lit("1"), codec.FormatBinary, nil, "00000002 0001"},
		{pgtype.Int4, lit("-1"), codec.FormatBinary, nil, "00000004 ffffffff"},
		{pgtype.Int8, lit("42"), codec.FormatBinary, nil, "00000008 000000000000002a"},
		{pgtype.Int8, lit("42"), codec.FormatText, nil, "00000002 3432"},
		{pgtype.Int8, nil, codec.FormatBinary, nil, "ffffffff"},
		{pgtype.Int8, nil, codec.FormatText, nil, "ffffffff"},
		{pgtype.OID, lit("4294967295"), codec.FormatBinary, nil, "00000004 ffffffff"},
		{pgtype.OID, lit("4294967295"), codec.FormatText, nil, "0000000a 34323934393637323935"},
		{pgtype.Float4, lit("1.5"), codec.FormatBinary, nil, "00000004 3fc00000"},
		{pgtype.Float8, lit("1.5"), codec.FormatBinary, nil, "00000008 3ff8000000000000"},
		{pgtype.Float8, lit("1e-5"), codec.FormatText, nil, "00000005 31652d3035"}, // 1e-05
		{pgtype.NumericOf(5, 2), lit("0"), codec.FormatBinary, nil, "00000008 0000 0000 0000 0002"},
		{pgtype.NumericOf(5, 2), lit("1.5"), codec.FormatBinary, nil, "0000000c 0002 0000 0000 0002 0001 1388"},
		{pgtype.NumericOf(5, 2), lit("1.5"), codec.FormatText, nil, "00000004 312e3530"}, // 1.50
		{pgtype.NumericOf(9, 4), lit("12345.6789"), codec.FormatBinary, nil, "0000000e 0003 0001 0000 0004 0001 0929 1a85"},
		{pgtype.NumericOf(5, 4), lit("-0.0001"), codec.FormatBinary, nil, "0000000a 0001 ffff 4000 0004 0001"},
		{pgtype.NumericOf(10, 2), lit("-1234567.89"), codec.FormatBinary, nil, "0000000e 0003 0001 4000 0002 007b 11d7 22c4"},
		{pgtype.Numeric, lit("10000"), codec.FormatBinary, nil, "0000000a 0001 0001 0000 0000 0001"},
		{pgtype.Numeric, lit("0.01"), codec.FormatBinary, nil, "0000000a 0001 ffff 0000 0002 0064"},
		{pgtype.Numeric, lit("0"), codec.FormatBinary, nil, "00000008 0000 0000 0000 0000"},
		{pgtype.NumericOf(38, 0), lit("1e37"), codec.FormatBinary, nil, "0000000a 0001 0009 0000 0000 000a"},
		{pgtype.Text, lit("hello"), codec.FormatBinary, nil, "00000005 68656c6c6f"},
		{pgtype.Text, lit(""), codec.FormatText, nil, "00000000"},
		{pgtype.VarcharOf(5), lit("héllo"), codec.FormatText, nil, "00000006 68c3a96c6c6f"},
		{pgtype.Type{OID: pgtype.OIDChar, Mod: -1}, lit("r"), codec.FormatBinary, nil, "00000001 72"},
		{pgtype.Type{OID: pgtype.OIDChar, Mod: -1}, lit(`\351`), codec.FormatText, nil, "00000004 5c333531"},
		{pgtype.Bytea, lit(`\x0102`), codec.FormatBinary, nil, "00000002 0102"},
		{pgtype.Bytea, lit(`\x0102`), codec.FormatText, nil, "00000006 5c7830313032"},
		{pgtype.Date, lit("2000-01-01"), codec.FormatBinary, nil, "00000004 00000000"},
		{pgtype.Date, lit("1970-01-01"), codec.FormatBinary, nil, "00000004 ffffd533"},
		{pgtype.Date, lit("infinity"), codec.FormatBinary, nil, "00000004 7fffffff"},
		{pgtype.Date, lit("-infinity"), codec.FormatBinary, nil, "00000004 80000000"},
		{pgtype.Date, lit("2024-07-02"), codec.FormatText, nil, "0000000a 323032342d30372d3032"},
		{pgtype.Timestamp, lit("2000-01-01 00:00:00"), codec.FormatBinary, nil, "00000008 0000000000000000"},
		{pgtype.Timestamp, lit("2000-01-01 00:00:01.5"), codec.FormatBinary, nil, "00000008 000000000016e360"},
		{pgtype.TimestampTZ, lit("1999-12-31 23:00:00-01"), codec.FormatBinary, nil, "00000008 0000000000000000"},
		{pgtype.TimestampTZ, lit("infinity"), codec.FormatBinary, nil, "00000008 7fffffffffffffff"},
		{pgtype.TimestampTZ, lit("2024-01-02 03:04:05.5+00"), codec.FormatText, paris,
			hex.EncodeToString([]byte{0, 0, 0, 24}) + hex.EncodeToString([]byte("2024-01-02 04:04:05.5+01"))},
		{pgtype.VectorOf(3), lit("[1,2,3]"), codec.FormatBinary, nil, "00000010 0003 0000 3f800000 40000000 40400000"},
		{pgtype.Vector, lit("[1,0,0]"), codec.FormatBinary, nil, "00000010 0003 0000 3f800000 00000000 00000000"},
		{pgtype.VectorOf(3), lit("[1,2,3]"), codec.FormatText, nil, "00000007 5b312c322c335d"},
	}
	for _, c := range cases {
		name := "NULL"
		if c.lit != nil {
			name = *c.lit
		}
		t.Run(c.typ.String()+"/"+name, func(t *testing.T) {
			arr := arrayOf(t, mem, c.typ, c.lit)
			got := hex.EncodeToString(encode(t, arr, c.typ, c.format, c.s, 0))
			if want := strings.ReplaceAll(c.want, " ", ""); got != want {
				t.Errorf("encode %s %s format %d = %s; want %s", c.typ, name, c.format, got, want)
			}
		})
	}
}

func lit(s string) *string { return &s }

// void (pg_sleep) is an empty value, never NULL.
func TestVoidField(t *testing.T) {
	mem := newMem(t)
	arr := arrayOf(t, mem, pgtype.Void, nil, nil)
	for _, f := range []int16{codec.FormatText, codec.FormatBinary} {
		if got := hex.EncodeToString(encode(t, arr, pgtype.Void, f, nil, 1)); got != "00000000" {
			t.Errorf("void format %d = %s; want 00000000", f, got)
		}
	}
}
