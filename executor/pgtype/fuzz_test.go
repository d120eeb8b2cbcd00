package pgtype_test

import (
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Each fuzz target feeds a selector byte (which type of the family) and
// a string to ParseText. Parsing must never panic and must fail only
// with a *sqlstate.Error; an accepted value must print (AppendText) to a
// string that parses back to the same value and prints the same again.
// Seeds are under testdata/fuzz/<target>.

func fuzzParse(f *testing.F, types ...pgtype.Type) {
	paris, err := pgtype.LoadZone("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sel uint8, s string) {
		typ := types[int(sel)%len(types)]
		var tz *time.Location
		o := pgtype.DefaultTextOptions()
		if sel&0x80 != 0 {
			tz, o.TimeZone, o.ByteaHex = paris, paris, false
		}
		sc, err := pgtype.ParseText(typ, s, tz)
		if err != nil {
			if sqlstate.As(err) == nil {
				t.Fatalf("ParseText(%s, %q): error %v has no SQLSTATE", typ, s, err)
			}
			return
		}
		out := format(t, typ, sc, o)
		sc2, err := pgtype.ParseText(typ, out, tz)
		if err != nil {
			t.Fatalf("ParseText(%s, %q) prints %q, which does not parse: %v", typ, s, out, err)
		}
		if out2 := format(t, typ, sc2, o); out2 != out {
			t.Fatalf("ParseText(%s, %q) prints %q, which prints back as %q", typ, s, out, out2)
		}
		// Floats are compared by their text: NaN is not equal to itself.
		if typ.OID != pgtype.OIDFloat4 && typ.OID != pgtype.OIDFloat8 && !scalar.Equals(sc, sc2) {
			t.Fatalf("ParseText(%s, %q) = %v; its output %q parses as %v", typ, s, sc, out, sc2)
		}
	})
}

func FuzzParseBool(f *testing.F) { fuzzParse(f, pgtype.Bool) }

func FuzzParseInt(f *testing.F) {
	fuzzParse(f, pgtype.Int2, pgtype.Int4, pgtype.Int8, pgtype.OID)
}

func FuzzParseFloat(f *testing.F) { fuzzParse(f, pgtype.Float4, pgtype.Float8) }

func FuzzParseNumeric(f *testing.F) {
	fuzzParse(f, pgtype.Numeric, pgtype.NumericOf(10, 2), pgtype.NumericOf(38, 0), pgtype.NumericOf(5, 5), pgtype.NumericOf(38, 38))
}

func FuzzParseString(f *testing.F) {
	fuzzParse(f, pgtype.Text, pgtype.VarcharOf(3), pgtype.Type{OID: pgtype.OIDBpchar, Mod: 9}, pgtype.Name,
		pgtype.Type{OID: pgtype.OIDChar, Mod: -1}, pgtype.Type{OID: pgtype.OIDJSON, Mod: -1})
}

func FuzzParseBytea(f *testing.F) { fuzzParse(f, pgtype.Bytea) }

func FuzzParseDate(f *testing.F) { fuzzParse(f, pgtype.Date) }

func FuzzParseTimestamp(f *testing.F) { fuzzParse(f, pgtype.Timestamp, pgtype.TimestampTZ) }

func FuzzParseVector(f *testing.F) { fuzzParse(f, pgtype.Vector, pgtype.VectorOf(3)) }
