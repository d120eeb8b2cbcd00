package codec_test

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
)

// fuzzTypes are the parameter types FuzzDecodeParam draws from.
var fuzzTypes = []pgtype.Type{
	pgtype.Bool, pgtype.Int2, pgtype.Int4, pgtype.Int8, pgtype.OID,
	pgtype.Float4, pgtype.Float8,
	pgtype.Numeric, pgtype.NumericOf(10, 2), pgtype.NumericOf(38, 0), pgtype.NumericOf(38, 38),
	pgtype.Text, pgtype.VarcharOf(4), {OID: pgtype.OIDBpchar, Mod: 8}, pgtype.Name,
	{OID: pgtype.OIDChar, Mod: -1}, {OID: pgtype.OIDJSON, Mod: -1}, pgtype.Bytea,
	pgtype.Date, pgtype.Timestamp, pgtype.TimestampTZ,
	pgtype.Vector, pgtype.VectorOf(3),
}

// FuzzDecodeParam decodes arbitrary parameter bytes as one of fuzzTypes
// in either format. It must never panic and must fail only with a
// *sqlstate.Error; an accepted value, encoded in the same format and
// decoded again, must give the same value (decode ∘ encode is the
// identity). Seeds are under testdata/fuzz/FuzzDecodeParam.
func FuzzDecodeParam(f *testing.F) {
	paris, err := pgtype.LoadZone("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sel uint8, binary bool, data []byte) {
		typ := fuzzTypes[int(sel)%len(fuzzTypes)]
		format := codec.FormatText
		if binary {
			format = codec.FormatBinary
		}
		s := codec.DefaultSettings()
		if sel&0x80 != 0 {
			s.Text.TimeZone, s.Text.ByteaHex, s.Text.ExtraFloatDigits = paris, false, 3
		}
		sc, err := codec.DecodeParam(typ, format, data, s)
		if err != nil {
			if sqlstate.As(err) == nil {
				t.Fatalf("DecodeParam(%s, %d, %q): error %v has no SQLSTATE", typ, format, data, err)
			}
			return
		}
		dt, _ := typ.Arrow()
		if !arrow.TypeEqual(sc.DataType(), dt) {
			t.Fatalf("DecodeParam(%s) gave a scalar of %s", typ, sc.DataType())
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		b := arrowBuilder(t, mem, dt)
		defer b.Release()
		if err := scalar.Append(b, sc); err != nil {
			t.Fatal(err)
		}
		arr := b.NewArray()
		defer arr.Release()
		e, err := codec.NewEncoder(arr, typ, format, s)
		if err != nil {
			t.Fatal(err)
		}
		field := value(t, e.Append(nil, 0))
		back, err := codec.DecodeParam(typ, format, field, s)
		if err != nil {
			t.Fatalf("DecodeParam(%s, %d, %q) = %v, encoded as %q, which fails: %v", typ, format, data, sc, field, err)
		}
		if !sameValue(back, sc) {
			t.Fatalf("DecodeParam(%s, %d, %q) = %v, encoded as %q, which decodes as %v", typ, format, data, sc, field, back)
		}
	})
}
