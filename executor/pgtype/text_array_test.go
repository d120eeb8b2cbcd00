package pgtype_test

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

var (
	int4Array = pgtype.Type{OID: pgtype.OIDInt4Array, Mod: -1}
	textArray = pgtype.Type{OID: pgtype.OIDTextArray, Mod: -1}
	boolArray = pgtype.Type{OID: pgtype.OIDBoolArray, Mod: -1}
	int2Vec   = pgtype.Type{OID: pgtype.OIDInt2Vector, Mod: -1}
	oidVec    = pgtype.Type{OID: pgtype.OIDOIDVector, Mod: -1}
)

// arrayText parses s as t and prints it back.
func arrayText(t *testing.T, typ pgtype.Type, s string) (string, error) {
	t.Helper()
	sc, err := pgtype.ParseText(typ, s, nil)
	if err != nil {
		return "", err
	}
	l, ok := sc.(*scalar.List)
	if !ok {
		t.Fatalf("ParseText(%s, %q) = %T, want *scalar.List", typ, s, sc)
	}
	a, err := scalar.MakeArrayFromScalar(l, 1, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if _, ok := a.(*array.List); !ok {
		t.Fatalf("array of %T", a)
	}
	return string(pgtype.AppendText(nil, typ, a, 0, nil)), nil
}

func TestParseArray(t *testing.T) {
	cases := []struct {
		typ  pgtype.Type
		in   string
		want string
		code sqlstate.Code
	}{
		{typ: int4Array, in: "{1,2,3}", want: "{1,2,3}"},
		{typ: int4Array, in: " { 1 , NULL ,3 } ", want: "{1,NULL,3}"},
		{typ: int4Array, in: "{}", want: "{}"},
		{typ: int4Array, in: "{ }", want: "{}"},
		{typ: int4Array, in: "{1,x}", code: sqlstate.InvalidTextRepresentation},
		{typ: int4Array, in: "{99999999999}", code: sqlstate.NumericValueOutOfRange},
		{typ: int4Array, in: "1,2", code: sqlstate.InvalidTextRepresentation},
		{typ: int4Array, in: "{1,2", code: sqlstate.InvalidTextRepresentation},
		{typ: int4Array, in: "{1,2}x", code: sqlstate.InvalidTextRepresentation},
		{typ: int4Array, in: "{1,,2}", code: sqlstate.InvalidTextRepresentation},
		{typ: int4Array, in: "{{1},{2}}", code: sqlstate.FeatureNotSupported},
		{typ: int4Array, in: "[1:2]={1,2}", code: sqlstate.FeatureNotSupported},
		{typ: textArray, in: `{"a b",NULL,"c\"d",e\,f, g ,"NULL",null,""}`, want: `{"a b",NULL,"c\"d","e,f",g,"NULL",NULL,""}`},
		{typ: textArray, in: `{\NULL}`, want: `{"NULL"}`},
		{typ: textArray, in: `{a\ }`, want: `{"a "}`},
		{typ: textArray, in: `{"a"b}`, code: sqlstate.InvalidTextRepresentation},
		{typ: textArray, in: `{a"b}`, code: sqlstate.InvalidTextRepresentation},
		{typ: textArray, in: `{"\\"}`, want: `{"\\"}`},
		{typ: boolArray, in: "{t,false,NULL}", want: "{t,f,NULL}"},
		{typ: int2Vec, in: "1 2  3", want: "1 2 3"},
		{typ: int2Vec, in: "", want: ""},
		{typ: oidVec, in: "23 25", want: "23 25"},
		{typ: int2Vec, in: "1 x", code: sqlstate.InvalidTextRepresentation},
	}
	for _, c := range cases {
		got, err := arrayText(t, c.typ, c.in)
		if c.code != "" {
			if sqlstate.CodeOf(err) != c.code {
				t.Errorf("ParseText(%s, %q): error %v, want %s", c.typ, c.in, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseText(%s, %q): %v", c.typ, c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseText(%s, %q) prints %q, want %q", c.typ, c.in, got, c.want)
		}
	}
}

func TestMalformedArrayMessage(t *testing.T) {
	_, err := pgtype.ParseText(int4Array, "{1", nil)
	e := sqlstate.As(err)
	if e == nil || e.Message != `malformed array literal: "{1"` || e.Detail != "Unexpected end of input." {
		t.Fatalf("error %#v", err)
	}
}

func TestArrayTypes(t *testing.T) {
	date, ok := pgtype.ArrayOf(pgtype.Date)
	if !ok || date.OID != 1182 || date.String() != "date[]" || !pgtype.IsArray(date.OID) {
		t.Fatalf("date[] = %v %v", date, ok)
	}
	if pgtype.ElemOf(int2Vec) != pgtype.Int2 {
		t.Fatalf("element of int2vector = %v", pgtype.ElemOf(int2Vec))
	}
	if int4Array.String() != "integer[]" {
		t.Fatalf("int4[] prints %q", int4Array.String())
	}
}

// FuzzParseArray: parsing never panics, fails only with a SQLSTATE, and
// an accepted array prints to text that parses and prints the same
// (compared as text: float elements may be NaN).
func FuzzParseArray(f *testing.F) {
	types := []pgtype.Type{int4Array, textArray, boolArray, int2Vec, oidVec,
		{OID: pgtype.OIDFloat8Array, Mod: -1}, {OID: 1231, Mod: -1}, {OID: 1182, Mod: -1}}
	f.Fuzz(func(t *testing.T, sel uint8, s string) {
		typ := types[int(sel)%len(types)]
		out, err := arrayText(t, typ, s)
		if err != nil {
			if sqlstate.As(err) == nil {
				t.Fatalf("ParseText(%s, %q): error %v has no SQLSTATE", typ, s, err)
			}
			return
		}
		out2, err := arrayText(t, typ, out)
		if err != nil {
			t.Fatalf("ParseText(%s, %q) prints %q, which does not parse: %v", typ, s, out, err)
		}
		if out2 != out {
			t.Fatalf("ParseText(%s, %q) prints %q, which prints back as %q", typ, s, out, out2)
		}
	})
}
