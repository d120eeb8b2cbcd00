package pgtype_test

import (
	"math"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// pgvector 0.8 vector_in and vector_out (pg-compat §7.2).
func TestVectorText(t *testing.T) {
	v, v3 := pgtype.Vector, pgtype.VectorOf(3)
	syntax := func(in string) textCase {
		return textCase{typ: v, in: in, code: sqlstate.InvalidTextRepresentation,
			msg: `invalid input syntax for type vector: "` + in + `"`}
	}
	big := "[" + strings.TrimSuffix(strings.Repeat("1,", 16000), ",") + "]"
	runTextCases(t, []textCase{
		{typ: v3, in: "[1,2,3]", want: "[1,2,3]"},
		{typ: v, in: "[1,2,3]", want: "[1,2,3]"},
		{typ: v, in: " [ 1 , 2e1 ] ", want: "[1,20]"},
		{typ: v, in: "[1.5,0.1,3.0000001]", want: "[1.5,0.1,3]"},
		{typ: v, in: "[1e-5,1234567,-0,0.0001]", want: "[1e-05,1.234567e+06,-0,0.0001]"},
		{typ: v, in: "[+1.,.5,1E+2]", want: "[1,0.5,100]"},
		{typ: v, in: "[1e-50]", want: "[0]"}, // strtof underflow is not an error here
		{typ: v, in: "[\t1\n]", want: "[1]"},
		{typ: v, in: "[]", code: sqlstate.DataException, msg: "vector must have at least 1 dimension"},
		{typ: v, in: "[ ]", code: sqlstate.DataException, msg: "vector must have at least 1 dimension"},
		{typ: v, in: "[1,NaN]", code: sqlstate.DataException, msg: "NaN not allowed in vector"},
		{typ: v, in: "[inf]", code: sqlstate.DataException, msg: "infinite value not allowed in vector"},
		{typ: v, in: "[-Infinity,1]", code: sqlstate.DataException, msg: "infinite value not allowed in vector"},
		{typ: v, in: "[1e39]", code: sqlstate.NumericValueOutOfRange, msg: `"1e39" is out of range for type vector`},
		{typ: v, in: "1,2", code: sqlstate.InvalidTextRepresentation, detail: `Vector contents must start with "[".`},
		{typ: v, in: "[1,2]x", code: sqlstate.InvalidTextRepresentation, detail: "Junk after closing right brace."},
		syntax("[1,2"),
		syntax("[1,,2]"),
		syntax("[1 2]"),
		syntax("[a]"),
		syntax("[1,]"),
		syntax(""),
		{typ: v3, in: "[1,2]", code: sqlstate.DataException, msg: "expected 3 dimensions, not 2"},
		{typ: v3, in: "[1,2,3,4]", code: sqlstate.DataException, msg: "expected 3 dimensions, not 4"},
		{typ: v, in: big + "", want: strings.Replace(big, " ", "", -1)},
		{typ: v, in: big[:len(big)-1] + ",1]", code: sqlstate.ProgramLimitExceeded,
			msg: "vector cannot have more than 16000 dimensions"},
	}, nil, nil)
}

func TestNewVector(t *testing.T) {
	cases := []struct {
		typ  pgtype.Type
		v    []float32
		code sqlstate.Code
		msg  string
	}{
		{pgtype.VectorOf(2), []float32{1, 2}, "", ""},
		{pgtype.Vector, []float32{1}, "", ""},
		{pgtype.Vector, nil, sqlstate.DataException, "vector must have at least 1 dimension"},
		{pgtype.Vector, make([]float32, 16001), sqlstate.DataException, "vector cannot have more than 16000 dimensions"},
		{pgtype.VectorOf(3), []float32{1, 2}, sqlstate.DataException, "expected 3 dimensions, not 2"},
		{pgtype.Vector, []float32{float32(math.NaN())}, sqlstate.DataException, "NaN not allowed in vector"},
		{pgtype.Vector, []float32{float32(math.Inf(-1))}, sqlstate.DataException, "infinite value not allowed in vector"},
		{pgtype.Float4, []float32{1}, sqlstate.DatatypeMismatch, ""},
	}
	for _, c := range cases {
		sc, err := pgtype.NewVector(c.typ, c.v)
		if c.code == "" {
			if err != nil {
				t.Errorf("NewVector(%s, %v): %v", c.typ, c.v, err)
				continue
			}
			if got, want := format(t, c.typ, sc, nil), string(pgtype.AppendVector(nil, c.v)); got != want {
				t.Errorf("NewVector(%s, %v) prints %s; want %s", c.typ, c.v, got, want)
			}
			continue
		}
		if err == nil {
			t.Errorf("NewVector(%s, %v) succeeded; want %s", c.typ, c.v, c.code)
			continue
		}
		e := sqlstate.As(err)
		if e == nil || e.Code != c.code || c.msg != "" && e.Message != c.msg {
			t.Errorf("NewVector(%s, %v) = %v; want %s %q", c.typ, c.v, err, c.code, c.msg)
		}
	}
}
