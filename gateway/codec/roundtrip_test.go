package codec_test

import (
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/gateway/codec"
)

// roundTripValues are literals of every type with a wire form, NULL
// included; each array is used whole and sliced.
var roundTripValues = []struct {
	typ  pgtype.Type
	vals []string
}{
	{pgtype.Bool, []string{"t", "f"}},
	{pgtype.Int2, []string{"0", "-32768", "32767", "42"}},
	{pgtype.Int4, []string{"0", "-2147483648", "2147483647"}},
	{pgtype.Int8, []string{"0", "-9223372036854775808", "9223372036854775807", "1"}},
	{pgtype.OID, []string{"0", "16385", "4294967295"}},
	{pgtype.Float4, []string{"0", "-0", "1.5", "3.4028235e38", "1e-45", "0.1", "NaN", "Infinity", "-Infinity", "1234567"}},
	{pgtype.Float8, []string{"0", "-0", "0.1", "1.7976931348623157e308", "5e-324", "NaN", "-Infinity", "1e15", "123456789012345.6"}},
	{pgtype.NumericOf(10, 2), []string{"0", "1.5", "-1.55", "99999999.99", "-0.01", "12345678"}},
	{pgtype.NumericOf(38, 0), []string{"0", "99999999999999999999999999999999999999", "-1", "10000"}},
	{pgtype.NumericOf(38, 38), []string{"0.99999999999999999999999999999999999999", "-0.00000000000000000000000000000000000001"}},
	{pgtype.NumericOf(5, 5), []string{"0.12345", "0"}},
	{pgtype.Numeric, []string{"0", "1.5", "100", "0.0000000000000001", "-1234567890123456789012.5", "10000", "0.01", "1e21"}},
	{pgtype.Text, []string{"", "hello", "héllo ✓", "tab\tand\nnewline"}},
	{pgtype.VarcharOf(3), []string{"", "abc", "é"}},
	{pgtype.Type{OID: pgtype.OIDBpchar, Mod: 8}, []string{"a", "abcd"}},
	{pgtype.Name, []string{"items", strings.Repeat("n", 63)}},
	{pgtype.Type{OID: pgtype.OIDChar, Mod: -1}, []string{"r", "", `\351`}},
	{pgtype.Type{OID: pgtype.OIDJSON, Mod: -1}, []string{`{"a":1}`, `[]`}},
	{pgtype.Unknown, []string{"x"}},
	{pgtype.Bytea, []string{`\x`, `\x00ff5c`, `abc`}},
	{pgtype.Date, []string{"2000-01-01", "1970-01-01", "0044-03-15 BC", "4714-11-24 BC", "5874897-12-31", "infinity", "-infinity"}},
	{pgtype.Timestamp, []string{"2000-01-01 00:00:00", "2024-01-02 03:04:05.5", "0044-03-15 12:00:00 BC", "294247-01-10 04:00:54.775806", "4714-11-24 00:00:00 BC", "infinity", "-infinity"}},
	{pgtype.TimestampTZ, []string{"2024-01-02 03:04:05.5+00", "1900-01-01 00:00:00 Europe/Paris", "2024-10-27 01:30:00+00", "infinity"}},
	{pgtype.VectorOf(3), []string{"[1,2,3]", "[-0,1e-05,3.4028235e+38]", "[0.1,0.2,0.3]"}},
	{pgtype.Vector, []string{"[1]", "[1,2,3,4,5]", "[0.5,-0.25]"}},
}

// Decoding what an encoder wrote gives the value back, in both formats,
// for whole and sliced arrays; NULL is -1 and decodes from nil.
func TestRoundTrip(t *testing.T) {
	mem := newMem(t)
	settings := []*codec.Settings{codec.DefaultSettings(), codec.DefaultSettings()}
	paris, err := pgtype.LoadZone("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	settings[1].Text.TimeZone, settings[1].Text.ByteaHex, settings[1].Text.ExtraFloatDigits = paris, false, 3
	for _, c := range roundTripValues {
		vals := append([]*string{nil}, lits(c.vals...)...)
		vals = append(vals, nil)
		arr := arrayOf(t, mem, c.typ, vals...)
		sliced := array.NewSlice(arr, 1, int64(arr.Len()))
		defer sliced.Release()
		for _, s := range settings {
			for _, format := range []int16{codec.FormatText, codec.FormatBinary} {
				checkRoundTrip(t, arr, arr, 0, c.typ, format, s)
				checkRoundTrip(t, sliced, arr, 1, c.typ, format, s)
			}
		}
	}
}

// checkRoundTrip encodes every row of arr, which is base sliced from
// off. Expected values come from base: Arrow v17's scalar.GetScalar
// ignores the offset of sliced list arrays.
func checkRoundTrip(t *testing.T, arr, base arrow.Array, off int, typ pgtype.Type, format int16, s *codec.Settings) {
	t.Helper()
	dt, _ := typ.Arrow()
	for row := 0; row < arr.Len(); row++ {
		data := value(t, encode(t, arr, typ, format, s, row))
		want, err := scalar.GetScalar(base, off+row)
		if err != nil {
			t.Fatal(err)
		}
		got, err := codec.DecodeParam(typ, format, data, s)
		if err != nil {
			t.Errorf("%s format %d row %d: DecodeParam(%q): %v", typ, format, row, data, err)
			continue
		}
		if !arrow.TypeEqual(got.DataType(), dt) {
			t.Errorf("%s: DecodeParam gave a scalar of %s; want %s", typ, got.DataType(), dt)
		}
		if !sameValue(got, want) {
			t.Errorf("%s format %d row %d: %q decodes as %v; want %v", typ, format, row, data, got, want)
		}
		if r, ok := want.(scalar.Releasable); ok {
			r.Release()
		}
	}
}
