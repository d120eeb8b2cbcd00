package codec_test

import (
	"encoding/binary"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
)

var (
	int8Array = pgtype.Type{OID: pgtype.OIDInt8Array, Mod: -1}
	textArray = pgtype.Type{OID: pgtype.OIDTextArray, Mod: -1}
	boolArray = pgtype.Type{OID: pgtype.OIDBoolArray, Mod: -1}
	int2Vec   = pgtype.Type{OID: pgtype.OIDInt2Vector, Mod: -1}
)

// binArray builds array_send's form of a one-dimensional array: elems
// nil is NULL.
func binArray(elemOID uint32, lower int32, elems ...[]byte) []byte {
	var b []byte
	nulls := uint32(0)
	for _, e := range elems {
		if e == nil {
			nulls = 1
		}
	}
	ndim := uint32(1)
	if len(elems) == 0 {
		ndim = 0
	}
	b = binary.BigEndian.AppendUint32(b, ndim)
	b = binary.BigEndian.AppendUint32(b, nulls)
	b = binary.BigEndian.AppendUint32(b, elemOID)
	if ndim == 0 {
		return b
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(elems)))
	b = binary.BigEndian.AppendUint32(b, uint32(lower))
	for _, e := range elems {
		if e == nil {
			b = binary.BigEndian.AppendUint32(b, 0xffffffff)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

func i8(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// textOf prints a decoded array parameter in its text form.
func textOf(t *testing.T, typ pgtype.Type, sc scalar.Scalar) string {
	t.Helper()
	a, err := scalar.MakeArrayFromScalar(sc, 1, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	return string(pgtype.AppendText(nil, typ, a, 0, nil))
}

func TestDecodeArrayBinary(t *testing.T) {
	cases := []struct {
		name string
		typ  pgtype.Type
		data []byte
		want string
		code sqlstate.Code
	}{
		{"int8[]", int8Array, binArray(pgtype.OIDInt8, 1, i8(1), nil, i8(-3)), "{1,NULL,-3}", ""},
		{"empty", int8Array, binArray(pgtype.OIDInt8, 1), "{}", ""},
		{"text[]", textArray, binArray(pgtype.OIDText, 1, []byte("a b"), []byte(""), []byte(`"`)), `{"a b","","\""}`, ""},
		{"bool[]", boolArray, binArray(pgtype.OIDBool, 1, []byte{1}, []byte{0}), "{t,f}", ""},
		{"int2vector", int2Vec, binArray(pgtype.OIDInt2, 0, []byte{0, 1}, []byte{0, 2}), "1 2", ""},
		{"wrong element type", int8Array, binArray(pgtype.OIDInt4, 1, []byte{0, 0, 0, 1}), "", sqlstate.DatatypeMismatch},
		{"bad element length", int8Array, binArray(pgtype.OIDInt8, 1, []byte{1}), "", sqlstate.InvalidBinaryRepresentation},
		{"truncated", int8Array, binArray(pgtype.OIDInt8, 1, i8(1))[:20], "", sqlstate.InvalidBinaryRepresentation},
		{"trailing bytes", int8Array, append(binArray(pgtype.OIDInt8, 1, i8(1)), 0), "", sqlstate.InvalidBinaryRepresentation},
		{"short header", int8Array, []byte{0, 0, 0, 1}, "", sqlstate.InvalidBinaryRepresentation},
		{"two dimensions", int8Array, []byte{0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 20}, "", sqlstate.FeatureNotSupported},
		{"null in int2vector", int2Vec, binArray(pgtype.OIDInt2, 0, nil), "", sqlstate.NullValueNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := codec.DecodeParam(c.typ, codec.FormatBinary, c.data, nil)
			if c.code != "" {
				if sqlstate.CodeOf(err) != c.code {
					t.Fatalf("error %v; want %s", err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := textOf(t, c.typ, sc); got != c.want {
				t.Fatalf("decoded %s; want %s", got, c.want)
			}
		})
	}
}

// TestArrayRoundTrip decodes what the encoder writes, in both formats.
func TestArrayRoundTrip(t *testing.T) {
	for _, typ := range []pgtype.Type{int8Array, textArray, boolArray, int2Vec} {
		for _, text := range map[pgtype.Type][]string{
			int8Array: {"{1,NULL,3}", "{}"},
			textArray: {`{"a b",NULL,"\\",x}`, "{}"},
			boolArray: {"{t,NULL}"},
			int2Vec:   {"1 2 3", ""},
		}[typ] {
			sc, err := pgtype.ParseText(typ, text, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, format := range []int16{codec.FormatText, codec.FormatBinary} {
				a, err := scalar.MakeArrayFromScalar(sc, 1, memory.DefaultAllocator)
				if err != nil {
					t.Fatal(err)
				}
				e, err := codec.NewEncoder(a, typ, format, nil)
				if err != nil {
					t.Fatal(err)
				}
				field := value(t, e.Append(nil, 0))
				back, err := codec.DecodeParam(typ, format, field, nil)
				if err != nil {
					t.Fatalf("%s %q format %d: %v", typ, text, format, err)
				}
				if got := textOf(t, typ, back); got != text {
					t.Errorf("%s %q format %d: round trip gives %q", typ, text, format, got)
				}
				a.Release()
			}
		}
	}
}

// FuzzDecodeArray decodes arbitrary bytes as an array parameter in
// binary format: no panic, only SQLSTATE errors, and an accepted value
// re-encodes to bytes that decode to the same value. Seeds are under
// testdata/fuzz/FuzzDecodeArray.
func FuzzDecodeArray(f *testing.F) {
	types := []pgtype.Type{int8Array, textArray, boolArray, int2Vec}
	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		typ := types[int(sel)%len(types)]
		sc, err := codec.DecodeParam(typ, codec.FormatBinary, data, nil)
		if err != nil {
			if sqlstate.As(err) == nil {
				t.Fatalf("DecodeParam(%s, %x): error %v has no SQLSTATE", typ, data, err)
			}
			return
		}
		dt, _ := typ.Arrow()
		if !arrow.TypeEqual(sc.DataType(), dt) {
			t.Fatalf("DecodeParam(%s) gave a scalar of %s", typ, sc.DataType())
		}
		a, err := scalar.MakeArrayFromScalar(sc, 1, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Release()
		e, err := codec.NewEncoder(a, typ, codec.FormatBinary, nil)
		if err != nil {
			t.Fatal(err)
		}
		field := value(t, e.Append(nil, 0))
		back, err := codec.DecodeParam(typ, codec.FormatBinary, field, nil)
		if err != nil {
			t.Fatalf("DecodeParam(%s, %x) encodes as %x, which fails: %v", typ, data, field, err)
		}
		if textOf(t, typ, back) != textOf(t, typ, sc) {
			t.Fatalf("DecodeParam(%s, %x) = %s, re-decoded as %s", typ, data, textOf(t, typ, sc), textOf(t, typ, back))
		}
	})
}
