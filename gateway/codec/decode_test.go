package codec_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bind parameters that must be refused, with PostgreSQL's and pgvector's
// codes and messages (pg-compat §3.4, §7.3).
func TestDecodeParamErrors(t *testing.T) {
	const badBinary = "incorrect binary data format in bind parameter"
	bin, txt := codec.FormatBinary, codec.FormatText
	cases := []struct {
		typ    pgtype.Type
		format int16
		data   string // hex for binary, the text for text
		code   sqlstate.Code
		msg    string
	}{
		{pgtype.Int4, bin, "000001", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Int4, bin, "0000000001", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Int8, bin, "00000001", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Int2, bin, "", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Bool, bin, "0101", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Float8, bin, "3ff80000", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Date, bin, "0000", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Date, bin, "7ffffffe", sqlstate.DatetimeFieldOverflow, "date out of range"},
		{pgtype.Timestamp, bin, "7ffffffffffffffe", sqlstate.DatetimeFieldOverflow, "timestamp out of range"},
		{pgtype.TimestampTZ, bin, "00", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Type{OID: pgtype.OIDChar, Mod: -1}, bin, "", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Text, bin, "61ff", pgtype.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0xff`},
		{pgtype.VarcharOf(3), bin, hex.EncodeToString([]byte("abcd")), sqlstate.StringDataRightTruncation, "value too long for type character varying(3)"},
		// numeric_recv
		{pgtype.Numeric, bin, "0000 0000 0000", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Numeric, bin, "ffff 0000 0000 0000", sqlstate.InvalidBinaryRepresentation, `invalid length in external "numeric" value`},
		{pgtype.Numeric, bin, "0001 0000 0000 0000", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Numeric, bin, "0000 0000 1234 0000", sqlstate.InvalidBinaryRepresentation, `invalid sign in external "numeric" value`},
		{pgtype.Numeric, bin, "0000 0000 0000 4000", sqlstate.InvalidBinaryRepresentation, `invalid scale in external "numeric" value`},
		{pgtype.Numeric, bin, "0001 0000 0000 0000 2710", sqlstate.InvalidBinaryRepresentation, `invalid digit in external "numeric" value`},
		{pgtype.Numeric, bin, "0000 0000 c000 0000", sqlstate.FeatureNotSupported, ""},
		{pgtype.NumericOf(3, 1), bin, "0001 0000 0000 0001 0064", sqlstate.NumericValueOutOfRange, "numeric field overflow"}, // 100.0
		{pgtype.Numeric, bin, "0001 7fff 0000 0000 0001", sqlstate.NumericValueOutOfRange, "value overflows numeric format"},
		// vector_recv
		{pgtype.Vector, bin, "0003 0001 3f800000 40000000 40400000", sqlstate.DataException, "expected unused to be 0, not 1"},
		{pgtype.Vector, bin, "0000 0000", sqlstate.DataException, "vector must have at least 1 dimension"},
		{pgtype.Vector, bin, "ffff 0000", sqlstate.DataException, "vector must have at least 1 dimension"},
		{pgtype.Vector, bin, "3e81 0000", sqlstate.DataException, "vector cannot have more than 16000 dimensions"},
		{pgtype.VectorOf(3), bin, "0002 0000 3f800000 40000000", sqlstate.DataException, "expected 3 dimensions, not 2"},
		{pgtype.Vector, bin, "0003 0000 3f800000 40000000", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Vector, bin, "0001 0000 3f800000 00", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Vector, bin, "0001", sqlstate.InvalidBinaryRepresentation, badBinary},
		{pgtype.Vector, bin, "0002 0000 3f800000 7fc00000", sqlstate.DataException, "NaN not allowed in vector"},
		{pgtype.Vector, bin, "0001 0000 ff800000", sqlstate.DataException, "infinite value not allowed in vector"},
		// text goes through ParseText
		{pgtype.Int4, txt, "abc", sqlstate.InvalidTextRepresentation, `invalid input syntax for type integer: "abc"`},
		{pgtype.VectorOf(3), txt, "[1,2]", sqlstate.DataException, "expected 3 dimensions, not 2"},
		// neither format nor type
		{pgtype.Int4, 2, "00000001", sqlstate.InvalidParameterValue, "unsupported format code: 2"},
		{pgtype.Interval, txt, "1 day", sqlstate.FeatureNotSupported, ""},
		{pgtype.Void, bin, "00", sqlstate.InvalidBinaryRepresentation, badBinary},
	}
	for _, c := range cases {
		data := []byte(c.data)
		if c.format != codec.FormatText {
			data = unhex(t, c.data)
		}
		_, err := codec.DecodeParam(c.typ, c.format, data, nil)
		e := sqlstate.As(err)
		if e == nil {
			t.Errorf("DecodeParam(%s, %d, %q) = %v; want %s", c.typ, c.format, c.data, err, c.code)
			continue
		}
		if e.Code != c.code || c.msg != "" && e.Message != c.msg {
			t.Errorf("DecodeParam(%s, %d, %q) = %s %q; want %s %q", c.typ, c.format, c.data, e.Code, e.Message, c.code, c.msg)
		}
	}
}

// Binary numerics are truncated to their dscale, then rounded to the
// type's scale half away from zero, as numeric_recv does.
func TestDecodeNumericRounding(t *testing.T) {
	cases := []struct {
		typ  pgtype.Type
		data string
		want string
	}{
		{pgtype.NumericOf(10, 2), "0002 0000 0000 0003 0001 15ae", "1.56"},  // 1.555
		{pgtype.NumericOf(10, 2), "0002 0000 4000 0003 0001 15ae", "-1.56"}, // -1.555
		{pgtype.NumericOf(10, 2), "0002 0000 0000 0002 0001 15b3", "1.55"},  // 1.5555 shown with dscale 2
		{pgtype.NumericOf(10, 2), "0000 0000 4000 0000", "0.00"},            // -0
		{pgtype.Numeric, "0003 0002 0000 0000 0001 0000 0000", "100000000"}, // leading group, zero groups
		{pgtype.Numeric, "0002 ffff 0000 0008 0000 0001", "0.00000001"},     // leading zero digit
		{pgtype.Numeric, "0002 fffe 0000 0008 0000 0001", "0"},              // 1e-12 shown with dscale 8
		{pgtype.Numeric, "0001 fffb 0000 0014 0001", "0"},                   // 1e-20 rounds away at scale 16
		{pgtype.Numeric, "0001 0001 0000 0000 0001", "10000"},
	}
	for _, c := range cases {
		sc, err := codec.DecodeParam(c.typ, codec.FormatBinary, unhex(t, c.data), nil)
		if err != nil {
			t.Errorf("DecodeParam(%s, %s): %v", c.typ, c.data, err)
			continue
		}
		want, err := pgtype.ParseText(c.typ, c.want, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !sameValue(sc, want) {
			t.Errorf("DecodeParam(%s, %s) = %v; want %s", c.typ, c.data, sc, c.want)
		}
	}
}

// nil data is SQL NULL: a null scalar of the parameter type's Arrow type.
func TestDecodeParamNull(t *testing.T) {
	for _, typ := range []pgtype.Type{pgtype.Int8, pgtype.Text, pgtype.VectorOf(3), pgtype.Vector, pgtype.NumericOf(10, 2), pgtype.TimestampTZ, pgtype.Bytea} {
		for _, f := range []int16{codec.FormatText, codec.FormatBinary} {
			sc, err := codec.DecodeParam(typ, f, nil, nil)
			if err != nil {
				t.Fatalf("DecodeParam(%s, NULL): %v", typ, err)
			}
			dt, _ := typ.Arrow()
			if sc.IsValid() || !arrow.TypeEqual(sc.DataType(), dt) {
				t.Errorf("DecodeParam(%s, NULL) = %v of %s; want a null of %s", typ, sc, sc.DataType(), dt)
			}
		}
	}
	// An empty value is not NULL.
	sc, err := codec.DecodeParam(pgtype.Text, codec.FormatBinary, []byte{}, nil)
	if err != nil || !sc.IsValid() {
		t.Errorf("DecodeParam(text, empty) = %v, %v; want a valid empty string", sc, err)
	}
}

// The decoded scalar keeps no reference to the message buffer.
func TestDecodeParamCopies(t *testing.T) {
	for _, typ := range []pgtype.Type{pgtype.Bytea, pgtype.Text} {
		data := []byte("abc")
		sc, err := codec.DecodeParam(typ, codec.FormatBinary, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := sc.String()
		copy(data, "xyz")
		if sc.String() != before {
			t.Errorf("%s parameter changed with the buffer: %s", typ, sc)
		}
	}
}

// Text timestamptz parameters without a zone are in the session zone.
func TestDecodeParamTimeZone(t *testing.T) {
	s := codec.DefaultSettings()
	loc, err := pgtype.LoadZone("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	s.Text.TimeZone = loc
	got, err := codec.DecodeParam(pgtype.TimestampTZ, codec.FormatText, []byte("2024-01-02 05:30:00"), s)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := pgtype.ParseText(pgtype.TimestampTZ, "2024-01-02 00:00:00+00", nil)
	if !sameValue(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}
